// The endpoint dashboard: the engine probes the chosen endpoints from this page (its own
// eth_chainId / eth_blockNumber probes, at the cadence picked here), and a tally of what those
// probes saw ranks the endpoints and explains each rank.
//
// The engine has no per-endpoint status in its API, and runProbe resolves to actions only. Its
// HTTP goes through the page's global fetch (gloo-net), so observing fetch here sees exactly
// the requests the engine sent and the answers it judged, without sending a second request.
import { loadBundledChains, loadEngine } from "../lifeline/embed.js";
import { el, formatMs } from "./common.js";

const $ = (id) => document.getElementById(id);

/** The engine probes at most this many endpoints of a chain (its candidatesPerChain cap). */
const MAX_ENDPOINTS = 16;
const TRACKING = ["none", "limited", "yes", "unspecified"];
/** Samples kept per endpoint; percentiles and error rates use the window below. */
const MAX_SAMPLES = 400;
const WINDOW_MS = 5 * 60_000;
const CHART_MS = 2 * 60_000;
const MIN_CHART_MS = 30_000;
/** The engine's own staleness rule (maxHeadLagBlocks). */
const MAX_HEAD_LAG = 3;
const TAB = 1;
const WALLET = "dashboard";
// No reds: red means "failing" everywhere else on these pages.
const COLORS = [
  "#2563eb",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#ca8a04",
  "#db2777",
  "#4f46e5",
  "#65a30d",
  "#0d9488",
  "#7c3aed",
  "#0369a1",
  "#a16207",
  "#be185d",
  "#15803d",
  "#6d28d9",
];
const TRACKING_WORDS = {
  none: ["No tracking", "good"],
  limited: ["Limited", "warn"],
  yes: ["Tracks users", "bad"],
  unspecified: ["Not stated", ""],
};
const TRACKING_WHY = {
  yes: "its operator tracks users",
  limited: "its operator keeps limited data about users",
  unspecified: "its operator does not say whether it tracks users",
};

let bundled = [];
let run = null;

async function boot() {
  bundled = await loadBundledChains();
  const select = $("chain");
  for (const chain of bundled) {
    select.append(el("option", { value: chain.chainId }, `${chain.name} (${chain.chainId})`));
  }
  select.append(el("option", { value: "custom" }, "Other: paste endpoints"));
  select.addEventListener("change", () => fillFromChain());
  $("setup").addEventListener("submit", (event) => {
    event.preventDefault();
    start().catch(showError);
  });
  observeEngineFetches();
  discoverWallet();

  // ?chain=31337&rpc=URL&rpc=URL%20none&every=1000&start — for links and tests.
  const query = new URLSearchParams(location.search);
  const chainId = Number(query.get("chain"));
  if (Number.isSafeInteger(chainId) && chainId > 0) {
    const known = bundled.some((c) => c.chainId === chainId);
    select.value = known ? String(chainId) : "custom";
    $("chain-id").value = String(chainId);
  }
  if (query.get("every")) $("every").value = query.get("every");
  if (query.getAll("rpc").length) {
    if (select.value !== "custom" && !Number.isSafeInteger(chainId)) select.value = "custom";
    $("endpoints").value = query.getAll("rpc").join("\n");
    showChainIdField();
  } else {
    fillFromChain();
  }
  window.dashboard = {
    get run() {
      return run;
    },
  };
  if (query.has("start")) await start().catch(showError);
}

function showChainIdField() {
  $("chain-id-field").hidden = $("chain").value !== "custom";
}

/** The chosen bundled chain's endpoints: those that do not track first, up to the cap. */
function fillFromChain() {
  showChainIdField();
  const chain = bundled.find((c) => String(c.chainId) === $("chain").value);
  if (!chain) {
    $("setup-note").textContent = "Paste the endpoints to compare, and give their chain id.";
    return;
  }
  const order = (r) => TRACKING.indexOf(r.tracking);
  const sorted = [...chain.rpcs].sort((a, b) => order(a) - order(b));
  $("endpoints").value = sorted
    .slice(0, MAX_ENDPOINTS)
    .map((r) => `${r.url} ${r.tracking}`)
    .join("\n");
  $("chain-id").value = String(chain.chainId);
  $("setup-note").textContent =
    chain.rpcs.length > MAX_ENDPOINTS
      ? `${chain.name} has ${chain.rpcs.length} public endpoints in RPC Lifeline's list; the ${MAX_ENDPOINTS} shown (those that don't track first) are checked at a time. Paste others to compare them.`
      : `${chain.name}: the ${chain.rpcs.length} public endpoints in RPC Lifeline's list.`;
}

