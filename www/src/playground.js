// The playground: a small viem dapp on a test wallet whose RPC server (a fault-injecting
// proxy run by scripts/demo.js) can be broken from this page, protected by the embeddable
// RPC Lifeline with two healthy backups. Shows what the user sees (the dapp card and the
// badge), what the engine decided, and every request on a timeline.
import { createClient, custom, defineChain, formatEther, hexToBigInt } from "viem";
import { getBlockNumber, signMessage } from "viem/actions";
import { CHAIN_ID, DEV_ACCOUNT } from "../../tests/rig/chain.js";
import { attachLifeline } from "../lifeline/embed.js";
import { createTestWallet } from "../rig/test-wallet.js";
import {
  clock,
  el,
  formatMs,
  loadDemoConfig,
  methodInWords,
  setWalletFault,
  walletFault,
} from "./common.js";

/** The ways the demo can break the wallet's RPC: fault-proxy modes, in words. */
const FAULTS = [
  { mode: "ok", title: "Heal it", hint: "working normally again", heal: true },
  { mode: "hang", title: "Hangs", hint: "takes the request, never answers" },
  { mode: "refuse", title: "Down", hint: "refuses every connection" },
  { mode: "http:503", title: "Server error", hint: "HTTP 503 Service Unavailable" },
  { mode: "http:429:10", title: "Rate limited", hint: "HTTP 429, “try again in 10 s”" },
  { mode: "rpcerr:-32603", title: "Internal error", hint: "answers “internal error” (−32603)" },
  { mode: "slow:2000", title: "Very slow", hint: "answers after 2 seconds" },
  { mode: "stale", title: "Stuck in the past", hint: "keeps reporting an old block" },
  { mode: "garbage", title: "Garbage", hint: "answers with an HTML error page" },
];
const FAULT_WORDS = Object.fromEntries(FAULTS.map((f) => [f.mode, f]));

const MODE_HINTS = {
  protect:
    "Protect: the badge tells you, and reads are answered by a backup while the wallet's server fails.",
  suggest:
    "Suggest: the badge tells you and offers to add a working server to your wallet. Reads are not rerouted.",
  observe:
    "Observe only: the badge tells you; nothing else changes. The dapp breaks, as it would today.",
};

const STATE_WORDS = {
  healthy: ["Healthy (green)", "good"],
  degraded: ["Degraded (amber)", "warn"],
  failing: ["Failing (red)", "bad"],
  rerouting: ["Rerouting (blue)", "info"],
};

/** The timeline shows this much history. */
const WINDOW_MS = 30_000;
/** A read slower than this is drawn amber. */
const SLOW_MS = 1000;
/** The dapp's polling cadence, like a dapp watching blocks. */
const BLOCK_POLL_MS = 1000;
const BALANCE_POLL_MS = 4000;
/** With no answer for this long, the dapp looks stuck to its user. */
const STUCK_MS = 2500;
const MAX_ROWS = 10;
const MAX_LOG = 60;

const $ = (id) => document.getElementById(id);

const state = {
  entries: new Map(),
  probes: [],
  decisions: [],
  lanes: [],
  laneOf: new Map(),
  lastServedBy: null,
  dapp: { ok: 0, failed: 0, lastAnswerAt: 0, lastError: null, block: null },
};

