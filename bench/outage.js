// Outage survival: one open-loop dapp workload, the same for every client, against a wallet
// RPC (P1) that fails for a window in each mode, with two healthy fallbacks (F1, F2).
// Clients, all in the same run, each on its own trio of endpoints in front of one anvil:
//   wallet    Chromium, no extension: the page's reads go through the test wallet to P1
//   lifeline  Chromium with dist/chrome (Protect mode), F1 and F2 as the user's endpoints
//   viem      Node, viem fallback([P1, F1, F2]) with its defaults
//   viemRank  Node, the same with rank: true
//   ethers    Node, ethers v6 FallbackProvider([P1, F1, F2]) with its defaults
// Each endpoint is the rig's fault proxy in front of a jitter proxy (40–80 ms) in front of
// anvil (a block a second). Faults are switched on every client's P1 at the same moment.

import { FallbackProvider, JsonRpcProvider, Network } from "ethers";
import { createPublicClient, defineChain, fallback, http } from "viem";
import { launchBrowser } from "../tests/e2e/browser.js";
import { anvilChain, EXTENSION_DIR } from "../tests/e2e/world.js";
import { startAnvil } from "../tests/rig/anvil.js";
import { startFaultProxy } from "../tests/rig/fault-proxy.js";
import { rpcCall } from "../tests/rig/json-rpc.js";
import { startJitterProxy } from "./lib/jitter.js";
import { startBenchServer } from "./lib/server.js";
import { quantile, round } from "./lib/stats.js";
import { DEV_ACCOUNT, normalise, openLoop, READS } from "./pages/workload-core.js";

export const SCENARIOS = [
  { name: "hang", p1: "hang" },
  { name: "refuse", p1: "refuse" },
  { name: "http 503", p1: "http:503" },
  { name: "http 429, Retry-After 5", p1: "http:429:5" },
  { name: "rpc -32603", p1: "rpcerr:-32603" },
  { name: "slow 3 s", p1: "slow:3000" },
  { name: "stale head", p1: "stale" },
  { name: "hang + flaky F1 (503 every other second)", p1: "hang", flakyF1: true },
];
export const CLIENTS = ["wallet", "lifeline", "viem", "viemRank", "ethers"];
const RATE = 10; // requests per second
const WARM_MS = Number(process.env.BENCH_WARM_MS ?? 5_000);
const OUTAGE_MS = Number(process.env.BENCH_OUTAGE_MS ?? 10_000);
const RECOVER_MS = Number(process.env.BENCH_RECOVER_MS ?? 8_000);
const GRACE_MS = 2_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

async function startTrio(anvilUrl) {
  const trio = {};
  for (const name of ["p1", "f1", "f2"]) {
    const jitter = await startJitterProxy({ upstream: anvilUrl });
    const fault = await startFaultProxy({ upstream: jitter.url });
    trio[name] = { jitter, fault, url: fault.url };
  }
  trio.requests = () =>
    trio.p1.fault.stats().requests +
    trio.f1.fault.stats().requests +
    trio.f2.fault.stats().requests;
  trio.stop = async () => {
    for (const name of ["p1", "f1", "f2"]) {
      await trio[name].fault.stop().catch(() => {});
      await trio[name].jitter.stop().catch(() => {});
    }
  };
  return trio;
}

/** A browser client: opens a fresh workload page (a fresh tab) for each scenario. */
function browserClient(browser, server, trio) {
  let page;
  return {
    async prepare() {
      page = await browser.context.newPage();
      await page.goto(`${server.url}/workload.html?rpc=${encodeURIComponent(trio.p1.url)}`);
      await page.waitForFunction(() => window.workloadReady === true);
    },
    start: () => page.evaluate((rate) => window.startLoad({ ratePerSec: rate }), RATE),
    stop: () => page.evaluate(() => window.stopLoad()),
    records: () => page.evaluate(() => window.records),
    async close() {
      await page.close();
    },
  };
}

const anvilViemChain = defineChain({
  id: 31337,
  name: "Anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } },
});

/** A Node client around an EIP-1193-like `request` made fresh for each scenario. */
function nodeClient(make) {
  let records;
  let stopLoop;
  let client;
  return {
    async prepare() {
      records = [];
      client = make();
    },
    async start() {
      stopLoop = openLoop({ ratePerSec: RATE, request: client.request, records });
    },
    async stop() {
      stopLoop();
    },
    records: async () => records.map((r) => ({ ...r })),
    async close() {
      client.destroy?.();
    },
  };
}

