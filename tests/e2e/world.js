// The end-to-end world: anvil, wallet RPCs and a fallback behind fault proxies, the test
// pages, and Chromium with the built extension. Every part is real and on 127.0.0.1.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { startAnvil } from "../rig/anvil.js";
import { CHAIN_ID } from "../rig/chain.js";
import { startFaultProxy } from "../rig/fault-proxy.js";
import { startStaticServer } from "../rig/static-server.js";
import { watchBadge } from "./badge.js";
import { launchBrowser } from "./browser.js";

export { screenshot } from "../rig/screenshot.js";
export {
  badgeLog,
  badgeState,
  badgeUntil,
  clickBadge,
  firstSeen,
  waitForBadge,
} from "./badge.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const EXTENSION_DIR = join(ROOT, "dist/chrome");

/** Chain 31337 as the user would add it in the options page, with our fallback endpoints. */
export function anvilChain(fallbackUrls) {
  return {
    chainId: CHAIN_ID,
    name: "Anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    blockExplorerUrls: [],
    rpcs: fallbackUrls.map((url) => ({ url, tracking: "none" })),
  };
}

/**
 * Starts the world. `extensionDir: null` launches Chromium without the extension.
 * `settings` are written to the extension's storage before any page opens. `fallbacks: n` adds
 * `fallback2` … `fallbackN` (a head counts only when two sources agree, so judging a wallet's
 * head needs two); `attackers: { fallback3: "liar:10" }` sets modes before the engine sees them.
 */
export async function startWorld({
  extensionDir = EXTENSION_DIR,
  settings = {},
  expectWorker = true,
  fallbacks = 1,
  attackers = {},
} = {}) {
  if (extensionDir && !existsSync(join(extensionDir, "pkg/rpc_lifeline_bg.wasm"))) {
    throw new Error(`no built extension in ${extensionDir}: run make build`);
  }
  if (!existsSync(join(ROOT, "tests/pages/build/dapp.js"))) {
    throw new Error("test pages not built: run make build");
  }
  const stops = [];
  const world = { stops };
  try {
    world.anvil = await startAnvil();
    stops.push(() => world.anvil.stop());
    const fallbackNames = Array.from({ length: fallbacks }, (_, i) =>
      i === 0 ? "fallback" : `fallback${i + 1}`,
    );
    for (const name of ["wallet", "wallet2", ...fallbackNames]) {
      world[name] = await startFaultProxy({ upstream: world.anvil.url });
      stops.push(() => world[name].stop());
    }
    for (const [name, mode] of Object.entries(attackers)) await world[name].setMode(mode);
    world.server = await startStaticServer();
    stops.push(() => world.server.stop());
    world.browser = await launchBrowser(extensionDir ? { extensionDir, expectWorker } : {});
    stops.push(() => world.browser.close());
    world.context = world.browser.context;
    world.serviceWorker = world.browser.serviceWorker;
    if (world.serviceWorker) {
      await world.serviceWorker.evaluate((values) => chrome.storage.local.set(values), {
        userChains: [anvilChain(fallbackNames.map((name) => world[name].url))],
        ...settings,
      });
    }
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
  world.stop = () => stopAll(stops);
  return world;
}

async function stopAll(stops) {
  for (const stop of stops.reverse()) {
    await stop().catch(() => {});
  }
}

/**
 * Opens the dapp page with one wallet on `wallet` (and a second one when asked). `locked`
 * makes the wallets' `request`, `send` and `sendAsync` read-only and locked, as Brave's are.
 */
export async function openDapp(world, { second = false, locked = false } = {}) {
  const page = await world.context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  const query = new URLSearchParams({ rpc: world.wallet.url });
  if (second) query.set("rpc2", world.wallet2.url);
  if (locked) query.set("locked", "1");
  await page.goto(`${world.server.url}/dapp.html?${query}`);
  await page.evaluate(() => window.dappReady);
  watchBadge(page);
  page.errors = errors;
  return page;
}

/**
 * Polls reads like a dapp does, without waiting for answers: block number, a balance and a
 * call in turn (viem shares one pending request among identical calls, so a dapp polling
 * one thing sends one request while its wallet hangs).
 */
export function startTraffic(page, everyMs = 300, rdns = null) {
  return page.evaluate(
    ({ everyMs, rdns }) => {
      const dapp = rdns ? window.dappWith(rdns) : Promise.resolve(window.dapp);
      const reads = ["blockNumber", "balance", "call"];
      let turn = 0;
      window.__traffic = setInterval(() => {
        const read = reads[turn++ % reads.length];
        dapp.then((d) => d[read]());
      }, everyMs);
    },
    { everyMs, rdns },
  );
}

export function stopTraffic(page) {
  return page.evaluate(() => clearInterval(window.__traffic));
}

/**
 * The page's tab id. The extension has no `tabs` permission and no host permissions, so it
 * cannot read tab URLs: the page is brought to the front and the active tab asked for.
 */
export async function tabIdOf(world, page) {
  await page.bringToFront();
  return world.serviceWorker.evaluate(
    async () => (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0]?.id,
  );
}

/** The engine's view of one tab, through the popup's own channel (from an extension page). */
export async function tabStatus(world, page) {
  const tab = await tabIdOf(world, page);
  const popup = await world.context.newPage();
  await popup.goto(`chrome-extension://${world.browser.extensionId}/popup.html?tab=${tab}`);
  const answer = await popup.evaluate(
    (tabId) => chrome.runtime.sendMessage({ type: "popupStatus", tab: tabId }),
    tab,
  );
  return { popup, status: answer.status, answer };
}

/**
 * Stops the extension's service worker through the DevTools protocol, from one of the
 * extension's own pages (a page's session only reaches its own origin's workers), and
 * resolves once the protocol reports it stopped.
 */
export async function stopServiceWorker(world) {
  const page = await world.context.newPage();
  // chains.json: an extension page that, unlike the popup or options, never wakes the worker.
  await page.goto(`chrome-extension://${world.browser.extensionId}/chains.json`);
  const cdp = await world.context.newCDPSession(page);
  const stopped = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
      if (versions.some((v) => v.runningStatus === "stopped")) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  await cdp.send("ServiceWorker.enable");
  await cdp.send("ServiceWorker.stopAllWorkers");
  const result = await stopped;
  await cdp.detach();
  await page.close();
  return result;
}

/**
 * Resolves once the engine has judged this page's wallet (its policy is then on its way to the
 * page). Right after the browser starts, the worker first waits for storage.managed, which
 * Chromium can take seconds to answer.
 */
export async function waitForEngine(world, page, timeout = 20_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const { popup, status } = await tabStatus(world, page);
    await popup.close();
    if (status?.wallets?.length) return status;
    if (Date.now() > end)
      throw new Error(`the engine never judged the page: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
