// `make bench`: every figure in one run, written to bench/results.json and bench/results.md.
// Parts: the criterion results (cargo bench runs first, from the Makefile), package size,
// healthy-path overhead, service worker, outage survival. BENCH_PARTS=size,overhead,... runs
// some only.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { round } from "./lib/stats.js";
import { CLIENTS, runOutage } from "./outage.js";
import { runOverhead } from "./overhead.js";
import { runWorker } from "./worker.js";

const ROOT = resolve(import.meta.dirname, "..");
const parts = (process.env.BENCH_PARTS ?? "criterion,size,overhead,worker,outage").split(",");
const log = (line) => console.error(`[bench] ${line}`);

function criterion() {
  const dir = join(ROOT, "target/criterion");
  const ids = [
    ["engine/handle_mixed_20_tabs", "events through Engine::handle (+ drain)", "events/s"],
    ["classify/wallet_error_mix_12", "outcome classifications", "classifications/s"],
    ["parse_response/block_number", "parse_response, eth_blockNumber answer (46 B)", "parses/s"],
    [
      "parse_response/error_with_data",
      "parse_response, revert error with data (260 B)",
      "parses/s",
    ],
    ["parse_response/get_logs_50", "parse_response, eth_getLogs with 50 logs (30 KB)", "parses/s"],
  ];
  return ids.map(([id, what, unit]) => {
    const est = join(dir, id, "new/estimates.json");
    const meta = join(dir, id, "new/benchmark.json");
    if (!existsSync(est)) return { id, what, error: "not run: cargo bench --bench engine" };
    const { mean } = JSON.parse(readFileSync(est, "utf8"));
    const elements = JSON.parse(readFileSync(meta, "utf8")).throughput?.Elements ?? 1;
    const perIterNs = mean.point_estimate;
    return {
      id,
      what,
      unit,
      perSecond: Math.round((elements * 1e9) / perIterNs),
      nsPerElement: round(perIterNs / elements, 1),
    };
  });
}

function size() {
  const wasm = readFileSync(join(ROOT, "dist/chrome/pkg/rpc_lifeline_bg.wasm"));
  return { wasmRawBytes: wasm.length, wasmGzipBytes: gzipSync(wasm, { level: 9 }).length };
}

const results = {
  date: new Date().toISOString(),
  machine: `2 cores shared, Node ${process.version}`,
};
const started = performance.now();
if (parts.includes("criterion")) results.criterion = criterion();
if (parts.includes("size")) results.size = size();
if (parts.includes("overhead")) {
  log("healthy-path overhead (2 × 2 × 10,000 requests in Chromium)…");
  results.overhead = await runOverhead();
}
if (parts.includes("worker")) {
  log("service worker: cold starts and memory…");
  results.worker = await runWorker();
}
if (parts.includes("outage")) {
  log("outage survival (8 scenarios, 5 clients at once)…");
  results.outage = await runOutage({ log });
}
results.wallSeconds = round((performance.now() - started) / 1000, 0);
writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(ROOT, "bench/results.md"), markdown(results));
log(`wrote bench/results.json and bench/results.md in ${results.wallSeconds} s`);
// viem's rank: true keeps pinging on a timer nothing can stop: end the process ourselves.
process.exit(0);

function markdown(r) {
  const out = [`# RPC Lifeline benchmarks (${r.date}, ${r.machine})`, ""];
  const table = (head, rows) => {
    out.push(`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`);
    for (const row of rows)
      out.push(`| ${row.map((c) => (c === null || c === undefined ? "–" : c)).join(" | ")} |`);
    out.push("");
  };
  const n = (v) => (typeof v === "number" ? v.toLocaleString("en-US") : v);
  if (r.outage) {
    out.push(
      "## Outage survival",
      "",
      `${r.outage.ratePerSec} reads/s open loop (eth_blockNumber, eth_getBalance, eth_call, eth_getLogs in turn); ` +
        `${r.outage.warmMs / 1000} s healthy, ${r.outage.outageMs / 1000} s outage on P1, ${r.outage.recoverMs / 1000} s recovery. ` +
        `${r.outage.endpoints}. Figures over the reads started during the outage.`,
      "",
    );
    const names = {
      wallet: "wallet alone",
      lifeline: "RPC Lifeline",
      viem: "viem fallback",
      viemRank: "viem fallback rank",
      ethers: "ethers FallbackProvider",
    };
    const rows = [];
    for (const s of r.outage.scenarios) {
      for (const c of CLIENTS) {
        const x = s.clients[c];
        rows.push([
          s.scenario,
          names[c],
          `${x.successRate} % (${x.correctWithin1sRate} %)`,
          x.wrong,
          `${n(x.p50Ms)} / ${n(x.p95Ms)} / ${n(x.p99Ms)}`,
          x.firstGoodReadMs === null ? "none" : n(x.firstGoodReadMs),
          x.returnToWalletMs === null ? `> ${r.outage.recoverMs / 1000} s` : n(x.returnToWalletMs),
          `${x.amplificationHealthy} / ${x.amplificationOutage}`,
        ]);
      }
    }
    table(
      [
        "P1 fault",
        "client",
        "correct",
        "wrong",
        "p50 / p95 / p99 ms",
        "first good read ms",
        "back on P1 ms",
        "amplification healthy / outage",
      ],
      rows,
    );
  }
  if (r.overhead) {
    const o = r.overhead;
    out.push(
      "## Healthy-path overhead",
      "",
      `${n(o.n)} sequential request() calls (after ${n(o.warmup)} warm-up) to an in-page provider that answers at once; timer resolution ${o.timerResolution}.`,
      "",
    );
    table(
      [
        "loop",
        "p50 without / with / added ms",
        "p99 without / with / added ms",
        "wall time per request added ms",
      ],
      ["backToBack", "yielding"].map((k) => [
        k === "backToBack"
          ? "back to back (microtasks only)"
          : "yielding to the event loop after each call",
        `${o.without[k].p50Ms} / ${o.with[k].p50Ms} / ${o.added[k].p50Ms}`,
        `${o.without[k].p99Ms} / ${o.with[k].p99Ms} / ${o.added[k].p99Ms}`,
        o.added[k].wallPerRequestMs,
      ]),
    );
  }
  if (r.criterion) {
    out.push("## Engine (native, criterion)", "");
    table(
      ["benchmark", "what", "per second", "ns each"],
      r.criterion.map((c) => [
        c.id,
        c.what,
        c.error ?? `${n(c.perSecond)} ${c.unit}`,
        c.nsPerElement ?? "–",
      ]),
    );
  }
  if (r.size || r.worker) {
    out.push("## Package and service worker", "");
    const rows = [];
    if (r.size)
      rows.push([
        "release wasm (dist/chrome)",
        `${n(r.size.wasmRawBytes)} B raw, ${n(r.size.wasmGzipBytes)} B gzipped`,
      ]);
    if (r.worker) {
      const w = r.worker;
      rows.push([
        "service-worker cold start → engine ready (median / max of 7)",
        `${w.coldStart.medianMs} / ${w.coldStart.maxMs} ms`,
      ]);
      for (const s of w.memory.samples) {
        rows.push([
          `worker memory ${s.label}`,
          `JS heap ${n(s.jsHeapUsedBytes)} B used; wasm memory ${n(s.wasmMemoryBytes)} B`,
        ]);
      }
    }
    table(["what", "figure"], rows);
  }
  return `${out.join("\n")}\n`;
}