async function boot() {
  const config = await loadDemoConfig();
  if (!config) {
    $("no-demo").hidden = false;
    $("dapp-message").textContent = "Not running: start the demo with make demo.";
    return;
  }
  const errorShapes = await (await fetch("fixtures/wallet-errors.json")).json();
  const chain = defineChain({
    id: CHAIN_ID,
    name: "Anvil (local test chain)",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.walletRpc] } },
  });
  // The wallet the dapp uses: it asks the breakable server. Not put on window.ethereum, so an
  // installed RPC Lifeline extension leaves this page to the embedded copy.
  const wallet = createTestWallet({
    rpcUrl: config.walletRpc,
    errorShapes,
    accounts: [DEV_ACCOUNT],
    announce: false,
  });
  const lifeline = attachLifeline({
    provider: wallet,
    wallet: "test-wallet",
    chain: {
      chainId: CHAIN_ID,
      name: "Anvil (local test chain)",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    },
    fallbacks: config.fallbacks.map(({ url }) => ({ url, tracking: "none" })),
  });

  setUpLanes(config);
  watchLifeline(lifeline);
  setUpFaults();
  setUpModes(lifeline);

  // The dapp: viem on the (protected) provider, as any dapp would use its wallet.
  // A bare client and the actions it uses: viem's tree-shakable form keeps the page light.
  const transport = custom(lifeline.provider, { retryCount: 0 });
  const client = createClient({ chain, transport, cacheTime: 0, account: DEV_ACCOUNT });
  runDapp(client);
  $("sign").addEventListener("click", () => sign(client));

  window.playground = { lifeline, state, config };
  await lifeline.ready;
  setInterval(render, 250);
  render();
}

// --- the dapp ---------------------------------------------------------------------------------

function runDapp(client) {
  // The block number is what the user watches: its age says whether the dapp is stuck.
  const read = (what, run, show) =>
    run().then(
      (value) => {
        state.dapp.ok += 1;
        if (what === "block") state.dapp.lastAnswerAt = Date.now();
        state.dapp.lastError = null;
        show(value);
      },
      (error) => {
        state.dapp.failed += 1;
        state.dapp.lastError = { what, message: error.shortMessage ?? error.message };
      },
    );
  const pollBlock = () =>
    read(
      "block",
      () => getBlockNumber(client),
      (n) => {
        state.dapp.block = n;
        state.dapp.blockAt = Date.now();
      },
    );
  const pollBalance = () =>
    read(
      "balance",
      // client.request rather than viem's getBalance action, which drags in ~80 KB.
      () => client.request({ method: "eth_getBalance", params: [DEV_ACCOUNT, "latest"] }),
      (hex) => {
        const ether = Number(formatEther(hexToBigInt(hex)));
        $("balance").textContent = `${ether.toLocaleString()} ETH`;
      },
    );
  pollBlock();
  pollBalance();
  setInterval(pollBlock, BLOCK_POLL_MS);
  setInterval(pollBalance, BALANCE_POLL_MS);
}

async function sign(client) {
  const out = $("sign-result");
  out.textContent = "Asking the wallet…";
  const started = Date.now();
  try {
    await signMessage(client, { message: "Hello from the RPC Lifeline playground" });
    out.textContent = `Signed by the wallet in ${formatMs(Date.now() - started)}.`;
  } catch (error) {
    out.textContent = `The wallet could not sign: ${error.shortMessage ?? error.message} (signing is never sent to a backup).`;
  }
}

function renderDapp() {
  const { dapp } = state;
  const now = Date.now();
  if (dapp.block !== null) {
    $("block").textContent = `#${dapp.block}`;
    $("block-age").textContent = `answered ${formatMs(now - dapp.blockAt)} ago`;
  }
  $("reads").textContent = `${dapp.ok} reads answered, ${dapp.failed} failed`;
  const chip = $("dapp-health");
  const message = $("dapp-message");
  const waited = now - dapp.lastAnswerAt;
  if (dapp.lastError && waited > STUCK_MS / 2) {
    chip.className = "chip bad";
    chip.textContent = "showing an error";
    message.dataset.tone = "bad";
    message.textContent = `The dapp shows an error: “${dapp.lastError.message}”`;
  } else if (dapp.lastAnswerAt && waited > STUCK_MS) {
    chip.className = "chip warn";
    chip.textContent = "stuck";
    message.dataset.tone = "warn";
    message.textContent = `Stuck: no answer for ${formatMs(waited)}. A user would be looking at a spinner.`;
  } else if (dapp.lastAnswerAt) {
    chip.className = "chip good";
    chip.textContent = "working";
    message.dataset.tone = "good";
    message.textContent = "Working: every question gets an answer.";
  }
}