function viemClient(trio, options) {
  return nodeClient(() => {
    const transport = fallback(
      [trio.p1.url, trio.f1.url, trio.f2.url].map((url) => http(url)),
      options,
    );
    const client = createPublicClient({ chain: anvilViemChain, transport });
    return { request: (read) => client.request(read) };
  });
}

function ethersClient(trio) {
  return nodeClient(() => {
    const network = Network.from(31337);
    const provider = new FallbackProvider(
      [trio.p1.url, trio.f1.url, trio.f2.url].map(
        (url) => new JsonRpcProvider(url, network, { staticNetwork: network }),
      ),
      network,
    );
    const callTx = READS[2].params[0];
    const byMethod = {
      eth_blockNumber: () => provider.getBlockNumber(),
      eth_getBalance: () => provider.getBalance(DEV_ACCOUNT),
      eth_call: () => provider.call(callTx),
      eth_getLogs: () => provider.getLogs({ fromBlock: 0, toBlock: 0 }),
    };
    return { request: (read) => byMethod[read.method](), destroy: () => provider.destroy() };
  });
}

/** Polls anvil's head every 100 ms: [time, head] samples, to judge block numbers. */
function trackHead(anvilUrl) {
  const samples = [];
  let running = true;
  (async () => {
    while (running) {
      const t = now();
      const head = Number(await rpcCall(anvilUrl, "eth_blockNumber").catch(() => Number.NaN));
      if (Number.isFinite(head)) samples.push([t, head]);
      await sleep(100);
    }
  })();
  return {
    at(t) {
      let head = null;
      for (const [st, h] of samples) {
        if (st > t) break;
        head = h;
      }
      return head;
    },
    stop() {
      running = false;
    },
  };
}

/** Whether a record's result is correct: equal to anvil's answer, or a head not stale. */
function judge(record, expected, head) {
  if (record.end === null || record.error) return "failed";
  if (record.method === "eth_blockNumber") {
    // Stale = older than the head anvil had one second before the read started (a block a
    // second; the one-second grace absorbs head polling and any client-side caching).
    const floor = head.at(record.start - 1_000);
    return floor !== null && record.value < floor ? "wrong" : "ok";
  }
  return record.value === expected[record.method] ? "ok" : "wrong";
}

function summarise({ records, expected, head, times, counts, p1Return, collectedAt }) {
  const inOutage = records.filter((r) => r.start >= times.outage && r.start < times.recovered);
  const inWarm = records.filter((r) => r.start < times.outage);
  const verdicts = inOutage.map((r) => judge(r, expected, head));
  const latencies = inOutage.map((r) => (r.end ?? collectedAt) - r.start);
  const good = inOutage
    .filter((_r, i) => verdicts[i] === "ok")
    .map((r) => r.end - times.outage)
    .sort((a, b) => a - b);
  const wrongAll = records.filter((r) => judge(r, expected, head) === "wrong").length;
  const pending = inOutage.filter((r) => r.end === null).length;
  return {
    requests: inOutage.length,
    successRate: round((100 * verdicts.filter((v) => v === "ok").length) / inOutage.length, 1),
    correctWithin1sRate: round(
      (100 * inOutage.filter((r, i) => verdicts[i] === "ok" && r.end - r.start <= 1_000).length) /
        inOutage.length,
      1,
    ),
    wrong: verdicts.filter((v) => v === "wrong").length,
    // When each wrong read started, ms into the outage: shows which phase let it through.
    wrongStartsMs: inOutage
      .filter((_r, i) => verdicts[i] === "wrong")
      .map((r) => round(r.start - times.outage, 0)),
    wrongWholeRun: wrongAll,
    failed: verdicts.filter((v) => v === "failed").length,
    pendingAtEnd: pending,
    p50Ms: round(quantile(latencies, 0.5), 0),
    p95Ms: round(quantile(latencies, 0.95), 0),
    p99Ms: round(quantile(latencies, 0.99), 0),
    firstGoodReadMs: good.length ? round(good[0], 0) : null,
    returnToWalletMs: p1Return === null ? null : round(p1Return - times.recovered, 0),
    amplificationHealthy: round((counts.outage - counts.start) / inWarm.length, 2),
    amplificationOutage: round((counts.recovered - counts.outage) / inOutage.length, 2),
    errorsSample: [
      ...new Set(inOutage.filter((r) => r.error).map((r) => `${r.error.code}: ${r.error.message}`)),
    ].slice(0, 3),
  };
}

