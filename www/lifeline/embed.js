// RPC Lifeline inside an ordinary page: the same engine (Rust → WASM) the extension runs,
// wrapped around one EIP-1193 provider the dapp hands over, with the dapp's own fallback
// endpoints, and the same badge as a custom element, <lifeline-badge>.
//
//   const lifeline = attachLifeline({ provider: window.ethereum, chain: 1,
//     fallbacks: [{ url: "https://ethereum-rpc.publicnode.com", tracking: "none" }] });
//   const client = createPublicClient({ transport: custom(lifeline.provider) });
//
// What the extension does across a background worker and two content scripts happens here in
// one place: reads go to the wallet under the engine's policy (pass, hedge after N ms,
// reroute), a failed or slow read is served by `serveRead` from a verified fallback, and
// every outcome is reported to the engine. Wallet methods (signing, accounts, sending) only
// ever go to the wallet. Fail open: until the engine is running, and on any error of ours,
// the page gets exactly what its wallet gave.
//
// When the RPC Lifeline extension already wraps the provider (its in-page wrapper answers
// `provider[Symbol.for("rpc-lifeline.extension")]`), this module steps back: the provider is
// returned as it is, no engine is loaded, and the badge says that the extension is in charge.
import "../../extension/badge-view.js";
import {
  READ_METHODS as CONTRACT_READ_METHODS,
  HOP_DEADLINES,
  mayHedge,
} from "../../extension/contract.js";
import init, { Lifeline } from "../../pkg/rpc_lifeline.js";

export { Lifeline };

/** Set (to true) by the extension's in-page wrapper on every provider it wraps. */
export const EXTENSION_MARK = Symbol.for("rpc-lifeline.extension");

// The engine's Read class, generated from the Rust (extension/contract.js); the engine
// re-checks every request.
const READ_METHODS = new Set(CONTRACT_READ_METHODS);

/** The engine knows one page as one tab. */
const TAB = 1;
/** A fallback read that has not come back by then is dropped. */
const SERVE_DEADLINE_MS = HOP_DEADLINES.workerMs;
/** The engine's requestTimeoutMs default: a read is not left waiting on the wallet longer. */
const REQUEST_TIMEOUT_MS = 3000;
/** Longest a wallet's block number waits for the fallback's when its head looks frozen. */
const HEAD_CHECK_WAIT_MS = 1000;
/** Tick cadence while requests are in flight: the engine's tickIntervalMs default. */
const TICK_INTERVAL_MS = 250;
/** Gap between our own eth_chainId calls while the wallet's chain is still unknown. */
const CHAIN_RETRY_MS = 10_000;
const ERROR_MESSAGE_CHARS = 500;
const ERROR_DATA_CHARS = 2000;
const BADGE_TAG = "lifeline-badge";
const HEALTHY_SENTENCE = "No problems seen with your wallet's RPC.";
const STANDBY_SENTENCE =
  "The RPC Lifeline extension is installed in this browser and already protects this page, " +
  "so the page's own copy steps back: one badge, one set of decisions.";

let engineLoading;

/**
 * Loads the WASM engine once per page. `wasmUrl` defaults to rpc_lifeline_bg.wasm next to
 * this module. Resolves to the Lifeline class.
 */
export function loadEngine(wasmUrl) {
  engineLoading ??= init(wasmUrl ? { module_or_path: wasmUrl } : undefined).then(() => Lifeline);
  return engineLoading;
}

/** Whether the RPC Lifeline extension already wraps this provider. */
export function extensionProtects(provider) {
  try {
    return Boolean(provider?.[EXTENSION_MARK]);
  } catch {
    return false;
  }
}

let bundledChains;

/** The validated chain list shipped next to this module (chains.json), fetched once. */
export function loadBundledChains(url = new URL("chains.json", import.meta.url)) {
  bundledChains ??= fetch(url)
    .then((r) => (r.ok ? r.json() : []))
    .catch(() => []);
  return bundledChains;
}