// --- the wallet's RPC -------------------------------------------------------------------------

function setUpFaults() {
  const box = $("faults");
  for (const fault of FAULTS) {
    const button = el(
      "button",
      {
        type: "button",
        class: fault.heal ? "btn heal" : "btn",
        "data-mode": fault.mode,
        "aria-pressed": "false",
      },
      el("strong", {}, fault.title),
      el("small", {}, fault.hint),
    );
    button.addEventListener("click", () => applyFault(fault.mode));
    box.append(button);
  }
  walletFault().then((mode) => mode && showFault(mode));
}

async function applyFault(mode) {
  try {
    showFault(await setWalletFault(mode));
    const fault = FAULT_WORDS[mode];
    addDecision({
      tone: mode === "ok" ? "good" : "bad",
      what:
        mode === "ok"
          ? "You healed the wallet's RPC"
          : `You broke the wallet's RPC: ${fault.title.toLowerCase()}`,
      why: mode === "ok" ? "It answers normally again." : `It now ${fault.hint}.`,
      byUser: true,
    });
  } catch (error) {
    addDecision({ tone: "bad", what: "Could not change the wallet's RPC", why: error.message });
  }
}

function showFault(mode) {
  for (const button of $("faults").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
  }
  const chip = $("fault-chip");
  const fault = FAULT_WORDS[mode];
  chip.className = mode === "ok" ? "chip good" : "chip bad";
  chip.textContent = mode === "ok" ? "working" : `broken: ${fault?.title.toLowerCase() ?? mode}`;
  document.body.dataset.fault = mode;
}

function setUpModes(lifeline) {
  for (const input of $("modes").querySelectorAll("input")) {
    input.addEventListener("change", () => {
      lifeline.setMode(input.value);
      $("mode-hint").textContent = MODE_HINTS[input.value];
      addDecision({
        tone: "info",
        what: `You switched RPC Lifeline to ${input.parentElement.textContent.trim()}`,
        why: MODE_HINTS[input.value],
        byUser: true,
      });
    });
  }
}

// --- what the engine did ----------------------------------------------------------------------

function setUpLanes(config) {
  state.lanes = [
    { key: "wallet", name: "Wallet's RPC", sub: `${hostPort(config.walletRpc)} · breakable` },
    ...config.fallbacks.map((f) => ({
      key: f.url,
      name: f.name,
      sub: `${hostPort(f.url)} · healthy`,
    })),
  ];
  const lanes = $("lanes");
  for (const lane of state.lanes) {
    const row = el("div", { class: "lane", "data-lane": lane.key });
    lanes.append(
      el("div", { class: "lane-name" }, lane.name, el("small", { class: "lane-sub" }, lane.sub)),
      row,
    );
    state.laneOf.set(lane.key, row);
  }
  lanes.append(
    el(
      "div",
      { class: "axis", "aria-hidden": "true" },
      ["30 s ago", "25 s", "20 s", "15 s", "10 s", "5 s", "now"].map((t) => el("span", {}, t)),
    ),
  );
}

const hostPort = (url) => new URL(url).host;
const nameOf = (url) => state.lanes.find((l) => l.key === url)?.name ?? hostPort(url);

