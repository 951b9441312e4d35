// Prints what each page of dist/www makes a first-time visitor download: every file the page
// loads from its own server in headless Chromium, raw and gzipped (level 9; what a static
// server with compression sends). JSON-RPC traffic to the endpoints is not counted.
// Usage: node scripts/page-weights.js  (after make build)
import { gzipSync } from "node:zlib";
import { launchBrowser } from "../tests/e2e/browser.js";
import { startWwwWorld } from "./www-server.js";

/** Files only the demo serves (the test wallet stands in for a real wallet's own code). */
const DEMO_ONLY = /^\/(rig\/|fixtures\/|__demo\/|__control)/;

const world = await startWwwWorld({ backups: 1 });
const browser = await launchBrowser();
const backup = world.config.fallbacks[0].url;
const pages = [
  ["playground", "/", () => window.playground?.lifeline],
  ["dashboard (before a check)", "/dashboard.html", () => window.dashboard],
  [
    "dashboard (checking)",
    `/dashboard.html?chain=31337&start&rpc=${encodeURIComponent(backup)}`,
    () => window.dashboard?.run,
  ],
  ["embed example", "/embed.html", () => window.embedExample?.lifeline],
];

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
try {
  for (const [name, path, ready] of pages) {
    // The server sends no validators, so every page load downloads every file again.
    const page = await browser.context.newPage();
    const files = new Map();
    page.on("response", async (response) => {
      const url = new URL(response.url());
      if (url.origin !== world.url || response.request().method() !== "GET") return;
      try {
        const body = await response.body();
        files.set(url.pathname, { raw: body.length, gz: gzipSync(body, { level: 9 }).length });
      } catch {
        // a response without a body (redirect): nothing downloaded
      }
    });
    await page.goto(`${world.url}${path}`, { waitUntil: "load" });
    await page.waitForFunction(ready, null, { timeout: 15_000 });
    await page.evaluate(
      () => window.playground?.lifeline.ready ?? window.embedExample?.lifeline.ready,
    );
    await page.waitForLoadState("networkidle");
    let raw = 0;
    let gz = 0;
    let demoRaw = 0;
    let demoGz = 0;
    const lines = [];
    for (const [file, size] of [...files].sort((a, b) => b[1].raw - a[1].raw)) {
      const demo = DEMO_ONLY.test(file);
      if (demo) {
        demoRaw += size.raw;
        demoGz += size.gz;
      } else {
        raw += size.raw;
        gz += size.gz;
      }
      lines.push(
        `    ${file.padEnd(36)}${kb(size.raw).padStart(10)}${kb(size.gz).padStart(10)}${demo ? "  (demo only)" : ""}`,
      );
    }
    const own = [...files.keys()].filter((file) => !DEMO_ONLY.test(file)).length;
    console.log(`${name}: ${kb(raw)} raw, ${kb(gz)} gzipped, ${own} files`);
    if (demoRaw) {
      console.log(
        `  plus ${files.size - own} demo-only files (test wallet, config): ` +
          `${kb(demoRaw)} raw, ${kb(demoGz)} gzipped`,
      );
    }
    console.log(lines.join("\n"));
    await page.close();
  }
} finally {
  await browser.close();
  await world.stop();
}