function parseEndpoints(text) {
  const endpoints = [];
  for (const [i, line] of text.split("\n").entries()) {
    const [url, tracking = "unspecified", ...rest] = line.trim().split(/\s+/);
    if (!url) continue;
    if (rest.length || !TRACKING.includes(tracking)) {
      throw new Error(`Line ${i + 1}: write the URL, then one of ${TRACKING.join(", ")}.`);
    }
    try {
      new URL(url);
    } catch {
      throw new Error(`Line ${i + 1}: “${url}” is not a URL.`);
    }
    if (!endpoints.some((e) => e.url === url)) endpoints.push({ url, tracking });
  }
  if (!endpoints.length) throw new Error("Give at least one endpoint.");
  if (endpoints.length > MAX_ENDPOINTS) {
    throw new Error(`At most ${MAX_ENDPOINTS} endpoints at a time (the engine's limit per chain).`);
  }
  return endpoints;
}

function showError(error) {
  const box = $("setup-error");
  box.textContent = error.message;
  box.hidden = false;
}

// --- a run: one engine probing one chain's endpoints ------------------------------------------

async function start() {
  $("setup-error").hidden = true;
  const endpoints = parseEndpoints($("endpoints").value);
  const chainId = Number($("chain-id").value);
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new Error("Give the chain id.");
  const known = bundled.find((c) => c.chainId === chainId);
  const spec = {
    chainId,
    name: known?.name ?? `Chain ${chainId}`,
    nativeCurrency: known?.nativeCurrency ?? { name: "Ether", symbol: "ETH", decimals: 18 },
    blockExplorerUrls: known?.blockExplorerUrls ?? [],
    rpcs: endpoints,
  };
  const every = Number($("every").value);
  const Lifeline = await loadEngine();
  let engine;
  try {
    engine = new Lifeline(
      {
        // The dashboard looks at every endpoint it was given, whatever its tracking policy.
        allowedTracking: TRACKING,
        candidatesPerChain: endpoints.length,
        probeIntervalHealthyMs: every,
        probeIntervalDegradedMs: every,
        probeTimeoutMs: Math.min(2500, Math.max(1000, every)),
      },
      [spec],
    );
  } catch (error) {
    throw new Error(error.message.replace(/^invalid chains: /, ""));
  }
  run?.stop();
  run = createRun(engine, spec, every);
  $("start").textContent = "Restart";
  render();
}

function createRun(engine, spec, every) {
  const byUrl = new Map();
  spec.rpcs.forEach((rpc, i) => {
    byUrl.set(normalize(rpc.url), {
      url: rpc.url,
      tracking: rpc.tracking,
      color: COLORS[i % COLORS.length],
      samples: [],
      chain: { state: "pending" },
      head: null,
    });
  });
  const timers = new Set();
  const self = {
    spec,
    every,
    byUrl,
    startedAt: Date.now(),
    pick: null,
    pickAt: 0,
    probes: 0,
    stopped: false,
    stop() {
      self.stopped = true;
      for (const t of timers) clearInterval(t);
      engine.free();
    },
  };

  const runActions = (actions) => {
    for (const action of actions ?? []) {
      if (action.type !== "probe") continue;
      self.probes += 1;
      engine
        .runProbe(BigInt(action.probeId))
        .then(runActions)
        .catch(() => {})
        .finally(render);
    }
  };
  const handle = (event) => {
    if (self.stopped) return;
    try {
      runActions(engine.handle(event, Date.now()));
    } catch (error) {
      showError(error);
    }
  };

  // The engine probes only chains that a page uses: one finished request of our own
  // "wallet" on the chain makes it active.
  const base = {
    tab: TAB,
    wallet: WALLET,
    chainId: spec.chainId,
    method: "eth_chainId",
    requestId: 1,
  };
  handle({ type: "requestStarted", ...base });
  handle({ type: "requestFinished", ...base, latencyMs: 1, outcome: { kind: "ok" } });
  timers.add(setInterval(() => handle({ type: "tick" }), 250));

  // Where RPC Lifeline would serve a failing wallet's read from now: ask the engine.
  const askPick = async () => {
    if (self.stopped) return;
    try {
      const result = await engine.serveRead({
        tab: TAB,
        wallet: WALLET,
        chainId: spec.chainId,
        method: "eth_blockNumber",
        params: [],
        reason: "walletError",
        walletError: { kind: "timeout" },
      });
      runActions(result.actions);
      self.pick = result.served ? result.endpoint : null;
      self.pickWhy = result.served ? null : result.reason;
      self.pickAt = Date.now();
    } catch {
      self.pick = null;
    }
    render();
  };
  timers.add(setInterval(askPick, Math.max(every, 2000)));
  setTimeout(askPick, Math.min(every, 1500));
  return self;
}