function watchLifeline(lifeline) {
  lifeline.addEventListener("request", (event) => {
    const entry = event.detail;
    state.entries.set(entry.id, entry);
    if (state.entries.size > 400) state.entries.delete(state.entries.keys().next().value);
    if (entry.servedBy === "fallback" && entry.fallback?.endpoint !== state.lastServedBy) {
      state.lastServedBy = entry.fallback.endpoint;
      addDecision({
        tone: "info",
        what: `${nameOf(entry.fallback.endpoint)} answered a read for the page`,
        why: `${fallbackReason(entry.fallback.reason)} It took ${formatMs(entry.fallback.ms)}.`,
      });
    } else if (entry.servedBy === "wallet" && entry.outcome === "ok" && entry.read) {
      state.lastServedBy = null;
    }
  });
  lifeline.addEventListener("fallback", (event) => {
    const f = event.detail;
    if (f.state === "declined" && f.reason !== "walletError") {
      addDecision({ tone: "warn", what: "No backup answered", why: `Engine: ${f.why}.` });
    }
  });
  lifeline.addEventListener("probe", (event) => {
    state.probes.push({ ...event.detail, at: Date.now() - event.detail.ms });
    if (state.probes.length > 200) state.probes.shift();
    if (event.detail.method === "eth_chainId") {
      addDecision({
        tone: "neutral",
        what: `Checked ${nameOf(event.detail.url)}: which chain is it on?`,
        why: "A backup is only used once it proved it serves the same chain as your wallet.",
      });
    }
  });
  lifeline.addEventListener("action", (event) => {
    const action = event.detail;
    if (action.type === "badge") {
      const [words, tone] = STATE_WORDS[action.state];
      // The sentence changes with every figure (failure counts, the backup's latency): a new
      // line only when the state changes, the latest sentence otherwise.
      const last = state.decisions.find((d) => d.kind === "badge");
      if (last?.state === action.state) {
        last.why = action.sentence;
        renderLog();
      } else {
        addDecision({
          kind: "badge",
          state: action.state,
          tone,
          what: `Badge: ${words}`,
          why: action.sentence,
        });
      }
      document.body.dataset.badge = action.state;
    } else if (action.type === "policy") {
      addDecision(policyDecision(action.policy));
      document.body.dataset.policy = action.policy.mode;
    } else if (action.type === "suggestFix") {
      addDecision({
        tone: "info",
        what: "Offered a one-click fix in the badge",
        why: `“Add a working RPC to your wallet” would add ${action.params.rpcUrls.map(nameOf).join(", ")} to the wallet's networks, with the wallet asking you first.`,
      });
    }
  });
}

function fallbackReason(reason) {
  switch (reason) {
    case "hedge":
      return "The wallet was too slow, so a backup was asked in parallel (hedging).";
    case "reroute":
      return "The wallet's server is failing, so reads go straight to a backup (rerouting).";
    default:
      return "The wallet's server failed this read, so a backup answered it instead.";
  }
}

function policyDecision(policy) {
  switch (policy.mode) {
    case "hedge":
      return {
        tone: "warn",
        what: `Hedge: wait at most ${formatMs(policy.afterMs)} for the wallet`,
        why: "If the wallet has not answered a read by then, a backup is asked too; the first answer wins.",
      };
    case "reroute":
      return {
        tone: "info",
        what: "Reroute: reads go straight to a backup",
        why: "The wallet's server keeps failing. It is retried in a while, and reads go back to it once it answers again.",
      };
    default:
      return {
        tone: "good",
        what: "Pass: every request goes to the wallet",
        why: "Nothing is changed while the wallet's server works.",
      };
  }
}

function addDecision(decision) {
  state.decisions.unshift({ ...decision, at: Date.now() });
  if (state.decisions.length > MAX_LOG) state.decisions.pop();
  renderLog();
}

function renderLog() {
  const log = $("log");
  log.replaceChildren(
    ...state.decisions.map((d) =>
      el(
        "li",
        { "data-tone": d.tone },
        el("time", {}, clock(d.at)),
        el(
          "div",
          {},
          el("span", { class: "what" }, d.what),
          el("span", { class: "why" }, ` — ${d.why}`),
        ),
      ),
    ),
  );
  if (!state.decisions.length) {
    log.append(el("li", {}, el("span", { class: "empty" }, "Nothing yet.")));
  }
}

// --- timeline ---------------------------------------------------------------------------------

function render() {
  renderDapp();
  renderLanes();
  renderRows();
}

