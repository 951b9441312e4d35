// The www tests' world: the demo's servers (anvil, the breakable wallet RPC, two backups and
// the pages from dist/www, scripts/www-server.js) and one Chromium, with or without the
// extension. Everything on 127.0.0.1.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { startWwwWorld, WWW_DIR } from "../../scripts/www-server.js";
import { launchBrowser } from "../e2e/browser.js";

export { screenshot } from "../rig/screenshot.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const EXTENSION_DIR = join(ROOT, "dist/chrome");

/**
 * Starts the servers and a browser. `extension: true` loads dist/chrome and gives it the
 * world's backups as its endpoints for chain 31337 (like the demo does).
 */
export async function startWorld({ extension = false, backups = 2, extraPages } = {}) {
  for (const file of ["index.html", "lifeline/embed.js", "lifeline/rpc_lifeline_bg.wasm"]) {
    if (!existsSync(join(WWW_DIR, file))) {
      throw new Error(`dist/www/${file} is missing: run make build (or make www)`);
    }
  }
  if (extension && !existsSync(join(EXTENSION_DIR, "badge-view.js"))) {
    throw new Error("dist/chrome is missing or stale: run make build (or make extension)");
  }
  const servers = await startWwwWorld({ blockTime: 1, backups, extraPages });
  let browser;
  try {
    browser = await launchBrowser(extension ? { extensionDir: EXTENSION_DIR } : {});
    if (extension) {
      await browser.serviceWorker.evaluate(
        (chain) => chrome.storage.local.set({ userChains: [chain] }),
        {
          chainId: servers.config.chainId,
          name: "Anvil",
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          blockExplorerUrls: [],
          rpcs: servers.config.fallbacks.map((f) => ({ url: f.url, tracking: "none" })),
        },
      );
    }
  } catch (error) {
    await browser?.close().catch(() => {});
    await servers.stop();
    throw error;
  }
  return {
    ...servers,
    browser,
    context: browser.context,
    async stop() {
      await browser.close().catch(() => {});
      await servers.stop();
    },
  };
}

/**
 * Opens `path` in a fresh page. The page collects console errors and uncaught exceptions in
 * `page.problems`; network errors the browser logs for the RPC server that a test broke on
 * purpose are expected and kept apart in `page.networkErrors`.
 */
export async function openPage(world, path, { width = 1280, height = 900 } = {}) {
  const page = await world.context.newPage();
  await page.setViewportSize({ width, height });
  page.problems = [];
  page.networkErrors = [];
  page.on("pageerror", (error) => page.problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (text.startsWith("Failed to load resource")) page.networkErrors.push(text);
    else page.problems.push(`console: ${text}`);
  });
  await page.goto(`${world.url}${path}`);
  return page;
}

/** Sets the wallet RPC's fault mode as the pages' buttons do (POST /__control). */
export async function setWalletFault(world, mode) {
  const response = await fetch(`${world.url}/__control`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mode }),
  });
  if (!response.ok) throw new Error(`control: ${response.status} ${await response.text()}`);
}