/** `new URL` spelling, which is what fetch reports as a Request's url. */
function normalize(url) {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

// --- the tally of the engine's own requests ----------------------------------------------------

function observeEngineFetches() {
  const realFetch = globalThis.fetch;
  globalThis.fetch = function observedFetch(input, init) {
    const request = input instanceof Request ? input : null;
    const endpoint = request && run?.byUrl.get(normalize(request.url));
    if (!endpoint || request.method !== "POST") return realFetch.call(this, input, init);
    const started = performance.now();
    // Read the JSON-RPC request from a copy before the real fetch consumes the body.
    const body = request.clone().text();
    const answer = realFetch.call(this, input, init);
    const current = run;
    answer.then(
      async (response) => {
        let text = null;
        try {
          text = await response.clone().text();
        } catch {
          // the body failed mid-way: judged below as a failure
        }
        record(current, endpoint, await body, performance.now() - started, response, text);
      },
      async (error) =>
        record(current, endpoint, await body, performance.now() - started, null, null, error),
    );
    return answer;
  };
}

function record(current, endpoint, bodyText, ms, response, text, error) {
  if (current !== run || current.stopped) return;
  let method = "?";
  let id;
  try {
    ({ method, id } = JSON.parse(bodyText));
  } catch {
    // not ours to judge
  }
  const sample = { at: Date.now(), ms, method, ok: false };
  if (error) {
    sample.failure = error.name === "AbortError" ? "time-out" : "unreachable";
  } else if (!response.ok) {
    sample.failure =
      response.status === 429 ? "rate limited (HTTP 429)" : `HTTP ${response.status}`;
  } else {
    let reply;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = undefined;
    }
    if (!reply || typeof reply !== "object" || Array.isArray(reply)) {
      sample.failure = "not a JSON-RPC answer";
    } else if (reply.id !== id) {
      sample.failure = "answered another request's id";
    } else if (reply.error) {
      sample.failure = `RPC error ${reply.error.code}`;
    } else {
      const value = typeof reply.result === "string" ? Number.parseInt(reply.result, 16) : NaN;
      // The genesis check answers a block, not a quantity.
      const block = method === "eth_getBlockByNumber" && typeof reply.result?.hash === "string";
      if (!block && !Number.isSafeInteger(value)) {
        sample.failure = "not a JSON-RPC answer";
      } else {
        sample.ok = true;
        if (method === "eth_chainId") {
          endpoint.chain =
            value === current.spec.chainId ? { state: "ok" } : { state: "wrong", reported: value };
        } else if (method === "eth_blockNumber") {
          endpoint.head = { number: value, at: sample.at };
        }
      }
    }
  }
  if (method === "eth_chainId" && !sample.ok && endpoint.chain.state === "pending") {
    endpoint.chain = { state: "unknown" };
  }
  endpoint.samples.push(sample);
  if (endpoint.samples.length > MAX_SAMPLES) endpoint.samples.shift();
  scheduleRender();
}

// --- ranking ---------------------------------------------------------------------------------

