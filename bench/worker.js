// The extension's service worker: cold start to engine ready, and its memory after an hour
// of simulated traffic across 20 tabs (time-compressed).
import { launchBrowser } from "../tests/e2e/browser.js";
import { EXTENSION_DIR } from "../tests/e2e/world.js";
import { startBenchServer } from "./lib/server.js";
import { median, round } from "./lib/stats.js";

const COLD_STARTS = 7;
const TABS = 20;
const REQUESTS_PER_TAB = 3_600; // an hour of one read a second, per tab
const FAIL_EVERY = 50; // 2 % of reads fail like an upstream outage

/** A CDP session on an extension page, and a way to talk to the worker's own target. */
async function workerChannel(browser) {
  const page = await browser.context.newPage();
  // chains.json: an extension page that never wakes the worker by itself.
  await page.goto(`chrome-extension://${browser.extensionId}/chains.json`);
  const cdp = await browser.context.newCDPSession(page);
  let nextId = 1;
  const waiting = new Map();
  cdp.on("Target.receivedMessageFromTarget", ({ message }) => {
    const reply = JSON.parse(message);
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
  async function workerSession() {
    const { targetInfos } = await cdp.send("Target.getTargets");
    const target = targetInfos.find(
      (t) => t.type === "service_worker" && t.url.includes(browser.extensionId),
    );
    if (!target) return null;
    const { sessionId } = await cdp.send("Target.attachToTarget", {
      targetId: target.targetId,
      flatten: false,
    });
    const send = (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        cdp.send("Target.sendMessageToTarget", {
          sessionId,
          message: JSON.stringify({ id, method, params }),
        });
      });
    return {
      send,
      detach: () => cdp.send("Target.detachFromTarget", { sessionId }).catch(() => {}),
    };
  }
  async function stopWorker() {
    const stopped = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      const onUpdate = ({ versions }) => {
        if (versions.some((v) => v.runningStatus === "stopped")) {
          clearTimeout(timer);
          cdp.off("ServiceWorker.workerVersionUpdated", onUpdate);
          resolve(true);
        }
      };
      cdp.on("ServiceWorker.workerVersionUpdated", onUpdate);
    });
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    const ok = await stopped;
    await cdp.send("ServiceWorker.disable");
    return ok;
  }
  /** Time from a message to a stopped worker until it answers with a running engine. */
  const statusRoundTrip = () =>
    page.evaluate(async () => {
      const t0 = performance.now();
      const answer = await chrome.runtime.sendMessage({ type: "popupStatus", tab: 0 });
      return { ms: performance.now() - t0, engine: answer?.engine === true };
    });
  return { page, workerSession, stopWorker, statusRoundTrip };
}

export async function runWorker() {
  const server = await startBenchServer();
  const browser = await launchBrowser({ extensionDir: EXTENSION_DIR });
  try {
    const channel = await workerChannel(browser);
    const warm = await channel.statusRoundTrip();
    const cold = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      if (!(await channel.stopWorker())) throw new Error("the worker did not stop");
      await new Promise((r) => setTimeout(r, 300));
      const r = await channel.statusRoundTrip();
      if (!r.engine) throw new Error("engine not ready after a cold start");
      cold.push(r.ms);
    }

    const heap = async (label) => {
      const session = await channel.workerSession();
      if (!session) return { label, error: "no service-worker target" };
      await session.send("HeapProfiler.collectGarbage");
      const { result } = await session.send("Runtime.getHeapUsage");
      // The wasm linear memory lives outside the JS heap: find every WebAssembly.Memory.
      const proto = await session.send("Runtime.evaluate", {
        expression: "WebAssembly.Memory.prototype",
      });
      const found = await session.send("Runtime.queryObjects", {
        prototypeObjectId: proto.result?.result?.objectId,
      });
      const sum = await session.send("Runtime.callFunctionOn", {
        objectId: found.result?.objects?.objectId,
        functionDeclaration:
          "function () { return this.reduce((s, m) => s + m.buffer.byteLength, 0); }",
        returnByValue: true,
      });
      await session.detach();
      return {
        label,
        jsHeapUsedBytes: result?.usedSize,
        jsHeapTotalBytes: result?.totalSize,
        wasmMemoryBytes: sum.result?.result?.value ?? null,
      };
    };
    const before = await heap("after start, no tabs");
    const began = performance.now();
    const pages = await Promise.all(
      Array.from({ length: TABS }, async () => {
        const page = await browser.context.newPage();
        await page.goto(`${server.url}/overhead.html?failEvery=${FAIL_EVERY}`);
        await page.waitForFunction(() => window.overheadReady === true);
        return page;
      }),
    );
    // Keep the worker awake and busy while the tabs run (it would otherwise idle out).
    await Promise.all(
      pages.map((page) =>
        page.evaluate(
          (n) => window.timeRequests({ n, warmup: 0, yieldEvery: 1 }).then(() => null),
          REQUESTS_PER_TAB,
        ),
      ),
    );
    const trafficMs = performance.now() - began;
    const during = await heap(`after ${TABS} tabs × ${REQUESTS_PER_TAB} reads, tabs open`);
    for (const page of pages) await page.close();
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await heap("after the tabs closed");
    await channel.page.close();
    return {
      coldStart: {
        runs: cold.map((v) => round(v, 1)),
        medianMs: round(median(cold), 1),
        maxMs: round(Math.max(...cold), 1),
        firstAnswerAfterLaunchMs: round(warm.ms, 1),
        what: "popupStatus message to a stopped worker until it answers with engine: true (worker start, wasm init, storage loads)",
      },
      memory: {
        tabs: TABS,
        requestsPerTab: REQUESTS_PER_TAB,
        failedShare: 1 / FAIL_EVERY,
        trafficWallMs: round(trafficMs, 0),
        samples: [before, during, after],
        what: "on the worker's target through the DevTools protocol, after a forced GC: Runtime.getHeapUsage (JS heap) and the byte length of every WebAssembly.Memory (the engine's linear memory)",
      },
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

if (process.argv[1] === import.meta.filename) {
  console.log(JSON.stringify(await runWorker(), null, 2));
}