/** The registry the engine gets, from the options (see embed.d.ts). */
async function registryFrom({ chain, chains, fallbacks }) {
  if (Array.isArray(chains)) return chains;
  const rpcs = (fallbacks ?? []).map(({ url, tracking = "unspecified" }) => ({ url, tracking }));
  if (chain && typeof chain === "object") {
    return [{ blockExplorerUrls: [], ...chain, rpcs }];
  }
  if (!Number.isSafeInteger(chain)) {
    throw new TypeError("attachLifeline: give `chain` (a chain id or a chain) or `chains`");
  }
  const known = (await loadBundledChains()).find((c) => c.chainId === chain);
  const base = known ?? {
    chainId: chain,
    name: `Chain ${chain}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    blockExplorerUrls: [],
    rpcs: [],
  };
  return [{ ...base, rpcs: fallbacks ? rpcs : base.rpcs }];
}

function parseQuantity(v) {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,14}$/.test(v)) return undefined;
  return Number(v);
}

/** The wallet's block number, or the fallback's answer when that is a newer block. */
function newerHead(walletValue, response) {
  const theirs = "result" in response ? parseQuantity(response.result) : undefined;
  const mine = parseQuantity(walletValue);
  return theirs !== undefined && (mine === undefined || theirs > mine)
    ? response.result
    : walletValue;
}

/** A wallet's error as the engine's `Observed`: the engine, not this file, judges it. */
function observedError(error) {
  const code = error?.code;
  const message =
    typeof error?.message === "string" ? error.message.slice(0, ERROR_MESSAGE_CHARS) : "";
  if (!Number.isSafeInteger(code) || code < -(2 ** 31) || code >= 2 ** 31) {
    // Not a JSON-RPC error: the wallet failed before any RPC answer.
    return { kind: "transport", message };
  }
  const outcome = { kind: "rpcError", code, message };
  if (error.data !== undefined) {
    try {
      const text = JSON.stringify(error.data);
      if (typeof text === "string") outcome.data = text.slice(0, ERROR_DATA_CHARS);
    } catch {
      // data that is not JSON is left out
    }
  }
  return outcome;
}

/** What a served fallback answer settles the page's promise with. */
function settleServed(response, resolve, reject) {
  if ("result" in response) {
    resolve(response.result);
    return;
  }
  const { code, message, data } = response.error;
  const error = new Error(typeof message === "string" ? message : "RPC error");
  error.code = code;
  if (data !== undefined) error.data = data;
  reject(error);
}

/**
 * Puts RPC Lifeline around `options.provider`. Synchronous: the returned attachment's
 * `provider` can be used at once (it passes everything through until the engine runs).
 * See embed.d.ts for the options and the attachment's members.
 */
export function attachLifeline(options) {
  return new LifelineAttachment(options);
}

class LifelineAttachment extends EventTarget {
  #raw;
  #wallet;
  #options;
  #engine = null;
  #chainId;
  #chainNames = new Map();
  #askedChainAt = -Infinity;
  /** Our own eth_chainId answer, reported once the engine runs: it starts the probes. */
  #chainAnswer = null;
  /** The chain whose block 0 the wallet was asked for. */
  #genesisAsked;
  #nextRequestId = 1;
  #inFlight = 0;
  #tickTimer;
  #tickDue = Infinity;
  #policies = new Map();
  /** Reads waiting for the wallet: { chainId, follow(policy) }. */
  #waiting = new Set();
  #verdicts = new Map();
  #fixes = new Map();
  #fix = null;
  #badge = null;
  #detached = false;
  #bound = new WeakMap();

  constructor(options) {
    super();
    const { provider, wallet = "injected" } = options ?? {};
    if (!provider || typeof provider.request !== "function") {
      throw new TypeError("attachLifeline: `provider` must be an EIP-1193 provider");
    }
    this.#raw = provider;
    this.#wallet = wallet;
    this.#options = options;
    this.steppedBack = extensionProtects(provider);
    this.provider = this.steppedBack ? provider : this.#wrap(provider);
    this.#attachBadge(options.badge ?? "auto");
    this.ready = this.steppedBack ? Promise.resolve(false) : this.#start();
  }

  /** The engine's view of this page (state, latency samples…), or null before it runs. */
  status() {
    try {
      return this.#engine?.status(TAB) ?? null;
    } catch {
      return null;
    }
  }

  /** The chain the wallet is on, once known. */
  get chainId() {
    return this.#chainId;
  }

  /** What the badge shows now. */
  get state() {
    return this.#model();
  }

  /** Switches between "observe", "suggest" and "protect" (the default). */
  setMode(mode) {
    this.#options = { ...this.#options, mode };
    this.#run(() =>
      this.#engine?.handle({ type: "settingsChanged", settings: this.#settings() }, Date.now()),
    );
    this.#render();
  }

  /** Stops the engine's timers and lets every request through untouched from now on. */
  detach() {
    this.#detached = true;
    clearTimeout(this.#tickTimer);
    this.#engine?.free();
    this.#engine = null;
    if (this.#badge?.lifeline === this) this.#badge.lifeline = null;
  }

  // --- start-up ------------------------------------------------------------------------------

  #settings() {
    const { settings = {}, mode } = this.#options;
    return mode ? { ...settings, mode } : { ...settings };
  }

  async #start() {
    try {
      this.#learnChain();
      const [LifelineClass, chains] = await Promise.all([
        loadEngine(this.#options.wasmUrl),
        registryFrom(this.#options),
      ]);
      if (this.#detached) return false;
      this.#warnAboutUnusedFallbacks(chains);
      for (const chain of chains) this.#chainNames.set(chain.chainId, chain.name);
      this.#engine = new LifelineClass(this.#settings(), chains);
      this.#emit("ready", { chains });
      this.#warmUp();
      this.#scheduleTick();
      return true;
    } catch (error) {
      console.warn("RPC Lifeline: not started; the page talks to its wallet directly.", error);
      return false;
    }
  }

  #warnAboutUnusedFallbacks(chains) {
    const allowed = this.#options.settings?.allowedTracking ?? ["none"];
    for (const chain of chains) {
      for (const rpc of chain.rpcs ?? []) {
        if (!allowed.includes(rpc.tracking)) {
          console.warn(
            `RPC Lifeline: fallback ${rpc.url} has tracking "${rpc.tracking}" and will not be ` +
              `used; only ${allowed.join(", ")} are allowed (settings.allowedTracking).`,
          );
        }
      }
    }
  }

  /** The wallet's chain: followed through chainChanged and eth_chainId results. */
  #learnChain() {
    try {
      this.#raw.on?.("chainChanged", (id) => this.#setChain(id));
    } catch {
      // no events: results still teach us
    }
    this.#askChain();
  }

  /** Our own eth_chainId, straight to the wallet; again at most every CHAIN_RETRY_MS. */
  #askChain() {
    const now = Date.now();
    if (now - this.#askedChainAt < CHAIN_RETRY_MS) return;
    this.#askedChainAt = now;
    const started = Date.now();
    this.#callWallet({ method: "eth_chainId" }).then(
      (id) => {
        this.#chainAnswer = { latencyMs: Date.now() - started };
        this.#setChain(id);
      },
      () => {},
    );
  }

  #setChain(value) {
    const chainId = parseQuantity(value);
    if (chainId === undefined || chainId < 1 || chainId === this.#chainId) return;
    this.#chainId = chainId;
    this.#emit("chain", { chainId });
    this.#warmUp();
    this.#render();
  }

  /**
   * The engine checks fallbacks only for chains a page uses, once it has seen a request.
   * Reporting our own eth_chainId as soon as both the engine and the chain are known has the
   * fallbacks verified before the wallet's first failure, not after it.
   */
  #warmUp() {
    if (!this.#engine || this.#chainId === undefined) return;
    this.#askGenesis();
    const answer = this.#chainAnswer;
    if (!answer) return;
    this.#chainAnswer = null;
    const plan = { chainId: this.#chainId, method: "eth_chainId" };
    const requestId = this.#report(plan, "requestStarted");
    this.#finished(plan, requestId, Date.now() - answer.latencyMs, { kind: "ok" });
  }

  /**
   * The wallet's own block 0, once per chain: only endpoints on the same chain (genesis) serve
   * this wallet (a chain id can be reused by a fork). It carries nothing about the user.
   */
  #askGenesis() {
    const chainId = this.#chainId;
    if (this.#genesisAsked === chainId) return;
    this.#genesisAsked = chainId;
    this.#callWallet({ method: "eth_getBlockByNumber", params: ["0x0", false] }).then(
      (block) => {
        const hash = block?.number === "0x0" ? block.hash : undefined;
        if (typeof hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hash)) return;
        const event = { type: "walletGenesis", tab: TAB, wallet: this.#wallet, chainId, hash };
        this.#run(() => this.#engine?.handle(event, Date.now()));
      },
      () => {},
    );
  }

  // --- the wrapped provider ------------------------------------------------------------------

  #wrap(provider) {
    const request = (args) => this.#request(args);
    return new Proxy(provider, {
      get: (target, prop) => {
        if (prop === "request") return request;
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        // Methods run against the real provider (private fields, `this` checks).
        let bound = this.#bound.get(value);
        if (!bound) {
          bound = value.bind(target);
          this.#bound.set(value, bound);
        }
        return bound;
      },
    });
  }

  #callWallet(args) {
    try {
      return Promise.resolve(this.#raw.request(args));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #request(args) {
    const method = args?.method;
    const chainId = this.#chainId;
    if (!this.#engine || chainId === undefined || typeof method !== "string") {
      // Fail open until the engine runs and the chain is known; keep learning the chain.
      if (chainId === undefined) this.#askChain();
      const answer = this.#callWallet(args);
      if (method === "eth_chainId")
        answer.then(
          (id) => this.#setChain(id),
          () => {},
        );
      return answer;
    }
    let params;
    try {
      params = args.params === undefined ? [] : args.params;
      // Only the failure path sends params anywhere; take a copy now.
      if (!Array.isArray(params)) params = undefined;
      else params = JSON.parse(JSON.stringify(params));
    } catch {
      params = undefined;
    }
    const read = READ_METHODS.has(method) && params !== undefined;
    return this.#serve({ method, chainId, params, read }, args);
  }

  /**
   * One page request under the engine's policy. Wallet methods and pass: the wallet only
   * (a read that fails with an infrastructure error is then served by a fallback). Hedge:
   * also ask a fallback after `afterMs`. Reroute: ask a fallback first, the wallet if that
   * is not served. The timeline entry (the "request" event) follows every step.
   */
  #serve(plan, args) {
    const policy = plan.read
      ? (this.#policies.get(plan.chainId) ?? { mode: "pass" })
      : { mode: "pass" };
    const entry = {
      id: this.#nextRequestId++,
      method: plan.method,
      chainId: plan.chainId,
      read: plan.read,
      policy: policy.mode,
      startedAt: Date.now(),
      wallet: { state: "pending" },
      fallback: null,
      servedBy: null,
      outcome: "pending",
    };
    const update = () => this.#emit("request", { ...entry });
    return new Promise((resolve, reject) => {
      let settled = false;
      let onSettle = () => {};
      const finish = (servedBy, ok, fn, value) => {
        if (settled) return;
        settled = true;
        onSettle();
        entry.servedBy = servedBy;
        entry.outcome = ok ? "ok" : "error";
        entry.totalMs = Date.now() - entry.startedAt;
        update();
        fn(value);
      };
      const ask = (reason, walletError, requestId) =>
        this.#askFallback(plan, { reason, walletError, requestId }, entry);
      // The engine says the wallet's head looks frozen: a block number is asked of the
      // fallback at once, and the page gets the newer of the two.
      const checksHead = (p) =>
        plan.method === "eth_blockNumber" && p.mode === "hedge" && p.checkHead === true;
      const serveAnswer = (answer) =>
        settleServed(
          answer.response,
          (v) => finish("fallback", true, resolve, v),
          (e) => finish("fallback", false, reject, e),
        );

      const runWallet = (mayAsk) => {
        const requestId = this.#report(plan, "requestStarted");
        const started = Date.now();
        entry.wallet = { state: "pending", at: started };
        const rescuable = mayAsk && plan.read;
        let hedged;
        let hedgeInFlight = false;
        let heldHead; // { value }: the wallet's block number, waiting for the fallback's
        let hedgeTimer;
        let timeoutTimer;
        const hedge = (reason, walletError) => {
          if (settled || hedged) return;
          hedgeInFlight = true;
          // A hedge names the read it races: once a fallback has answered it, the engine
          // holds the wallet's silence against it sooner.
          hedged = ask(reason, walletError, reason === "hedge" ? requestId : undefined).then(
            (answer) => {
              hedgeInFlight = false;
              if (heldHead) {
                const head = answer.served
                  ? newerHead(heldHead.value, answer.response)
                  : heldHead.value;
                finish(head === heldHead.value ? "wallet" : "fallback", true, resolve, head);
              } else if (answer.served) {
                serveAnswer(answer);
              }
              return answer;
            },
          );
        };
        // Hedge as the policy says; a read already waiting follows the engine's newer word
        // (a wallet that hangs has this read waiting when the engine turns to hedge), and
        // none waits for the wallet past the engine's own time-out.
        const follow = (p) => {
          if (hedgeTimer !== undefined || hedged || settled) return;
          if (checksHead(p)) {
            hedge("hedge"); // at once, so it is in flight before the wallet's answer is back
            return;
          }
          if (!mayHedge(p, plan.method)) return;
          const wait = p.mode === "hedge" ? p.afterMs - (Date.now() - started) : 0;
          hedgeTimer = setTimeout(() => hedge("hedge"), Math.max(0, wait));
        };
        const stopWaiting = () => {
          clearTimeout(hedgeTimer);
          clearTimeout(timeoutTimer);
          this.#waiting.delete(waiter);
        };
        const waiter = { chainId: plan.chainId, follow };
        onSettle = stopWaiting;
        if (rescuable) {
          follow(policy);
          this.#waiting.add(waiter);
          timeoutTimer = setTimeout(
            () => hedge("walletError", { kind: "timeout" }),
            this.#options.settings?.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
          );
        }
        this.#callWallet(args).then(
          (value) => {
            stopWaiting();
            entry.wallet = { state: "ok", at: started, ms: Date.now() - started };
            if (plan.method === "eth_chainId") this.#setChain(value);
            this.#finished(plan, requestId, started, { kind: "ok" }, value);
            if (settled) update();
            if (checksHead(policy) && hedgeInFlight) {
              heldHead = { value };
              setTimeout(() => finish("wallet", true, resolve, value), HEAD_CHECK_WAIT_MS);
            } else {
              finish("wallet", true, resolve, value);
            }
          },
          (error) => {
            stopWaiting();
            const outcome = observedError(error);
            entry.wallet = {
              state: "error",
              at: started,
              ms: Date.now() - started,
              error: outcome,
            };
            this.#finished(plan, requestId, started, outcome);
            if (settled) {
              update();
            } else if (hedged) {
              hedged.then((answer) => answer.served || finish("wallet", false, reject, error));
            } else if (rescuable) {
              ask("walletError", outcome).then((answer) =>
                answer.served ? serveAnswer(answer) : finish("wallet", false, reject, error),
              );
            } else {
              finish("wallet", false, reject, error);
            }
          },
        );
        update();
      };

      if (policy.mode === "reroute") {
        entry.wallet = { state: "skipped" };
        ask("reroute").then((answer) => {
          if (answer.served) serveAnswer(answer);
          else runWallet(false);
        });
      } else {
        runWallet(true);
      }
    });
  }

  /** Asks the engine once to serve a read from a fallback; resolves { served, response? }. */
  async #askFallback(plan, { reason, walletError, requestId }, entry) {
    const started = Date.now();
    entry.fallback = { state: "pending", reason, at: started };
    this.#emit("request", { ...entry });
    let result;
    try {
      if (!this.#engine) throw new Error("engine stopped");
      const request = {
        tab: TAB,
        wallet: this.#wallet,
        chainId: plan.chainId,
        method: plan.method,
        params: plan.params,
        reason,
      };
      if (walletError) request.walletError = walletError;
      if (requestId !== undefined) request.requestId = requestId;
      const serving = this.#engine.serveRead(request);
      serving.then((r) => this.#runActions(r?.actions)).catch(() => {});
      let timer;
      const deadline = new Promise((done) => {
        timer = setTimeout(
          () => done({ served: false, reason: "the fallback took too long" }),
          SERVE_DEADLINE_MS,
        );
      });
      result = await Promise.race([serving, deadline]);
      clearTimeout(timer);
    } catch (error) {
      result = { served: false, reason: String(error?.message ?? "engine error") };
    }
    const served =
      result?.served === true && result.response && typeof result.response === "object";
    entry.fallback = served
      ? {
          state: "served",
          reason,
          at: started,
          endpoint: result.endpoint,
          ms: Date.now() - started,
          engineMs: result.latencyMs,
        }
      : {
          state: "declined",
          reason,
          at: started,
          why: result?.reason ?? "not served",
          ms: Date.now() - started,
        };
    this.#emit("fallback", { method: plan.method, ...entry.fallback });
    return served ? { served: true, response: result.response } : { served: false };
  }

  // --- reports to the engine -----------------------------------------------------------------

  #report(plan, type) {
    const requestId = this.#nextRequestId++;
    this.#inFlight += 1;
    this.#run(() =>
      this.#engine?.handle(
        {
          type,
          tab: TAB,
          wallet: this.#wallet,
          chainId: plan.chainId,
          method: plan.method,
          requestId,
        },
        Date.now(),
      ),
    );
    this.#scheduleTick();
    return requestId;
  }

  #finished(plan, requestId, started, outcome, value) {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const event = {
      type: "requestFinished",
      tab: TAB,
      wallet: this.#wallet,
      chainId: plan.chainId,
      method: plan.method,
      requestId,
      latencyMs: Math.max(0, Date.now() - started),
      outcome,
    };
    if (plan.method === "eth_blockNumber" && outcome.kind === "ok") {
      const block = parseQuantity(value);
      if (block !== undefined) event.blockNumber = block;
    }
    this.#run(() => this.#engine?.handle(event, Date.now()));
  }

  /** Runs an engine call and its actions; an engine error never reaches the page. */
  #run(call) {
    try {
      this.#runActions(call());
    } catch (error) {
      console.warn("RPC Lifeline: engine call failed", error);
    }
  }

  #runActions(actions) {
    if (!Array.isArray(actions) || actions.length === 0) return;
    let changed = false;
    for (const action of actions) {
      this.#emit("action", action);
      switch (action.type) {
        case "policy":
          if (action.wallet !== this.#wallet) break;
          this.#policies.set(action.chainId, action.policy);
          for (const w of this.#waiting) if (w.chainId === action.chainId) w.follow(action.policy);
          break;
        case "badge":
          if (action.wallet === this.#wallet) {
            this.#verdicts.set(action.chainId, action);
            changed = true;
          }
          break;
        case "suggestFix":
          if (action.wallet === this.#wallet) {
            this.#fixes.set(action.chainId, action.params);
            changed = true;
          }
          break;
        case "probe":
          this.#probe(action);
          break;
        default:
          break;
      }
    }
    if (changed) this.#render();
    this.#scheduleTick();
  }

  async #probe(action) {
    const started = Date.now();
    try {
      const actions = await this.#engine.runProbe(BigInt(action.probeId));
      this.#emit("probe", { url: action.url, method: action.method, ms: Date.now() - started });
      this.#runActions(actions);
    } catch {
      // an unanswered probe is the engine's to time out
    }
  }

  #scheduleTick() {
    if (!this.#engine || this.#detached) return;
    const now = Date.now();
    let due = Infinity;
    try {
      const next = this.#engine.nextTimeout();
      if (typeof next === "number" && Number.isFinite(next)) due = next;
    } catch {
      // treat as nothing pending
    }
    if (this.#inFlight > 0) due = Math.min(due, now + TICK_INTERVAL_MS);
    if (!Number.isFinite(due)) return;
    if (this.#tickTimer !== undefined && this.#tickDue <= due) return;
    clearTimeout(this.#tickTimer);
    this.#tickDue = due;
    this.#tickTimer = setTimeout(
      () => {
        this.#tickTimer = undefined;
        this.#tickDue = Infinity;
        this.#run(() => this.#engine?.handle({ type: "tick" }, Date.now()));
        this.#scheduleTick();
      },
      Math.max(0, due - now),
    );
  }

  #emit(type, detail) {
    try {
      this.dispatchEvent(new CustomEvent(type, { detail }));
    } catch {
      // a listener's error is the listener's
    }
  }

  // --- the badge -----------------------------------------------------------------------------

  #attachBadge(choice) {
    if (choice === "none" || choice === false || typeof document === "undefined") return;
    defineBadgeElement();
    let element = choice instanceof HTMLElement ? choice : null;
    if (!element && choice === "auto") {
      element = [...document.querySelectorAll(BADGE_TAG)].find((b) => !b.lifeline) ?? null;
    }
    if (!element) {
      element = document.createElement(BADGE_TAG);
      element.setAttribute("floating", "");
      const place = () => document.body.append(element);
      if (document.body) place();
      else document.addEventListener("DOMContentLoaded", place, { once: true });
    }
    this.#badge = element;
    element.lifeline = this;
  }

  #model() {
    if (this.steppedBack) return { state: "standby", sentence: STANDBY_SENTENCE };
    const chainId = this.#chainId;
    if (chainId === undefined) return null;
    const verdict = this.#verdicts.get(chainId);
    const mode = this.#options.mode ?? "protect";
    const offered = this.#fixes.has(chainId) && mode !== "observe";
    const fix = this.#fix?.chainId === chainId ? this.#fix : null;
    return {
      state: verdict?.state ?? "healthy",
      sentence: verdict?.sentence ?? HEALTHY_SENTENCE,
      chainId,
      chainName: this.#chainNames.get(chainId),
      wallet: this.#wallet,
      walletCount: 1,
      fix: {
        offered,
        status: fix?.status,
        text: fix?.text,
        url: this.#fixes.get(chainId)?.rpcUrls?.[0],
        wallet: this.#wallet,
      },
    };
  }

  #render() {
    const model = this.#model();
    if (this.#badge?.lifeline === this) this.#badge.show(model);
    this.#emit("state", model);
  }

  /** The badge's "Add a working RPC to your wallet": EIP-3085, asked of the real wallet. */
  addChainToWallet() {
    const chainId = this.#chainId;
    const params = this.#fixes.get(chainId);
    if (!params || this.#fix?.status === "pending") return;
    this.#fix = { chainId, status: "pending", text: "Waiting for your wallet…" };
    this.#render();
    this.#callWallet({ method: "wallet_addEthereumChain", params: [params] }).then(
      () => {
        this.#fix = {
          chainId,
          status: "added",
          text: "Added. Your wallet now has a working RPC.",
        };
        this.#render();
      },
      (error) => {
        const declined = error?.code === 4001;
        this.#fix = {
          chainId,
          status: declined ? "declined" : "refused",
          text: declined
            ? "You declined in your wallet."
            : `Your wallet refused${error?.message ? `: ${error.message}` : "."}`,
        };
        this.#render();
      },
    );
  }
}

// --- <lifeline-badge> ------------------------------------------------------------------------

/**
 * The badge as a custom element. Put `<lifeline-badge></lifeline-badge>` where it should
 * appear (it then sits in the page's layout), or let attachLifeline add a floating one in the
 * bottom-right corner, like the extension's. Its dataset mirrors the state (data-state…).
 */
function defineBadgeElement() {
  if (typeof customElements === "undefined" || customElements.get(BADGE_TAG)) return;
  const View = globalThis.LifelineBadgeView;

  class LifelineBadgeElement extends HTMLElement {
    #view = null;
    #model = null;
    #lifeline = null;

    /** The attachment this badge shows; binding one draws its current state. */
    get lifeline() {
      return this.#lifeline;
    }

    set lifeline(attachment) {
      this.#lifeline = attachment;
      this.show(attachment?.state ?? null);
    }

    connectedCallback() {
      if (!this.#view) {
        const floating = this.hasAttribute("floating");
        if (floating) this.style.cssText = View.FLOATING_HOST_STYLE;
        else this.style.display = "inline-block";
        this.#view = View.mountBadge(this.attachShadow({ mode: "open" }), {
          onFix: () => this.lifeline?.addChainToWallet(),
          inline: !floating,
          mirrorOnHost: true,
        });
      }
      this.show(this.#model ?? this.lifeline?.state ?? null);
    }

    /** Draws a badge model (see badge-view.js); null hides the badge. */
    show(model) {
      this.#model = model;
      if (!this.#view) return;
      this.hidden = !model;
      if (!model) return;
      // A floating page badge that steps back moves to the other corner, out of the
      // extension badge's way.
      if (this.hasAttribute("floating")) {
        const standby = model.state === "standby";
        this.style.setProperty("right", standby ? "auto" : "16px", "important");
        this.style.setProperty("left", standby ? "16px" : "auto", "important");
      }
      this.#view.render(model);
    }
  }
  customElements.define(BADGE_TAG, LifelineBadgeElement);
}

// --- one script tag --------------------------------------------------------------------------
// <script type="module" src=".../embed.js" data-chain="1"
//         data-fallbacks="https://a.example none, https://b.example none"></script>
// wraps window.ethereum in place and shows the floating badge.
function autoAttach() {
  if (typeof document === "undefined") return;
  const script = [...document.querySelectorAll("script[type=module][src][data-fallbacks]")].find(
    (s) => s.src === import.meta.url,
  );
  if (!script) return;
  const start = () => {
    const provider = window.ethereum;
    if (!provider) {
      console.warn("RPC Lifeline: no window.ethereum on this page; nothing to protect.");
      return;
    }
    const fallbacks = script.dataset.fallbacks
      .split(",")
      .map((item) => item.trim().split(/\s+/))
      .filter(([url]) => url)
      .map(([url, tracking = "unspecified"]) => ({ url, tracking }));
    const lifeline = attachLifeline({
      provider,
      chain: Number(script.dataset.chain),
      fallbacks,
      mode: script.dataset.mode,
    });
    globalThis.rpcLifeline = lifeline;
    if (lifeline.steppedBack) return;
    try {
      window.ethereum = lifeline.provider;
    } catch {
      console.warn("RPC Lifeline: window.ethereum is read-only here; use lifeline.provider.");
    }
  };
  start();
}
autoAttach();