function renderLanes() {
  const now = Date.now();
  const from = now - WINDOW_MS;
  const pct = (t) => `${(((t - from) / WINDOW_MS) * 100).toFixed(2)}%`;
  const width = (ms) => `${((ms / WINDOW_MS) * 100).toFixed(2)}%`;
  const bars = new Map(state.lanes.map((l) => [l.key, []]));
  for (const entry of state.entries.values()) {
    const w = entry.wallet;
    if (w?.at && w.state !== "skipped") {
      const ms = w.state === "pending" ? now - w.at : w.ms;
      if (w.at + ms >= from) {
        const kind =
          w.state === "pending"
            ? "wait"
            : w.state === "error"
              ? "err"
              : ms > SLOW_MS
                ? "slow"
                : "ok";
        bars.get("wallet").push(bar(kind, pct(w.at), width(ms), entry, "wallet"));
      }
    }
    const f = entry.fallback;
    if (f?.endpoint && f.at + f.ms >= from && bars.has(f.endpoint)) {
      bars.get(f.endpoint).push(bar("backup", pct(f.at), width(f.ms), entry, "backup"));
    }
  }
  for (const p of state.probes) {
    if (p.at >= from && bars.has(p.url)) {
      bars
        .get(p.url)
        .push(
          el("i", { class: "probe-tick", style: `left:${pct(p.at)}`, title: `check: ${p.method}` }),
        );
    }
  }
  for (const [key, list] of bars) state.laneOf.get(key).replaceChildren(...list);
}

function bar(kind, left, width, entry, who) {
  const title = `${methodInWords(entry.method)} · ${who === "wallet" ? "wallet's RPC" : nameOf(entry.fallback.endpoint)}`;
  return el("i", {
    class: `bar ${kind}`,
    style: `left:${left};width:${width}`,
    title,
    "data-method": entry.method,
  });
}

let shownRows = new Set();

function renderRows() {
  const latest = [...state.entries.values()].slice(-MAX_ROWS).reverse();
  const now = Date.now();
  const rows = latest.map((entry) => {
    const fresh = !shownRows.has(entry.id);
    return el(
      "tr",
      {
        class: fresh ? "fresh" : undefined,
        "data-served-by": entry.servedBy ?? "pending",
        "data-endpoint": entry.fallback?.endpoint ?? "",
      },
      el("td", { class: "mono" }, clock(entry.startedAt)),
      el("td", {}, methodInWords(entry.method)),
      el("td", { class: "why" }, walletCell(entry.wallet, now)),
      el("td", {}, answeredBy(entry)),
      el("td", { class: "num" }, formatMs(entry.totalMs ?? now - entry.startedAt)),
      el("td", {}, resultCell(entry)),
    );
  });
  shownRows = new Set(latest.map((e) => e.id));
  $("requests").replaceChildren(...rows);
}

function walletCell(w, now) {
  switch (w?.state) {
    case "ok":
      return `answered in ${formatMs(w.ms)}`;
    case "error":
      return `failed after ${formatMs(w.ms)}: ${w.error?.message || w.error?.kind}`;
    case "pending":
      return `no answer yet (${formatMs(now - w.at)})`;
    case "skipped":
      return "skipped: known to be failing";
    default:
      return "—";
  }
}

function answeredBy(entry) {
  if (entry.servedBy === "fallback")
    return el("span", { class: "chip info" }, nameOf(entry.fallback.endpoint));
  if (entry.servedBy === "wallet") return el("span", { class: "chip" }, "Wallet's RPC");
  return el("span", { class: "chip warn" }, "waiting");
}

function resultCell(entry) {
  if (entry.outcome === "ok") return el("span", { class: "chip good" }, "answered");
  if (entry.outcome === "error") return el("span", { class: "chip bad" }, "error shown");
  return el("span", { class: "chip" }, "…");
}

boot().catch((error) => {
  console.error(error);
  $("dapp-message").textContent = `The playground could not start: ${error.message}`;
});
