// Launches Debian's Chromium through playwright-core with a fresh profile, optionally with an
// unpacked extension loaded. Never downloads a browser.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

const BASE_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/**
 * @param {{ extensionDir?: string, expectWorker?: boolean }} [options]
 * @returns {Promise<{ context: import("playwright-core").BrowserContext, close: () => Promise<void>,
 *   serviceWorker?: import("playwright-core").Worker, extensionId?: string }>}
 */
export async function launchBrowser({ extensionDir, expectWorker = true } = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package`);
  }
  const args = [...BASE_ARGS];
  if (extensionDir) {
    const dir = resolve(extensionDir);
    if (!existsSync(join(dir, "manifest.json"))) throw new Error(`no manifest.json in ${dir}`);
    args.push(`--disable-extensions-except=${dir}`, `--load-extension=${dir}`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), "lifeline-chromium-"));
  const removeProfile = () => rm(userDataDir, { recursive: true, force: true });

  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args,
      // Playwright disables all extensions by default; keep ours.
      ignoreDefaultArgs: extensionDir ? ["--disable-extensions"] : [],
    });
  } catch (error) {
    await removeProfile();
    throw error;
  }
  const close = async () => {
    await context.close();
    await removeProfile();
  };
  // A deliberately broken extension may never start its worker: tests of failing open.
  if (!extensionDir || !expectWorker) return { context, close };

  try {
    const serviceWorker =
      context.serviceWorkers()[0] ??
      (await context.waitForEvent("serviceworker", { timeout: 15_000 }));
    const extensionId = new URL(serviceWorker.url()).host;
    return { context, close, serviceWorker, extensionId };
  } catch (error) {
    await close();
    throw new Error(`extension in ${extensionDir} started no service worker: ${error.message}`);
  }
}
