// Soak: many tabs reading at a steady rate while their wallets' RPCs fail and recover at
// random, in the real browser with the built extension (Protect mode).
//
//   SOAK_TABS (20) × SOAK_RATE reads/s (5) for SOAK_SECONDS (60; `make soak`: 600), wallets
//   spread over SOAK_WALLETS fault proxies (4) that switch modes every 3–10 s (SOAK_SEED).
//
// Checks: the service worker's JS heap (CDP Runtime.getHeapUsage after a forced GC) does not
// grow without bound; no report is lost (every read a page sent is reported started, and
// every read that settled is reported finished, counted where the background receives them);
// and at the end, after a final fault state held long enough for every verdict to settle,
// every tab's badge matches the truth of its wallet. Figures go to tests/e2e/.out/soak.json.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startFaultProxy } from "../rig/fault-proxy.js";
import { badgeState, badgeUntil, ROOT, startWorld, tabIdOf } from "./world.js";

const TABS = Number(process.env.SOAK_TABS ?? 20);
const RATE = Number(process.env.SOAK_RATE ?? 5);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const WALLETS = Number(process.env.SOAK_WALLETS ?? 4);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
/** The final fault state is held this long before the badges are judged. */
const FINAL_HOLD_MS = 20_000;
/** A wallet that recovered is re-tried after at most this cooldown (the engine's setting). */
const MAX_COOLDOWN_MS = 10_000;
const FAULTS = [
  "ok",
  "ok",
  "ok",
  "hang",
  "http:503",
  "http:429:2",
  "rpcerr:-32603",
  "refuse",
  "slow:2000",
];
/** The end state, per wallet (cycled): the badge must say which. */
const FINAL = ["ok", "http:503", "ok", "rpcerr:-32603", "hang"];

