// Healthy-path overhead: the added time per EIP-1193 request() through the extension's
// wrapper, against an in-page provider that answers at once, with vs. without the extension.
import { launchBrowser } from "../tests/e2e/browser.js";
import { EXTENSION_DIR } from "../tests/e2e/world.js";
import { startBenchServer } from "./lib/server.js";
import { mean, quantile, round } from "./lib/stats.js";

const N = 10_000;
const WARMUP = 2_000;

async function measure(server, extensionDir) {
  const browser = await launchBrowser(extensionDir ? { extensionDir } : {});
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/overhead.html?isolated`);
    await page.waitForFunction(() => window.overheadReady === true);
    const runs = {};
    for (const [name, yieldEvery] of [
      ["backToBack", 0],
      ["yielding", 1],
    ]) {
      const r = await page.evaluate((o) => window.timeRequests(o), {
        n: N,
        warmup: WARMUP,
        yieldEvery,
      });
      runs[name] = {
        n: N,
        p50Ms: quantile(r.durations, 0.5),
        p99Ms: quantile(r.durations, 0.99),
        meanMs: mean(r.durations),
        wallPerRequestMs: r.wallMs / N,
        isolated: r.isolated,
        wrapped: r.wrapped,
      };
    }
    await page.close();
    return runs;
  } finally {
    await browser.close();
  }
}

export async function runOverhead() {
  const server = await startBenchServer();
  try {
    const without = await measure(server, null);
    const withExt = await measure(server, EXTENSION_DIR);
    if (!withExt.backToBack.wrapped) throw new Error("the extension did not wrap window.ethereum");
    const added = {};
    for (const run of Object.keys(without)) {
      added[run] = {
        p50Ms: round(withExt[run].p50Ms - without[run].p50Ms, 4),
        p99Ms: round(withExt[run].p99Ms - without[run].p99Ms, 4),
        meanMs: round(withExt[run].meanMs - without[run].meanMs, 4),
        wallPerRequestMs: round(withExt[run].wallPerRequestMs - without[run].wallPerRequestMs, 4),
      };
    }
    const r4 = (o) =>
      Object.fromEntries(
        Object.entries(o).map(([k, v]) => [k, typeof v === "number" ? round(v, 4) : v]),
      );
    return {
      n: N,
      warmup: WARMUP,
      timerResolution: without.backToBack.isolated ? "5 µs (cross-origin isolated)" : "100 µs",
      without: { backToBack: r4(without.backToBack), yielding: r4(without.yielding) },
      with: { backToBack: r4(withExt.backToBack), yielding: r4(withExt.yielding) },
      added,
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] === import.meta.filename) {
  console.log(JSON.stringify(await runOverhead(), null, 2));
}
