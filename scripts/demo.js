// `make demo`: anvil, a breakable "wallet RPC" and two healthy backups (fault proxies), and
// the pages in dist/www, all on 127.0.0.1. With a display (DISPLAY set) it opens Chromium with
// the extension from dist/chrome; otherwise it prints the address to open. Runs until Ctrl-C,
// or for DEMO_SECONDS seconds. DEMO_PORT picks the pages' port (default 8787, else any free).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_PATH } from "../tests/e2e/browser.js";
import { startWwwWorld, WWW_DIR } from "./www-server.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const EXTENSION_DIR = join(root, "dist/chrome");
const DEFAULT_PORT = 8787;

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(1);
}

if (!existsSync(join(WWW_DIR, "index.html"))) fail("dist/www is not built: run make build");

const seconds = process.env.DEMO_SECONDS ? Number(process.env.DEMO_SECONDS) : undefined;
if (seconds !== undefined && !(seconds > 0)) fail("DEMO_SECONDS must be a positive number");
const wanted = process.env.DEMO_PORT ? Number(process.env.DEMO_PORT) : DEFAULT_PORT;

let world;
try {
  world = await startWwwWorld({ port: wanted, blockTime: 1 });
} catch (error) {
  if (error.code !== "EADDRINUSE" || process.env.DEMO_PORT) throw error;
  world = await startWwwWorld({ port: 0, blockTime: 1 });
}

const stops = [() => world.stop()];
let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const s of stops.reverse()) await s().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const { config } = world;
const row = (name, url, note = "") => `  ${name.padEnd(20)}${url.padEnd(26)}${note}`.trimEnd();
console.log(
  [
    "RPC Lifeline demo, everything on 127.0.0.1:",
    row("blockchain", world.anvil.url, `anvil, chain ${config.chainId}, a block a second`),
    row("the wallet's RPC", config.walletRpc, "breakable from the pages"),
    ...config.fallbacks.map((f) => row(f.name, f.url, "healthy")),
    "",
    row("playground", `${world.url}/`),
    row("endpoint dashboard", `${world.url}/dashboard.html`),
    row("embed example", `${world.url}/embed.html`),
    "",
  ].join("\n"),
);

if (process.env.DISPLAY) {
  await openChromium().catch((error) => {
    const why = String(error.message).split("\n")[0];
    console.log(`demo: could not open Chromium (${why}); open ${world.url}/`);
  });
} else {
  console.log(`open ${world.url}/`);
}
console.log(seconds ? `Stopping in ${seconds} s.` : "Ctrl-C to stop.");
if (seconds) setTimeout(() => stop(0), seconds * 1000);

/**
 * Chromium with the built extension, its registry given the demo's backups for chain 31337
 * (as a user would add them in the options page), showing the playground and the embed
 * example (where the page's own copy steps back for the extension).
 */
async function openChromium() {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}`);
  const { chromium } = await import("playwright-core");
  const profile = await mkdtemp(join(tmpdir(), "lifeline-demo-"));
  stops.push(() => rm(profile, { recursive: true, force: true }));
  const withExtension = existsSync(join(EXTENSION_DIR, "manifest.json"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: false,
    viewport: null,
    args: [
      "--no-first-run",
      "--disable-sync",
      "--disable-background-networking",
      "--disable-component-update",
      ...(withExtension
        ? [`--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`]
        : []),
    ],
    ignoreDefaultArgs: withExtension ? ["--disable-extensions"] : [],
  });
  stops.push(() => context.close());
  context.on("close", () => stop(0));
  if (withExtension) {
    const worker =
      context.serviceWorkers()[0] ??
      (await context.waitForEvent("serviceworker", { timeout: 15_000 }));
    await worker.evaluate((chain) => chrome.storage.local.set({ userChains: [chain] }), {
      chainId: config.chainId,
      name: "Anvil (local test chain)",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      blockExplorerUrls: [],
      rpcs: config.fallbacks.map((f) => ({ url: f.url, tracking: "none" })),
    });
  } else {
    console.log("demo: dist/chrome not built; Chromium opens without the extension.");
  }
  const [first] = context.pages();
  const playground = first ?? (await context.newPage());
  await playground.goto(`${world.url}/`);
  const embed = await context.newPage();
  await embed.goto(`${world.url}/embed.html`);
  await playground.bringToFront();
  console.log("Chromium is open with the playground and the embed example.");
}
