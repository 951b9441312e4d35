// Helpers for the tests of the options page and managed configuration.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The development build's fixed id: the manifest's `key` decides it (see docs/options.md). */
export const EXTENSION_ID = "pkfekmaphookbngemijpcfkghbogfmna";
export const CHROME_DIST = fileURLToPath(new URL("../../dist/chrome", import.meta.url));
export const FIREFOX_DIST = fileURLToPath(new URL("../../dist/firefox", import.meta.url));

export function requireBuiltExtension() {
  if (!existsSync(`${CHROME_DIST}/options.html`)) {
    throw new Error(`no built extension in ${CHROME_DIST}: run \`make extension\` first`);
  }
}

/** Opens the options page and waits until it rendered the background's answer. */
export async function openOptions(context, extensionId) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`chrome-extension://${extensionId}/options.html`);
  await page.waitForFunction(() => document.querySelectorAll("#chain option").length > 1, null, {
    timeout: 10_000,
  });
  page.errors = errors;
  return page;
}

/** Sends a message to the background from an extension page, as the options page does. */
export const ask = (page, msg) => page.evaluate((m) => chrome.runtime.sendMessage(m), msg);

/** The extension's storage.local, read from an extension page. */
export const stored = (page, keys) => page.evaluate((k) => chrome.storage.local.get(k), keys);

/** Polls `check` until it returns a truthy value; throws `message` after `timeoutMs`. */
export async function waitFor(check, message, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${message} (last: ${JSON.stringify(last)?.slice(0, 500)})`);
}