export async function runOutage({ log = console.log } = {}) {
  const stops = [];
  try {
    const anvil = await startAnvil({ blockTime: 1 });
    stops.push(() => anvil.stop());
    const server = await startBenchServer();
    stops.push(() => server.stop());
    const trios = {};
    for (const name of CLIENTS) {
      trios[name] = await startTrio(anvil.url);
      stops.push(() => trios[name].stop());
    }
    const plain = await launchBrowser({});
    stops.push(() => plain.close());
    const ext = await launchBrowser({ extensionDir: EXTENSION_DIR });
    stops.push(() => ext.close());
    await ext.serviceWorker.evaluate((values) => chrome.storage.local.set(values), {
      userChains: [anvilChain([trios.lifeline.f1.url, trios.lifeline.f2.url])],
      mode: "protect",
    });
    const clients = {
      wallet: browserClient(plain, server, trios.wallet),
      lifeline: browserClient(ext, server, trios.lifeline),
      viem: viemClient(trios.viem, {}),
      viemRank: viemClient(trios.viemRank, { rank: true }),
      ethers: ethersClient(trios.ethers),
    };
    const expected = {};
    for (const read of READS.slice(1)) {
      expected[read.method] = normalise(
        read.method,
        await rpcCall(anvil.url, read.method, read.params),
      );
    }
    const head = trackHead(anvil.url);
    stops.push(async () => head.stop());

    const results = [];
    const only = process.env.BENCH_ONLY?.split(",");
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.p1))) {
      for (const name of CLIENTS) {
        for (const p of ["p1", "f1", "f2"]) await trios[name][p].fault.setMode("ok");
      }
      await Promise.all(CLIENTS.map((name) => clients[name].prepare()));
      const times = Object.fromEntries(CLIENTS.map((n) => [n, {}]));
      const counts = Object.fromEntries(CLIENTS.map((n) => [n, {}]));
      const snap = (key) => {
        for (const n of CLIENTS) counts[n][key] = trios[n].requests();
      };
      snap("start");
      await Promise.all(CLIENTS.map((name) => clients[name].start()));
      await sleep(WARM_MS);
      snap("outage");
      await Promise.all(
        CLIENTS.map(async (n) => {
          times[n].outage = now();
          await trios[n].p1.fault.setMode(scenario.p1);
        }),
      );
      let flap = null;
      if (scenario.flakyF1) {
        let down = false;
        flap = setInterval(() => {
          down = !down;
          for (const n of CLIENTS) trios[n].f1.fault.setMode(down ? "http:503" : "ok");
        }, 1_000);
      }
      await sleep(OUTAGE_MS);
      if (flap) clearInterval(flap);
      snap("recovered");
      const p1Before = {};
      for (const n of CLIENTS) {
        await trios[n].f1.fault.setMode("ok");
        await trios[n].p1.fault.setMode("ok");
        times[n].recovered = now();
        p1Before[n] = trios[n].p1.fault.stats().requests;
      }
      // When each client's reads reach P1 again (P1 forwards everything it receives now).
      const p1Return = Object.fromEntries(CLIENTS.map((n) => [n, null]));
      const recoverEnd = now() + RECOVER_MS;
      while (now() < recoverEnd) {
        for (const n of CLIENTS) {
          if (p1Return[n] === null && trios[n].p1.fault.stats().requests > p1Before[n])
            p1Return[n] = now();
        }
        await sleep(20);
      }
      snap("end");
      await Promise.all(CLIENTS.map((name) => clients[name].stop()));
      await sleep(GRACE_MS);
      const collectedAt = now();
      const row = { scenario: scenario.name, mode: scenario.p1, clients: {} };
      for (const n of CLIENTS) {
        const records = await clients[n].records();
        row.clients[n] = summarise({
          records,
          expected,
          head,
          times: times[n],
          counts: counts[n],
          p1Return: p1Return[n],
          collectedAt,
        });
        await clients[n].close();
      }
      results.push(row);
      log(
        `outage ${scenario.name}: ${CLIENTS.map((n) => `${n} ${row.clients[n].successRate}% p99 ${row.clients[n].p99Ms} ms wrong ${row.clients[n].wrong} amp ${row.clients[n].amplificationOutage}`).join(" | ")}`,
      );
    }
    return {
      ratePerSec: RATE,
      warmMs: WARM_MS,
      outageMs: OUTAGE_MS,
      recoverMs: RECOVER_MS,
      endpoints:
        "fault proxy → 40–80 ms jitter proxy → anvil (block time 1 s); P1 = wallet RPC, F1/F2 = fallbacks",
      scenarios: results,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

if (process.argv[1] === import.meta.filename) {
  const out = await runOutage();
  console.log(JSON.stringify(out, null, 2));
}
