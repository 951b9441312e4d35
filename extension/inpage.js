// RPC Lifeline's in-page wrapper: a MAIN-world content script at document_start, every frame.
//
// It wraps window.ethereum and every EIP-6963 provider in a Proxy that behaves like the
// provider itself, reports each request's outcome to content.js (fire-and-forget, never
// params or results), and, for read methods only, asks content.js once for a fallback answer
// when the wallet fails. Every path fails open: on any exception of ours, and whenever the
// extension does not answer in time, the page gets exactly what its wallet gave.
//
// MAIN-world content scripts are classic scripts that cannot load extension modules, so the
// build bundles this file (esbuild, one IIFE) with the rules generated from the engine
// (contract.js). The message shapes it posts and reads are defined and validated in
// extension/messages.js (PageToContent, ContentToPage).
import {
  BROADCAST_METHODS,
  READ_METHODS as CONTRACT_READ_METHODS,
  HOP_DEADLINES,
  MAX_NAME_CHARS,
  mayHedge,
} from "./contract.js";

(() => {
  const TARGET_CONTENT = "rpc-lifeline-content";
  const TARGET_INPAGE = "rpc-lifeline-inpage";
  /** How long a page request waits for a fallback before taking the wallet's own answer. */
  const FALLBACK_DEADLINE_MS = HOP_DEADLINES.pageMs;
  /** Hedge attempts for one read that its wallet has not answered. */
  const MAX_HEDGES_PER_READ = 3;
  /** Longest a wallet's block number waits for the fallback's when its head looks frozen. */
  const HEAD_CHECK_WAIT_MS = 1000;
  /** Reports kept while a provider's chain id is still unknown. */
  const REPORT_BUFFER_CAP = 100;
  /** Minimum gap between our own eth_chainId calls to a provider that failed to answer one. */
  const CHAIN_PROBE_RETRY_MS = 10_000;
  const ERROR_MESSAGE_CHARS = 500;
  const ERROR_DATA_CHARS = 2000;
  /** Kept under messages.js' 64 KiB fallback cap to leave room for the envelope. */
  const FALLBACK_PARAMS_CHARS = 60 * 1024;
  const WALLET_RE = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_NAME_CHARS - 1}}$`);
  const METHOD_RE = new RegExp(`^[A-Za-z][A-Za-z0-9_]{0,${MAX_NAME_CHARS - 1}}$`);
  const HEX_RE = /^0x[0-9a-fA-F]{1,14}$/;
  const HASH_RE = /^0x[0-9a-fA-F]{64}$/;

  const READ_METHODS = new Set(CONTRACT_READ_METHODS);
  const BROADCAST = new Set(BROADCAST_METHODS);

  // Only http(s) documents with a real origin get a bridge; file:, sandboxed and other opaque
  // origins are left exactly as they are.
  const win = window;
  const origin = location.origin;
  const httpDocument = location.protocol === "https:" || location.protocol === "http:";
  if (!httpDocument || origin === "null" || self.origin !== origin) return;

  // Captured before any page script runs, so later patches by the page cannot reach us.
  const {
    apply,
    get: reflectGet,
    set: reflectSet,
    getOwnPropertyDescriptor: ownDesc,
    ownKeys,
    defineProperty: reflectDefine,
    deleteProperty,
    getPrototypeOf,
  } = Reflect;
  const ObjectDefineProperty = Object.defineProperty;
  const postMessage = win.postMessage;
  const addEventListener = win.addEventListener;
  const dispatchEvent = win.dispatchEvent;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const perfNow = performance.now.bind(performance);
  const setTimer = win.setTimeout.bind(win);
  const clearTimer = win.clearTimeout.bind(win);
  const PromiseCtor = Promise;
  /**
   * Answered (true) by every provider we wrap, so a page's embedded copy of RPC Lifeline
   * (www/lifeline/embed.js) sees that the extension is in charge and steps back.
   */
  const EXTENSION_MARK = Symbol.for("rpc-lifeline.extension");

  // --- bridge to content.js -----------------------------------------------------------------

  let contentReady = false;
  let helloSent = false;
  let nextRequestId = 1;
  let nextFallbackId = 1;
  /** "wallet\nchainId" → { mode, afterMs? } pushed by the engine through content.js. */
  const policies = new Map();
  /** fallback id → { finish, timer } */
  const pendingFallbacks = new Map();

  function post(msg) {
    try {
      msg.target = TARGET_CONTENT;
      apply(postMessage, win, [msg, origin]);
    } catch {
      // fail open: a report that cannot be posted is simply lost
    }
  }

  function sayHello() {
    if (helloSent) return;
    helloSent = true;
    post({ type: "hello" });
  }

  apply(addEventListener, win, [
    "message",
    (event) => {
      try {
        if (event.source !== win || event.origin !== origin) return;
        const data = event.data;
        if (!data || typeof data !== "object" || data.target !== TARGET_INPAGE) return;
        event.stopImmediatePropagation();
        onContentMessage(data);
      } catch {
        // a malformed message is ignored
      }
    },
    true,
  ]);

  function onContentMessage(data) {
    switch (data.type) {
      case "ready":
        contentReady = true;
        break;
      case "policy":
        if (typeof data.wallet === "string" && Number.isSafeInteger(data.chainId)) {
          const p = data.policy;
          const key = policyKey(data.wallet, data.chainId);
          if (p && (p.mode === "pass" || p.mode === "reroute")) {
            policies.set(key, { mode: p.mode });
          } else if (p && p.mode === "hedge" && Number.isFinite(p.afterMs) && p.afterMs >= 0) {
            policies.set(key, {
              mode: "hedge",
              afterMs: p.afterMs,
              checkHead: p.checkHead === true,
              accountReads: p.accountReads === true,
            });
          }
          rescheduleWaiting(key);
        }
        break;
      case "fallbackResult": {
        const pending = pendingFallbacks.get(data.id);
        if (pending) pending.finish(data);
        break;
      }
      case "addChain":
        addChain(data);
        break;
      default:
        break;
    }
  }

  const policyKey = (wallet, chainId) => `${wallet}\n${chainId}`;

  /**
   * Reads still waiting on their wallet, per policy key, each with its start time and hedge
   * timer. A new policy re-times them: a read sent while the policy was `pass` is hedged once
   * it has waited the new delay (dapps share one pending read among callers, so a hung one
   * would otherwise block them all), and `reroute` hedges every waiting read at once.
   */
  const waitingReads = new Map();

  function scheduleHedge(entry, policy) {
    clearTimer(entry.timer);
    entry.timer = undefined;
    if (!mayHedge(policy, entry.method)) return;
    if (policy.mode === "reroute") entry.hedge();
    else entry.timer = setTimer(entry.hedge, Math.max(0, entry.start + policy.afterMs - perfNow()));
  }

  function rescheduleWaiting(key) {
    const waiting = waitingReads.get(key);
    if (!waiting) return;
    const policy = policies.get(key) ?? { mode: "pass" };
    for (const entry of [...waiting]) scheduleHedge(entry, policy);
  }
  const policyFor = (wallet, chainId) =>
    policies.get(policyKey(wallet, chainId)) ?? { mode: "pass" };

  /** Asks content.js once for a fallback answer; resolves to { served, response? }, never rejects. */
  function askFallback(plan, chainId, reason, walletError, requestId) {
    return new PromiseCtor((resolve) => {
      try {
        if (!contentReady || plan.paramsJson === undefined) {
          resolve({ served: false });
          return;
        }
        const id = nextFallbackId++;
        const finish = (answer) => {
          const pending = pendingFallbacks.get(id);
          if (!pending) return;
          pendingFallbacks.delete(id);
          clearTimer(pending.timer);
          const response = answer?.response;
          const ok =
            answer?.served === true &&
            response &&
            typeof response === "object" &&
            ("result" in response || (response.error && typeof response.error === "object"));
          resolve(ok ? { served: true, response } : { served: false });
        };
        const timer = setTimer(() => finish({ served: false }), FALLBACK_DEADLINE_MS);
        pendingFallbacks.set(id, { finish, timer });
        const msg = {
          type: "fallback",
          id,
          wallet: plan.wallet,
          chainId,
          method: plan.method,
          params: parse(plan.paramsJson),
          reason,
        };
        if (walletError) msg.walletError = walletError;
        if (requestId !== undefined) msg.requestId = requestId;
        post(msg);
      } catch {
        resolve({ served: false });
      }
    });
  }

  /** Turns a served fallback into what the page's promise settles with. */
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

  // --- providers ------------------------------------------------------------------------------

  const rawToProxy = new WeakMap();
  const proxyToRaw = new WeakMap();
  /** raw provider → { rdns?, chainId?, probing, lastProbe, listening, buffer } */
  const providerInfo = new WeakMap();
  /** wallet identity → the raw provider that identity last spoke through */
  const walletProviders = new Map();
  /** EIP-6963 uuid → raw provider */
  const announced = new Map();
  const requestWrappers = new WeakMap();
  const legacyWrappers = new WeakMap();
  const thisFixers = new WeakMap();
  const arrayViews = new WeakMap();

  const isObjectLike = (v) => (typeof v === "object" && v !== null) || typeof v === "function";

  function infoOf(raw) {
    let info = providerInfo.get(raw);
    if (!info) {
      info = { probing: false, lastProbe: -Infinity, listening: false, buffer: [] };
      providerInfo.set(raw, info);
    }
    return info;
  }

  const walletOf = (raw) => infoOf(raw).rdns ?? "injected";

  function looksLikeProvider(v) {
    try {
      return (
        typeof reflectGet(v, "request", v) === "function" ||
        typeof reflectGet(v, "sendAsync", v) === "function"
      );
    } catch {
      return false;
    }
  }

  /** The Proxy for a provider (the same one every time), or the value itself if not wrappable. */
  function wrap(value) {
    if (!isObjectLike(value) || proxyToRaw.has(value)) return value;
    const existing = rawToProxy.get(value);
    if (existing) return existing;
    if (!looksLikeProvider(value)) return value;
    let proxy;
    try {
      // A provider whose request (or legacy send) is locked, frozen or read-only like Brave
      // Wallet's, cannot have it replaced through a Proxy over itself (a Proxy must report a
      // locked property exactly): such a provider is seen through a stand-in target instead.
      const locked = WRAPPED_METHODS.some((name) => mustStayExact(value, name));
      proxy = locked
        ? new Proxy(standIn(value), standInHandler)
        : new Proxy(value, providerHandler);
    } catch {
      return value;
    }
    rawToProxy.set(value, proxy);
    proxyToRaw.set(proxy, value);
    sayHello();
    return proxy;
  }

  // A Proxy must report a non-writable, non-configurable own data property as it is.
  function mustStayExact(target, prop) {
    const d = ownDesc(target, prop);
    return d !== undefined && !d.configurable && "value" in d && !d.writable;
  }

  const WRAPPED_METHODS = ["request", "send", "sendAsync"];
  /** stand-in target → the locked provider it stands for */
  const standIns = new WeakMap();

  function standIn(raw) {
    const target = {};
    standIns.set(target, raw);
    return target;
  }

  const providerHandler = {
    get(target, prop) {
      if (prop === EXTENSION_MARK) return true;
      const raw = standIns.get(target) ?? target;
      // Getters and methods run against the real provider (private fields, brand checks).
      const value = reflectGet(raw, prop, raw);
      try {
        if (raw === target && mustStayExact(target, prop)) return value;
        if (typeof value === "function") {
          if (prop === "request") return requestWrapper(raw, value);
          if (prop === "send" || prop === "sendAsync") return legacyWrapper(raw, value, prop);
          if (prop !== "constructor") return thisFixer(value);
        }
        if (prop === "providers" && Array.isArray(value)) return arrayView(value);
      } catch {
        // fail open
      }
      return value;
    },
    set(target, prop, value) {
      const raw = standIns.get(target) ?? target;
      return reflectSet(raw, prop, value, raw);
    },
  };

  /**
   * The rest of a locked provider's traps, forwarded to it. The stand-in has no properties
   * of its own, so nothing is bound to report them exactly: descriptors read as configurable
   * and the object as extensible, the price of protecting it (its values and methods are its
   * own, `instanceof` holds).
   */
  const standInHandler = {
    ...providerHandler,
    has: (target, prop) => prop in standIns.get(target),
    ownKeys: (target) => ownKeys(standIns.get(target)),
    getOwnPropertyDescriptor(target, prop) {
      const d = ownDesc(standIns.get(target), prop);
      return d && { ...d, configurable: true };
    },
    defineProperty: (target, prop, desc) => reflectDefine(standIns.get(target), prop, desc),
    deleteProperty: (target, prop) => deleteProperty(standIns.get(target), prop),
    getPrototypeOf: (target) => getPrototypeOf(standIns.get(target)),
  };

  /** Calls a provider method with the real provider as `this`; `return this` stays the proxy. */
  function thisFixer(fn) {
    let fixed = thisFixers.get(fn);
    if (!fixed) {
      fixed = new Proxy(fn, {
        apply(f, thisArg, args) {
          const raw = proxyToRaw.get(thisArg);
          if (raw === undefined) return apply(f, thisArg, args);
          const result = apply(f, raw, args);
          return result === raw ? thisArg : result;
        },
      });
      thisFixers.set(fn, fixed);
    }
    return fixed;
  }

  /** A live view of a `providers` array whose elements are wrapped. */
  function arrayView(array) {
    let view = arrayViews.get(array);
    if (!view) {
      view = new Proxy(array, {
        get(target, prop, receiver) {
          const value = reflectGet(target, prop, receiver);
          try {
            if (typeof prop === "string" && /^\d+$/.test(prop) && !mustStayExact(target, prop)) {
              return wrap(value);
            }
          } catch {
            // fail open
          }
          return value;
        },
      });
      arrayViews.set(array, view);
    }
    return view;
  }

  /** Which raw provider a call is for: its `this` when that is one of ours, else the owner. */
  function callTarget(owner, thisArg) {
    const raw = proxyToRaw.get(thisArg);
    if (raw !== undefined) return { raw, callThis: raw };
    return { raw: rawToProxy.has(thisArg) ? thisArg : owner, callThis: thisArg };
  }

  function requestWrapper(owner, fn) {
    const cached = requestWrappers.get(owner);
    if (cached && cached.fn === fn) return cached.wrapper;
    const wrapper = new Proxy(fn, {
      apply(f, thisArg, args) {
        const { raw, callThis } = callTarget(owner, thisArg);
        const callWallet = () => apply(f, callThis, args);
        let plan;
        try {
          plan = planRequest(raw, args[0]);
        } catch {
          plan = undefined;
        }
        if (!plan) return callWallet();
        if (plan.read && contentReady && plan.paramsJson !== undefined) {
          return withFailover(plan, callWallet);
        }
        return observe(plan, callWallet);
      },
    });
    requestWrappers.set(owner, { fn, wrapper });
    return wrapper;
  }

  function planRequest(raw, args) {
    if (!args || typeof args !== "object") return undefined;
    const method = args.method;
    if (typeof method !== "string" || !METHOD_RE.test(method)) return undefined;
    const wallet = walletOf(raw);
    walletProviders.set(wallet, raw);
    listenForChain(raw);
    // A signed transaction always goes to the wallet first; only the wallet's own
    // infrastructure failure of it may send it on to fallbacks (the engine decides). It is
    // never hedged, never rerouted on a policy, never altered.
    const broadcast = BROADCAST.has(method);
    const plan = {
      raw,
      wallet,
      method,
      read: READ_METHODS.has(method) || broadcast,
      broadcast,
      paramsJson: undefined,
    };
    if (plan.read) {
      // A copy of the params, taken now: only the failure path ever sends it.
      const params = args.params === undefined ? [] : args.params;
      if (Array.isArray(params)) {
        const text = stringify(params);
        if (typeof text === "string" && text.length <= FALLBACK_PARAMS_CHARS)
          plan.paramsJson = text;
      }
    } else if (method === "wallet_switchEthereumChain") {
      plan.switchTo = args.params?.[0]?.chainId;
    }
    return plan;
  }

  /** The wallet's own call, reported, its very promise returned to the page. */
  function observe(plan, callWallet) {
    const report = reportStart(plan);
    let result;
    try {
      result = callWallet();
    } catch (error) {
      reportError(report, error);
      throw error;
    }
    try {
      if (result && typeof result.then === "function") {
        result.then(
          (value) => reportOk(report, value),
          (error) => reportError(report, error),
        );
      } else {
        reportOk(report, result);
      }
    } catch {
      // fail open
    }
    return result;
  }

  /**
   * A read request under the engine's policy: pass (fallback only when the wallet errs), hedge
   * (also ask for a fallback after `afterMs` without an answer) or reroute (ask first, and
   * call the wallet as usual if that is not served). One fallback request per page request.
   */
  function withFailover(plan, callWallet) {
    const chainId = infoOf(plan.raw).chainId;
    if (chainId === undefined) return observe(plan, callWallet);
    const policy = policyFor(plan.wallet, chainId);
    return new PromiseCtor((resolve, reject) => {
      let settled = false;
      const settle = (fn, value) => {
        if (!settled) {
          settled = true;
          fn(value);
        }
      };
      const serve = (answer) =>
        settleServed(
          answer.response,
          (v) => settle(resolve, v),
          (e) => settle(reject, e),
        );

      // The wallet's head looks frozen: its block number is checked against the fallback's,
      // asked at once, and the page gets the newer of the two.
      const checkHead =
        policy.mode === "hedge" && policy.checkHead && plan.method === "eth_blockNumber";

      const runWallet = (mayAsk) => {
        const report = reportStart(plan);
        let hedged;
        let hedgeInFlight = false;
        let heldHead; // { value }: the wallet's block number, waiting for the fallback's
        let walletPromise;
        try {
          walletPromise = PromiseCtor.resolve(callWallet());
        } catch (error) {
          walletPromise = PromiseCtor.reject(error);
        }
        const hedge = () => {
          if (settled || hedged) return;
          waiting.hedges += 1;
          hedgeInFlight = true;
          hedged = askFallback(plan, chainId, "hedge", undefined, report.requestId).then(
            (answer) => {
              hedgeInFlight = false;
              if (heldHead && answer.served) {
                settle(resolve, newerHead(heldHead.value, answer.response));
              } else if (heldHead) {
                settle(resolve, heldHead.value);
              } else if (answer.served) {
                done(); // the wallet may never answer: do not keep this read waiting
                serve(answer);
              } else if (!settled && waiting.hedges < MAX_HEDGES_PER_READ) {
                // No fallback could answer just now (all busy, behind or failing): try again
                // after another delay rather than leave the read on a wallet that may hang.
                hedged = undefined;
                waiting.start = perfNow();
                scheduleHedge(waiting, policyFor(plan.wallet, chainId));
              }
              return answer;
            },
          );
        };
        const key = policyKey(plan.wallet, chainId);
        const waiting = {
          start: report.start,
          method: plan.method,
          hedge,
          timer: undefined,
          hedges: 0,
        };
        if (mayAsk && !plan.broadcast) {
          if (!waitingReads.has(key)) waitingReads.set(key, new Set());
          waitingReads.get(key).add(waiting);
          if (checkHead) hedge();
          else if (policy.mode === "hedge") scheduleHedge(waiting, policy);
        }
        const done = () => {
          clearTimer(waiting.timer);
          waitingReads.get(key)?.delete(waiting);
        };
        walletPromise.then(
          (value) => {
            done();
            reportOk(report, value);
            if (checkHead && hedgeInFlight) {
              heldHead = { value };
              setTimer(() => settle(resolve, value), HEAD_CHECK_WAIT_MS);
            } else {
              settle(resolve, value);
            }
          },
          (error) => {
            done();
            const outcome = reportError(report, error);
            if (settled) return;
            if (hedged) {
              hedged.then((answer) => answer.served || settle(reject, error));
            } else if (mayAsk && outcome && policies.has(policyKey(plan.wallet, chainId))) {
              // Only once the background has judged this wallet: a background that never
              // answers must not add a round trip to every failed read.
              askFallback(plan, chainId, "walletError", outcome).then((answer) =>
                answer.served ? serve(answer) : settle(reject, error),
              );
            } else {
              settle(reject, error);
            }
          },
        );
      };

      if (policy.mode === "reroute" && !plan.broadcast) {
        askFallback(plan, chainId, "reroute").then((answer) =>
          answer.served ? serve(answer) : runWallet(false),
        );
      } else {
        runWallet(true);
      }
    });
  }

  // Legacy `send` / `sendAsync`: observed only, never failed over.
  function legacyWrapper(owner, fn, name) {
    let byName = legacyWrappers.get(owner);
    if (!byName) {
      byName = new Map();
      legacyWrappers.set(owner, byName);
    }
    const cached = byName.get(name);
    if (cached && cached.fn === fn) return cached.wrapper;
    const wrapper = new Proxy(fn, {
      apply(f, thisArg, args) {
        const { raw, callThis } = callTarget(owner, thisArg);
        let plan;
        let callArgs = args;
        try {
          const [first, second] = args;
          if (name === "send" && typeof first === "string") {
            plan = planRequest(raw, { method: first });
            if (plan) return observe(plan, () => apply(f, callThis, args));
          } else if (
            first &&
            typeof first === "object" &&
            !Array.isArray(first) &&
            typeof second === "function"
          ) {
            plan = planRequest(raw, { method: first.method });
            if (plan) {
              const report = reportStart(plan);
              callArgs = [first, callbackObserver(report, second), ...args.slice(2)];
            }
          }
        } catch {
          callArgs = args;
        }
        return apply(f, callThis, callArgs);
      },
    });
    byName.set(name, { fn, wrapper });
    return wrapper;
  }

  function callbackObserver(report, callback) {
    let reported = false;
    return function observedCallback(...args) {
      const [error, response] = args;
      try {
        if (!reported) {
          reported = true;
          if (error) reportError(report, error);
          else if (response && typeof response === "object" && response.error)
            reportError(report, response.error);
          else reportOk(report, response?.result);
        }
      } catch {
        // fail open
      }
      return apply(callback, this, args);
    };
  }

  // --- chain id -------------------------------------------------------------------------------

  /** The wallet's block number, or the fallback's answer when that is a newer block. */
  function newerHead(walletValue, response) {
    const theirs = "result" in response ? parseQuantity(response.result) : undefined;
    const mine = parseQuantity(walletValue);
    return theirs !== undefined && (mine === undefined || theirs > mine)
      ? response.result
      : walletValue;
  }

  function parseQuantity(v) {
    if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
    if (typeof v !== "string" || !HEX_RE.test(v)) return undefined;
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }

  function learnChain(raw, value) {
    const chainId = parseQuantity(value);
    if (chainId === undefined || chainId < 1) return;
    const info = infoOf(raw);
    info.chainId = chainId;
    const buffered = info.buffer;
    info.buffer = [];
    for (const { report, msg } of buffered) {
      report.chainId ??= chainId;
      msg.chainId = report.chainId;
      post(msg);
    }
    askGenesis(raw, chainId);
  }

  /**
   * Our own read of block 0, once per chain the wallet is on, straight to the wallet like our
   * eth_chainId (not a page read, so not reported as one): its hash says which chain the
   * wallet follows, so only endpoints on that chain serve it (a chain id can be reused by a
   * fork). It carries nothing about the user.
   */
  function askGenesis(raw, chainId) {
    const info = infoOf(raw);
    if (info.genesisAsked === chainId) return;
    info.genesisAsked = chainId;
    try {
      const request = reflectGet(raw, "request", raw);
      PromiseCtor.resolve(
        apply(request, raw, [{ method: "eth_getBlockByNumber", params: ["0x0", false] }]),
      ).then(
        (block) => {
          const hash = genesisHash(block);
          if (hash !== undefined)
            post({ type: "walletGenesis", wallet: walletOf(raw), chainId, hash });
        },
        () => {},
      );
    } catch {
      // fail open: without it the chain's endpoints decide by majority
    }
  }

  function listenForChain(raw) {
    const info = infoOf(raw);
    if (info.listening) return;
    info.listening = true;
    try {
      const on = reflectGet(raw, "on", raw);
      if (typeof on === "function") {
        apply(on, raw, ["chainChanged", (chainId) => learnChain(raw, chainId)]);
      }
    } catch {
      // no events: the chain is learnt from results instead
    }
  }

  /** Our own eth_chainId, once, straight to the wallet, when the page has not asked yet. */
  function probeChain(raw) {
    const info = infoOf(raw);
    const now = perfNow();
    if (info.probing || now - info.lastProbe < CHAIN_PROBE_RETRY_MS) return;
    info.probing = true;
    info.lastProbe = now;
    try {
      const request = reflectGet(raw, "request", raw);
      PromiseCtor.resolve(apply(request, raw, [{ method: "eth_chainId" }])).then(
        (value) => {
          info.probing = false;
          learnChain(raw, value);
        },
        () => {
          info.probing = false;
        },
      );
    } catch {
      info.probing = false;
    }
  }

  // --- reports (never params, never results) --------------------------------------------------

  function send(report, msg) {
    if (report.chainId === undefined) report.chainId = infoOf(report.raw).chainId;
    if (report.chainId !== undefined) {
      msg.chainId = report.chainId;
      post(msg);
      return;
    }
    const info = infoOf(report.raw);
    if (info.buffer.length >= REPORT_BUFFER_CAP) info.buffer.shift();
    info.buffer.push({ report, msg });
    if (report.method !== "eth_chainId") probeChain(report.raw);
  }

  function reportStart(plan) {
    const report = {
      raw: plan.raw,
      wallet: plan.wallet,
      method: plan.method,
      requestId: nextRequestId++,
      chainId: infoOf(plan.raw).chainId,
      switchTo: plan.switchTo,
      start: perfNow(),
      done: false,
    };
    try {
      send(report, {
        type: "requestStarted",
        wallet: report.wallet,
        method: report.method,
        requestId: report.requestId,
      });
    } catch {
      // fail open
    }
    return report;
  }

  /** Block 0's hash, when `value` is block 0. */
  function genesisHash(value) {
    if (typeof value !== "object" || !value) return undefined;
    try {
      const number = reflectGet(value, "number");
      const hash = reflectGet(value, "hash");
      return number === "0x0" && typeof hash === "string" && HASH_RE.test(hash) ? hash : undefined;
    } catch {
      return undefined;
    }
  }

  function reportFinish(report, outcome, blockNumber) {
    if (report.done) return;
    report.done = true;
    const msg = {
      type: "requestFinished",
      wallet: report.wallet,
      method: report.method,
      requestId: report.requestId,
      latencyMs: Math.max(0, perfNow() - report.start),
      outcome,
    };
    if (blockNumber !== undefined) msg.blockNumber = blockNumber;
    send(report, msg);
  }

  function reportOk(report, value) {
    try {
      if (report.method === "eth_chainId") learnChain(report.raw, value);
      if (report.switchTo !== undefined) learnChain(report.raw, report.switchTo);
      const blockNumber = report.method === "eth_blockNumber" ? parseQuantity(value) : undefined;
      reportFinish(report, { kind: "ok" }, blockNumber);
    } catch {
      // fail open
    }
  }

  /** Reports a wallet error; returns the Observed outcome sent (undefined if none). */
  function reportError(report, error) {
    try {
      const outcome = observedError(error);
      reportFinish(report, outcome);
      return outcome;
    } catch {
      return undefined;
    }
  }

  function observedError(error) {
    let code;
    let message = "";
    let data;
    try {
      code = error?.code;
      const m = error?.message;
      if (typeof m === "string") message = m.slice(0, ERROR_MESSAGE_CHARS);
      if (error?.data !== undefined) {
        const text = stringify(error.data);
        if (typeof text === "string") data = text.slice(0, ERROR_DATA_CHARS);
      }
    } catch {
      // keep what we have
    }
    if (!Number.isSafeInteger(code) || code < -(2 ** 31) || code >= 2 ** 31) {
      // Not a JSON-RPC error: the wallet failed before any RPC answer.
      return { kind: "transport", message };
    }
    const outcome = { kind: "rpcError", code, message };
    if (data !== undefined) outcome.data = data;
    return outcome;
  }

  // --- EIP-3085 fix, asked by content.js after the user clicked the badge's button -------------

  function addChain(data) {
    const id = data.id;
    const answer = (fields) => post({ type: "addChainResult", id, ...fields });
    try {
      if (!Number.isSafeInteger(id) || typeof data.wallet !== "string") return;
      const raw = walletProviders.get(data.wallet);
      const params = data.params;
      if (!raw || !params || typeof params !== "object") {
        answer({ ok: false, message: "No such wallet on this page." });
        return;
      }
      const request = reflectGet(raw, "request", raw);
      PromiseCtor.resolve(
        apply(request, raw, [{ method: "wallet_addEthereumChain", params: [params] }]),
      ).then(
        () => answer({ ok: true }),
        (error) => {
          const outcome = observedError(error);
          const fields = { ok: false, message: outcome.message };
          if (outcome.kind === "rpcError") fields.code = outcome.code;
          answer(fields);
        },
      );
    } catch {
      answer({ ok: false, message: "The wallet could not be asked." });
    }
  }

  // --- window.ethereum ------------------------------------------------------------------------

  const ourGetters = new WeakSet();
  let ethereumValue;

  function ethereumGetter() {
    return wrap(ethereumValue);
  }
  function ethereumSetter(value) {
    ethereumValue = value;
  }
  ourGetters.add(ethereumGetter);

  /**
   * The descriptor to really define for window.ethereum, given the one asked for (`desc`) and
   * the one in place (`current`): a writable value becomes our accessor (so later assignments
   * are seen), a read-only value is wrapped in place, and someone else's getter is wrapped.
   * Attributes not given keep their current values, as [[DefineOwnProperty]] does.
   */
  function hookedDescriptor(desc, current) {
    const configurable =
      "configurable" in desc ? desc.configurable : (current?.configurable ?? false);
    const enumerable = "enumerable" in desc ? desc.enumerable : (current?.enumerable ?? false);
    if ("get" in desc || "set" in desc) {
      const get = desc.get;
      if (typeof get !== "function" || ourGetters.has(get)) return desc;
      const wrappedGet = function ethereum() {
        return wrap(apply(get, this, []));
      };
      ourGetters.add(wrappedGet);
      return { get: wrappedGet, set: desc.set, configurable, enumerable };
    }
    const currentIsData = current !== undefined && "value" in current;
    const writable = "writable" in desc ? desc.writable : currentIsData ? current.writable : false;
    const value = "value" in desc ? desc.value : currentIsData ? current.value : ethereumValue;
    if (writable) {
      ethereumValue = value;
      return { get: ethereumGetter, set: ethereumSetter, configurable, enumerable };
    }
    return { value: wrap(value), writable: false, configurable, enumerable };
  }

  function currentEthereumDescriptor() {
    const d = ownDesc(win, "ethereum");
    if (d && d.get === ethereumGetter) {
      return {
        value: ethereumValue,
        writable: true,
        configurable: d.configurable,
        enumerable: d.enumerable,
      };
    }
    return d;
  }

  /** (Re)installs our hook unless window.ethereum is locked or already hooked. */
  function hookEthereum() {
    try {
      const d = ownDesc(win, "ethereum");
      if (d && (ourGetters.has(d.get) || proxyToRaw.has(d.value) || !d.configurable)) return;
      const desc = d ?? { value: undefined, writable: true, configurable: true, enumerable: true };
      apply(ObjectDefineProperty, Object, [win, "ethereum", hookedDescriptor(desc, d)]);
    } catch {
      // fail open
    }
  }

  const isEthereumOnWindow = (target, key) => target === win && key === "ethereum";

  // Wallets that claim window.ethereum with defineProperty (often non-configurable) would
  // otherwise replace our hook; their descriptor is kept, with the provider wrapped.
  function hookDefiner(owner, name, rewrite) {
    const original = owner[name];
    try {
      apply(ObjectDefineProperty, Object, [
        owner,
        name,
        {
          value: new Proxy(original, {
            apply(f, thisArg, args) {
              let callArgs = args;
              try {
                callArgs = rewrite(args);
              } catch {
                callArgs = args;
              }
              return apply(f, thisArg, callArgs);
            },
          }),
          writable: true,
          configurable: true,
          enumerable: false,
        },
      ]);
    } catch {
      // fail open
    }
  }

  const rewriteDefine = (args) => {
    const [target, key, desc] = args;
    if (!isEthereumOnWindow(target, key) || !desc || typeof desc !== "object") return args;
    return [target, key, hookedDescriptor(desc, currentEthereumDescriptor()), ...args.slice(3)];
  };
  hookDefiner(Object, "defineProperty", rewriteDefine);
  hookDefiner(Reflect, "defineProperty", rewriteDefine);
  hookDefiner(Object, "defineProperties", (args) => {
    const [target, props] = args;
    if (target !== win || !props || typeof props !== "object") return args;
    const d = ownDesc(props, "ethereum");
    if (!d?.enumerable) return args;
    const copy = {};
    for (const key of Reflect.ownKeys(props)) {
      const pd = ownDesc(props, key);
      if (pd?.enumerable) copy[key] = props[key];
    }
    copy.ethereum = hookedDescriptor(copy.ethereum, currentEthereumDescriptor());
    return [target, copy, ...args.slice(2)];
  });

  hookEthereum();
  for (const type of ["ethereum#initialized", "DOMContentLoaded", "load"]) {
    apply(addEventListener, win, [
      type,
      hookEthereum,
      { capture: true, once: type !== "ethereum#initialized" },
    ]);
  }

  // --- EIP-6963 ---------------------------------------------------------------------------

  const sanitizeWallet = (rdns) =>
    typeof rdns === "string" && WALLET_RE.test(rdns) && rdns !== "injected" ? rdns : undefined;

  apply(addEventListener, win, [
    "eip6963:announceProvider",
    (event) => {
      try {
        const detail = event.detail;
        const provider = detail?.provider;
        if (!isObjectLike(provider) || proxyToRaw.has(provider)) return;
        const info = detail.info;
        const rdns = sanitizeWallet(info?.rdns);
        const providerState = infoOf(provider);
        if (rdns && providerState.rdns === undefined) providerState.rdns = rdns;
        if (typeof info?.uuid === "string") announced.set(info.uuid, provider);
        if (rdns) walletProviders.set(rdns, provider);
        const wrapped = wrap(provider);
        if (wrapped === provider) return;
        // The announcement's detail is frozen: announce the wrapped provider in its place,
        // synchronously, before any page listener sees the original.
        event.stopImmediatePropagation();
        apply(dispatchEvent, win, [
          new CustomEvent("eip6963:announceProvider", {
            detail: Object.freeze({ info, provider: wrapped }),
          }),
        ]);
      } catch {
        // fail open: the page's listeners still get the original event
      }
    },
    true,
  ]);
  try {
    apply(dispatchEvent, win, [new Event("eip6963:requestProvider")]);
  } catch {
    // nothing announced yet; announcements will still be caught
  }
})();