function percentile(sorted, p) {
  if (!sorted.length) return undefined;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** Each endpoint with its figures, tier and reasons, best first. */
function rank(current) {
  const now = Date.now();
  const rows = [...current.byUrl.values()].map((e) => {
    const recent = e.samples.filter((s) => now - s.at <= WINDOW_MS);
    const okMs = recent
      .filter((s) => s.ok)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    const failures = recent.filter((s) => !s.ok);
    const lastThree = e.samples.slice(-3);
    return {
      ...e,
      recent,
      failures,
      p50: percentile(okMs, 50),
      p95: percentile(okMs, 95),
      everOk: e.samples.some((s) => s.ok),
      failingNow: lastThree.length > 0 && lastThree.every((s) => !s.ok),
    };
  });
  const best = Math.max(
    -1,
    ...rows.filter((r) => r.chain.state === "ok" && r.head).map((r) => r.head.number),
  );
  for (const r of rows) {
    r.lag =
      r.head && best >= 0 && r.chain.state === "ok" ? Math.max(0, best - r.head.number) : undefined;
    const errorRate = r.recent.length ? r.failures.length / r.recent.length : 0;
    if (r.chain.state === "wrong") r.tier = 5;
    else if (!r.everOk && r.failures.length) r.tier = 4;
    else if (r.chain.state !== "ok" || r.p50 === undefined) r.tier = 3;
    else if (r.failingNow || errorRate >= 0.5 || (r.lag ?? 0) > MAX_HEAD_LAG) r.tier = 2;
    else if (r.tracking !== "none") r.tier = 1;
    else r.tier = 0;
  }
  rows.sort(
    (a, b) =>
      a.tier - b.tier ||
      (a.p50 ?? Infinity) - (b.p50 ?? Infinity) ||
      (a.p95 ?? Infinity) - (b.p95 ?? Infinity),
  );
  const fastest = rows.find((r) => r.tier <= 1 && r.p50 !== undefined)?.p50;
  rows.forEach((r, i) => {
    r.rank = i + 1;
    r.why = reasons(r, i, fastest, current);
  });
  return rows;
}

function failureSummary(failures) {
  const counts = new Map();
  for (const f of failures) counts.set(f.failure, (counts.get(f.failure) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => (failures.length > 1 ? `${n} × ${what}` : what))
    .join(", ");
}

function reasons(r, index, fastest, current) {
  const why = [];
  const chainName = (id) => bundled.find((c) => c.chainId === id)?.name;
  if (r.chain.state === "wrong") {
    const other = chainName(r.chain.reported);
    why.push(
      `Answers for chain ${r.chain.reported}${other ? ` (${other})` : ""}, not ${current.spec.chainId}: RPC Lifeline never uses it, it would show you another chain.`,
    );
    return why;
  }
  if (!r.everOk && r.failures.length) {
    const unreachable = r.failures.every((f) => f.failure === "unreachable");
    why.push(
      unreachable
        ? "Never answered: the browser could not reach it (offline, blocked, or it refuses requests from web pages: CORS)."
        : `Never answered properly: ${failureSummary(r.failures)}.`,
    );
    return why;
  }
  if (r.chain.state === "pending" || r.p50 === undefined) {
    why.push("Still being checked: its chain id and first answers are not in yet.");
    return why;
  }
  if (r.chain.state === "unknown") why.push("Its chain id could not be checked yet.");
  if (r.failingNow) why.push("Its last checks all failed.");
  if (r.failures.length) {
    why.push(
      `${r.failures.length} of its last ${r.recent.length} checks failed (${failureSummary(r.failures)}).`,
    );
  }
  if ((r.lag ?? 0) > MAX_HEAD_LAG) {
    why.push(
      `Behind: its latest block is ${r.lag} behind the best endpoint's, so it serves old data.`,
    );
  }
  if (r.tracking !== "none") {
    why.push(
      `Privacy: ${TRACKING_WHY[r.tracking]}. RPC Lifeline only reroutes through endpoints that don't, unless you allow it.`,
    );
  }
  if (fastest !== undefined && r.p50 > Math.max(2 * fastest, fastest + 50)) {
    why.push(`Slower: median ${formatMs(r.p50)} against ${formatMs(fastest)} for the fastest.`);
  }
  if (!why.length) {
    why.push(
      index === 0
        ? "Fastest endpoint on the right chain, up to date, without errors."
        : `On the right chain, up to date; a little slower (median ${formatMs(r.p50)}).`,
    );
  }
  return why;
}

// --- rendering ---------------------------------------------------------------------------------

let renderQueued = false;

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  if (!run) return;
  const rows = rank(run);
  renderSummary(rows);
  $("rows").replaceChildren(...rows.map(renderRow));
  renderChart(rows);
}

function renderSummary(rows) {
  const usable = rows.filter((r) => r.tier <= 1).length;
  const checks = rows.reduce((n, r) => n + r.samples.length, 0);
  $("summary").textContent =
    `${run.spec.name} · ${usable} of ${rows.length} usable · ${checks} checks so far, every ${formatMs(run.every)}`;
  const pick = $("pick");
  if (run.pickAt) {
    pick.hidden = false;
    pick.replaceChildren(
      ...(run.pick
        ? [
            "If a wallet's RPC failed now, RPC Lifeline would answer reads from ",
            el("strong", {}, hostOf(run.pick)),
            ` (it picks the fastest verified endpoint that is up to date and allowed by the privacy setting).`,
          ]
        : [
            `RPC Lifeline has no endpoint it would use right now: ${run.pickWhy ?? "none is ready"}.`,
          ]),
    );
  }
}

function hostOf(url) {
  try {
    const u = new URL(url);
    return u.port ? u.host : `${u.hostname}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return url;
  }
}

function renderRow(r) {
  const tone = ["good", "good", "warn", "", "bad", "bad"][r.tier];
  const chainCell =
    r.chain.state === "ok"
      ? el("span", { class: "chip good" }, `✓ ${run.spec.chainId}`)
      : r.chain.state === "wrong"
        ? el("span", { class: "chip bad" }, `✗ reports ${r.chain.reported}`)
        : el("span", { class: "chip" }, r.chain.state === "pending" ? "checking" : "unknown");
  const [trackingText, trackingTone] = TRACKING_WORDS[r.tracking];
  const errorRate = r.recent.length ? `${r.failures.length}/${r.recent.length}` : "—";
  return el(
    "tr",
    {
      "data-url": r.url,
      "data-rank": r.rank,
      "data-tier": r.tier,
      "data-pick": String(run.pick === r.url),
      class: `tier-${r.tier}`,
    },
    el("td", { class: "num rank" }, el("span", { class: `rank-badge ${tone}` }, r.rank)),
    el(
      "td",
      { class: "endpoint" },
      el(
        "div",
        { class: "url" },
        el("i", { class: "swatch", style: `background:${r.color}` }),
        el("span", { title: r.url }, hostOf(r.url)),
        run.pick === r.url ? el("span", { class: "chip info" }, "RPC Lifeline's pick") : null,
      ),
      el(
        "ul",
        { class: "why" },
        r.why.map((w) => el("li", {}, w)),
      ),
    ),
    el("td", { class: "num" }, formatMs(r.p50)),
    el("td", { class: "num" }, formatMs(r.p95)),
    el("td", { class: r.failures.length ? "num bad" : "num" }, errorRate),
    el(
      "td",
      { class: (r.lag ?? 0) > MAX_HEAD_LAG ? "num bad" : "num" },
      r.lag === undefined ? "—" : r.lag === 0 ? "0" : `${r.lag}`,
    ),
    el("td", {}, chainCell),
    el("td", {}, el("span", { class: `chip ${trackingTone}` }, trackingText)),
    el("td", {}, addButton(r)),
  );
}

// --- "Add to wallet" (EIP-3085) ---------------------------------------------------------------

let walletProvider = null;
const addResults = new Map();

/** The page's wallet: window.ethereum, or the first EIP-6963 announcement. */
function discoverWallet() {
  walletProvider = window.ethereum ?? null;
  window.addEventListener("eip6963:announceProvider", (event) => {
    walletProvider ??= event.detail?.provider ?? null;
    scheduleRender();
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
}

function addButton(r) {
  const result = addResults.get(r.url);
  const reason =
    r.chain.state === "wrong"
      ? "Wrong chain: never add it"
      : !walletProvider
        ? "No wallet found in this browser"
        : undefined;
  const button = el(
    "button",
    {
      type: "button",
      class: "btn small",
      disabled: Boolean(reason),
      title: reason ?? `Add ${r.url} to your wallet`,
    },
    "Add to wallet",
  );
  button.addEventListener("click", () => addToWallet(r));
  return el(
    "div",
    { class: "add" },
    button,
    result ? el("small", { class: "add-result" }, result) : null,
  );
}

async function addToWallet(r) {
  const { spec } = run;
  const params = {
    chainId: `0x${spec.chainId.toString(16)}`,
    chainName: spec.name,
    nativeCurrency: spec.nativeCurrency,
    rpcUrls: [r.url],
  };
  if (spec.blockExplorerUrls.length) params.blockExplorerUrls = spec.blockExplorerUrls.slice(0, 1);
  addResults.set(r.url, "Asking your wallet…");
  render();
  try {
    await walletProvider.request({ method: "wallet_addEthereumChain", params: [params] });
    addResults.set(r.url, "Added.");
  } catch (error) {
    addResults.set(
      r.url,
      error?.code === 4001 ? "You declined." : `Refused: ${error?.message ?? error}`,
    );
  }
  render();
}

// --- the chart ---------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderChart(rows) {
  const box = $("chart");
  const width = Math.max(320, box.clientWidth || 700);
  const height = 300;
  const pad = { left: 52, right: 12, top: 10, bottom: 24 };
  const now = Date.now();
  // The window grows with the run, from half a minute to CHART_MS.
  const span = Math.min(CHART_MS, Math.max(MIN_CHART_MS, now - run.startedAt));
  const from = now - span;
  const all = rows.flatMap((r) => r.samples.filter((s) => s.at >= from && s.ok).map((s) => s.ms));
  const top = 10 ** Math.max(2, Math.ceil(Math.log10(Math.max(1, ...all))));
  const bottom = 1;
  const x = (t) => pad.left + ((t - from) / span) * (width - pad.left - pad.right);
  const y = (ms) => {
    const v = Math.log10(Math.min(top, Math.max(bottom, ms)));
    return (
      pad.top +
      (1 - (v - Math.log10(bottom)) / (Math.log10(top) - Math.log10(bottom))) *
        (height - pad.top - pad.bottom)
    );
  };
  box.setAttribute("viewBox", `0 0 ${width} ${height}`);
  box.setAttribute("height", String(height));
  const nodes = [];
  for (let v = bottom; v <= top; v *= 10) {
    nodes.push(
      svg("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "grid" }),
    );
    const label = v < 1000 ? `${v} ms` : `${v / 1000} s`;
    nodes.push(
      svg("text", { x: pad.left - 8, y: y(v) + 4, class: "axis", "text-anchor": "end" }, label),
    );
  }
  const step = span > 60_000 ? 30 : 10;
  for (let ago = 0; ago * 1000 <= span; ago += step) {
    const t = now - ago * 1000;
    nodes.push(
      svg("line", { x1: x(t), x2: x(t), y1: pad.top, y2: height - pad.bottom, class: "grid" }),
    );
    const anchor = ago === 0 ? "end" : "middle";
    const label = ago === 0 ? "now" : `${ago} s ago`;
    nodes.push(
      svg("text", { x: x(t), y: height - 6, class: "axis", "text-anchor": anchor }, label),
    );
  }
  $("chart-span").textContent = `last ${Math.round(span / 1000)} s`;
  for (const r of [...rows].reverse()) {
    const shown = r.samples.filter((s) => s.at >= from);
    const ok = shown.filter((s) => s.ok);
    if (ok.length > 1) {
      const points = ok.map((s) => `${x(s.at).toFixed(1)},${y(s.ms).toFixed(1)}`).join(" ");
      nodes.push(
        svg("polyline", {
          points,
          fill: "none",
          stroke: r.color,
          "stroke-width": 2,
          "stroke-linejoin": "round",
        }),
      );
    }
    for (const s of ok) {
      nodes.push(svg("circle", { cx: x(s.at), cy: y(s.ms), r: 2.6, fill: r.color }));
    }
    for (const s of shown.filter((v) => !v.ok)) {
      const cx = x(s.at);
      const cy = pad.top + 8;
      nodes.push(
        svg("path", {
          d: `M${cx - 4},${cy - 4}L${cx + 4},${cy + 4}M${cx - 4},${cy + 4}L${cx + 4},${cy - 4}`,
          stroke: r.color,
          "stroke-width": 2.2,
        }),
      );
    }
  }
  box.replaceChildren(...nodes);
  $("chart-legend").replaceChildren(
    ...rows.map((r) =>
      el(
        "span",
        {},
        el("i", { class: "swatch", style: `background:${r.color}` }),
        `${r.rank}. ${hostOf(r.url)}`,
      ),
    ),
  );
}

boot().catch(showError);