/** mulberry32: a small seeded generator, so a failing run can be replayed with SOAK_SEED. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A DevTools session on the extension's service worker, through one of its own pages. */
async function workerSession(world) {
  const page = await world.context.newPage();
  await page.goto(`chrome-extension://${world.browser.extensionId}/chains.json`);
  const cdp = await world.context.newCDPSession(page);
  const { targetInfos } = await cdp.send("Target.getTargets");
  const sw = targetInfos.find(
    (t) => t.type === "service_worker" && t.url.includes(world.browser.extensionId),
  );
  assert.ok(sw, "the extension's service worker is running");
  const { sessionId } = await cdp.send("Target.attachToTarget", {
    targetId: sw.targetId,
    flatten: false,
  });
  let next = 0;
  const waiting = new Map();
  cdp.on("Target.receivedMessageFromTarget", (event) => {
    const message = JSON.parse(event.message);
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 10_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result);
      });
      cdp.send("Target.sendMessageToTarget", {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  return {
    async heap() {
      await call("HeapProfiler.collectGarbage");
      const usage = await call("Runtime.getHeapUsage");
      return { usedBytes: usage.usedSize, totalBytes: usage.totalSize, at: Date.now() };
    },
    close: async () => {
      await cdp.detach().catch(() => {});
      await page.close().catch(() => {});
    },
  };
}

let world;
const proxies = [];
after(async () => {
  for (const p of proxies) await p.stop().catch(() => {});
  await world?.stop();
});

before(async () => {
  world = await startWorld({
    settings: { mode: "protect", engineSettings: { maxCooldownMs: MAX_COOLDOWN_MS } },
  });
  for (let i = 0; i < WALLETS; i++)
    proxies.push(await startFaultProxy({ upstream: world.anvil.url }));
});

test(`soak: ${TABS} tabs × ${RATE} reads/s for ${SECONDS} s with random faults`, {
  timeout: (SECONDS + 240) * 1000,
}, async (t) => {
  const rand = random(SEED);
  t.diagnostic(`seed ${SEED}`);
  // Counts what the background receives, per tab, on the same ports the engine listens to.
  // A read the engine reroutes is not sent to the wallet: it is one "fallback" message,
  // answered on the same port; count those that were served too.
  await world.serviceWorker.evaluate(() => {
    const counts = { started: {}, finished: {}, rerouted: {} };
    globalThis.__soak = counts;
    const bump = (bucket, tab) => {
      bucket[tab] = (bucket[tab] ?? 0) + 1;
    };
    chrome.runtime.onConnect.addListener((port) => {
      const tab = port.sender?.tab?.id;
      const reroutes = new Set();
      port.onMessage.addListener((m) => {
        if (m?.type === "requestStarted") bump(counts.started, tab);
        else if (m?.type === "requestFinished") bump(counts.finished, tab);
        else if (m?.type === "fallback" && m.reason === "reroute") reroutes.add(m.id);
      });
      const post = port.postMessage.bind(port);
      port.postMessage = (m) => {
        if (m?.type === "fallbackResult" && reroutes.delete(m.id) && m.served) {
          bump(counts.rerouted, tab);
        }
        return post(m);
      };
    });
  });

  const pages = [];
  for (let i = 0; i < TABS; i++) {
    const page = await world.context.newPage();
    page.wallet = i % WALLETS;
    await page.goto(
      `${world.server.url}/dapp.html?${new URLSearchParams({ rpc: proxies[page.wallet].url, tab: String(i) })}`,
    );
    await page.evaluate(() => window.dappReady);
    pages.push(page);
  }
  for (const page of pages) page.tabId = await tabIdOf(world, page);

  const worker = await workerSession(world);
  const heap = [await worker.heap()];
  const countsBefore = await world.serviceWorker.evaluate(() => structuredClone(globalThis.__soak));

  // Traffic: each page sends reads straight to window.ethereum (the wrapper in between) and
  // counts what it sent and what settled.
  await Promise.all(
    pages.map((page) =>
      page.evaluate((everyMs) => {
        const reads = [
          { method: "eth_blockNumber" },
          {
            method: "eth_getBalance",
            params: ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "latest"],
          },
          {
            method: "eth_call",
            params: [{ to: "0x0000000000000000000000000000000000000002", data: "0x01" }, "latest"],
          },
        ];
        window.__soak = { sent: 0, settled: 0, ok: 0, failed: 0 };
        let turn = 0;
        window.__soakTimer = setInterval(() => {
          window.__soak.sent += 1;
          window.ethereum.request(reads[turn++ % reads.length]).then(
            () => {
              window.__soak.settled += 1;
              window.__soak.ok += 1;
            },
            () => {
              window.__soak.settled += 1;
              window.__soak.failed += 1;
            },
          );
        }, everyMs);
      }, 1000 / RATE),
    ),
  );

  // Faults switch at random until the end; then the final state is held.
  const switches = [];
  const start = Date.now();
  const end = start + SECONDS * 1000;
  const nextSwitch = proxies.map(() => start + 3000 + rand() * 7000);
  let nextHeap = start + 10_000;
  while (Date.now() < end) {
    const now = Date.now();
    for (let i = 0; i < proxies.length; i++) {
      if (now >= nextSwitch[i]) {
        const mode = FAULTS[Math.floor(rand() * FAULTS.length)];
        await proxies[i].setMode(mode);
        switches.push({ wallet: i, mode, atS: Math.round((now - start) / 1000) });
        nextSwitch[i] = now + 3000 + rand() * 7000;
      }
    }
    if (now >= nextHeap) {
      heap.push(await worker.heap());
      nextHeap = now + Math.max(10_000, (SECONDS * 1000) / 30);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const finalModes = proxies.map((_, i) => FINAL[i % FINAL.length]);
  for (let i = 0; i < proxies.length; i++) await proxies[i].setMode(finalModes[i]);
  await new Promise((r) => setTimeout(r, FINAL_HOLD_MS));

  // The badge matches the truth: healthy where the wallet answers, not healthy where it fails.
  const expectOf = (page) =>
    finalModes[page.wallet] === "ok" ? ["healthy"] : ["failing", "rerouting"];
  const verdicts = await Promise.all(
    pages.map(async (page) => {
      const wanted = expectOf(page);
      const state = await badgeUntil(page, wanted, MAX_COOLDOWN_MS * 2 + 10_000)
        .then((badge) => badge.state)
        .catch(async () => (await badgeState(page))?.state ?? null);
      return { tab: page.tabId, wallet: page.wallet, mode: finalModes[page.wallet], wanted, state };
    }),
  );

  // What the engine says about each tab, for the record (and to explain a mismatch).
  const popup = await world.context.newPage();
  await popup.goto(`chrome-extension://${world.browser.extensionId}/popup.html`);
  for (const v of verdicts) {
    const answer = await popup.evaluate(
      (tab) => chrome.runtime.sendMessage({ type: "popupStatus", tab }),
      v.tab,
    );
    v.sentence = answer?.status?.wallets?.[0]?.sentence ?? null;
  }
  await popup.close();

  // Stop the traffic, let every wallet answer, let the last reads settle.
  await Promise.all(pages.map((p) => p.evaluate(() => clearInterval(window.__soakTimer))));
  for (const p of proxies) await p.setMode("ok");
  // A rerouted read can take up to the page's hop deadline (5.2 s) to settle, and its report
  // reaches the worker after that: wait until every page has settled what it sent and the
  // worker's counts stop changing, instead of a fixed sleep that a loaded machine outruns.
  const settledBy = Date.now() + 30_000;
  let pageCounts;
  let countsAfter;
  let previous = "";
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    pageCounts = await Promise.all(pages.map((p) => p.evaluate(() => window.__soak)));
    countsAfter = await world.serviceWorker.evaluate(() =>
      structuredClone(globalThis.__soak ?? null),
    );
    const snapshot = JSON.stringify([pageCounts, countsAfter]);
    const settled = pageCounts.every((c) => c.settled === c.sent);
    if ((settled && snapshot === previous) || Date.now() > settledBy) break;
    previous = snapshot;
  }
  heap.push(await worker.heap());
  await worker.close();

  const reports = pages.map((page, i) => ({
    tab: page.tabId,
    sent: pageCounts[i].sent,
    settled: pageCounts[i].settled,
    ok: pageCounts[i].ok,
    failed: pageCounts[i].failed,
    started: (countsAfter?.started[page.tabId] ?? 0) - (countsBefore.started[page.tabId] ?? 0),
    finished: (countsAfter?.finished[page.tabId] ?? 0) - (countsBefore.finished[page.tabId] ?? 0),
    rerouted: (countsAfter?.rerouted[page.tabId] ?? 0) - (countsBefore.rerouted[page.tabId] ?? 0),
  }));
  const sent = reports.reduce((n, r) => n + r.sent, 0);
  const figures = {
    seed: SEED,
    tabs: TABS,
    rate: RATE,
    seconds: SECONDS,
    wallets: WALLETS,
    reads: sent,
    readsPerSecond: Math.round(sent / SECONDS),
    settled: reports.reduce((n, r) => n + r.settled, 0),
    failedReads: reports.reduce((n, r) => n + r.failed, 0),
    switches: switches.length,
    heapStartBytes: heap[0].usedBytes,
    heapPeakBytes: Math.max(...heap.map((h) => h.usedBytes)),
    heapEndBytes: heap.at(-1).usedBytes,
    heap: heap.map((h) => ({ atS: Math.round((h.at - start) / 1000), usedBytes: h.usedBytes })),
    fallbackRequests: world.fallback.stats(),
    finalModes,
    verdicts,
    reports,
  };
  await mkdir(join(ROOT, "tests/e2e/.out"), { recursive: true });
  await writeFile(join(ROOT, "tests/e2e/.out/soak.json"), `${JSON.stringify(figures, null, 2)}\n`);
  t.diagnostic(
    `reads ${figures.reads} (${figures.readsPerSecond}/s), failed ${figures.failedReads}, ` +
      `fault switches ${figures.switches}; worker heap after GC: start ${figures.heapStartBytes}, ` +
      `peak ${figures.heapPeakBytes}, end ${figures.heapEndBytes} bytes`,
  );

  // No unbounded growth: the heap after GC ends within 2× + 2 MB of where it started.
  assert.ok(
    figures.heapEndBytes <= figures.heapStartBytes * 2 + 2 * 1024 * 1024,
    `worker heap grew from ${figures.heapStartBytes} to ${figures.heapEndBytes} bytes`,
  );
  // The traffic really ran: at least 80% of the nominal rate.
  assert.ok(sent >= TABS * RATE * SECONDS * 0.8, `only ${sent} reads sent`);
  // No lost reports.
  assert.ok(countsAfter, "the service worker restarted during the soak (counters lost)");
  for (const r of reports) {
    assert.equal(
      r.started + r.rerouted,
      r.sent,
      `tab ${r.tab}: reads sent vs reported or rerouted`,
    );
    assert.equal(
      r.finished + r.rerouted,
      r.settled,
      `tab ${r.tab}: settled vs reported or rerouted`,
    );
  }
  // The badge matches the truth.
  for (const v of verdicts) {
    assert.ok(
      v.wanted.includes(v.state),
      `tab ${v.tab} (wallet ${v.wallet} ${v.mode}): badge ${v.state}`,
    );
  }
  for (const page of pages) await page.close();
});
