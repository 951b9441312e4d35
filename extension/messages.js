// Every message that crosses a context boundary in RPC Lifeline, with its validator.
//
// Hops:
//   page   inpage.js (MAIN world)  ──window.postMessage──▶ content.js     (PAGE_TO_CONTENT)
//   page   content.js              ──window.postMessage──▶ inpage.js      (CONTENT_TO_PAGE)
//   port   content.js              ──runtime port────────▶ background.js  (CONTENT_TO_BACKGROUND)
//   port   background.js           ──runtime port────────▶ content.js     (BACKGROUND_TO_CONTENT)
//   popup  popup.js                ──runtime.sendMessage─▶ background.js  (POPUP_TO_BACKGROUND)
//   page   options.js              ──runtime.sendMessage─▶ background.js  (OPTIONS_TO_BACKGROUND)
//
// Values that reach the extension from outside without being messages are validated here too:
// the administrator's managed policy (storage.managed), a settings file or an ethereum-lists
// chain file the user imports, and the user's endpoints read back from storage.
//
// This file is loaded three ways, so it has no `export` and defines one global,
// `globalThis.LifelineMessages`: bundled (esbuild, one IIFE with the generated contract.js)
// as a classic content script listed before content.js, as a side-effect
// `import "./messages.js"` in the module service worker and the popup, and by node tests. inpage.js runs in the page's own world and cannot load it: it keeps a copy of
// the shapes it sends and reads; keep the two in sync.
//
// Every validator takes untrusted input and returns a fresh plain object built only from
// the fields of the schema, or null. Nothing in any message from a page can name a URL the
// extension would fetch: no schema has such a field and unknown keys are rejected.
import { MAX_NAME_CHARS } from "./contract.js";

(() => {
  const TARGET_CONTENT = "rpc-lifeline-content";
  const TARGET_INPAGE = "rpc-lifeline-inpage";
  const PORT_NAME = "lifeline-tab";

  const PageToContent = Object.freeze({
    hello: "hello",
    requestStarted: "requestStarted",
    requestFinished: "requestFinished",
    walletGenesis: "walletGenesis",
    fallback: "fallback",
    addChainResult: "addChainResult",
  });
  const ContentToPage = Object.freeze({
    ready: "ready",
    policy: "policy",
    fallbackResult: "fallbackResult",
    addChain: "addChain",
  });
  const ContentToBackground = Object.freeze({
    requestStarted: "requestStarted",
    requestFinished: "requestFinished",
    walletGenesis: "walletGenesis",
    fallback: "fallback",
  });
  const BackgroundToContent = Object.freeze({
    policy: "policy",
    badge: "badge",
    suggestFix: "suggestFix",
    fallbackResult: "fallbackResult",
    /** The user pressed the popup's fix button: ask the wallet with the fix the tab holds. */
    askAddChain: "askAddChain",
  });
  const PopupToBackground = Object.freeze({
    popupStatus: "popupStatus",
    setMode: "setMode",
    addChain: "addChain",
  });
  const OptionsToBackground = Object.freeze({
    /** The registry as the engine uses it (each endpoint with where it came from) and locks. */
    optionsState: "optionsState",
    /** The log of requests sent to endpoints. */
    requestLog: "requestLog",
    clearRequestLog: "clearRequestLog",
    /** Asks the engine whether it would accept these settings and user chains. */
    checkSettings: "checkSettings",
  });

  const Limits = Object.freeze({
    /** JSON size of any report or small message from a page (characters). */
    reportJsonChars: 16 * 1024,
    /** JSON size of a fallback request, whose params may carry calldata. */
    fallbackJsonChars: 64 * 1024,
    /** JSON size of a served fallback answer: the engine accepts bodies up to 8 MiB. */
    resultJsonChars: 9 * 1024 * 1024,
    errorMessageChars: 500,
    errorDataChars: 2000,
    sentenceChars: 500,
    methodChars: 64,
    walletChars: MAX_NAME_CHARS,
    /** Nesting depth of params: eth_call state overrides need about 5. */
    paramsDepth: 16,
    /** Longest latency worth reporting: wallet prompts can stay open a long time. */
    latencyMs: 24 * 60 * 60 * 1000,
    urls: 16,
    urlChars: 512,
    /** JSON size of a request from the options page (it may carry every user chain). */
    optionsJsonChars: 512 * 1024,
    /** JSON size of an imported settings or chain file. */
    importJsonChars: 1024 * 1024,
    /** User or managed chains, and endpoints per chain: far above any real use. */
    chains: 256,
    rpcsPerChain: 128,
    siteModes: 1000,
    chainNameChars: 100,
  });

  const Modes = Object.freeze(["observe", "suggest", "protect"]);
  /** Tracking policies as chainlist records them; the engine's default allows "none" only. */
  const TrackingPolicies = Object.freeze(["none", "limited", "yes", "unspecified"]);
  const BadgeStates = Object.freeze(["healthy", "degraded", "failing", "rerouting"]);
  const FallbackReasons = Object.freeze(["walletError", "hedge", "reroute"]);
  const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

  const hasOwn = (o, k) => Object.hasOwn(o, k);

  function isPlainObject(v) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  }

  // --- field validators: each returns the accepted value or INVALID -------------------------
  const INVALID = Symbol("invalid");

  const literal = (value) => (v) => (v === value ? v : INVALID);
  const oneOf = (values) => (v) => (values.includes(v) ? v : INVALID);
  const bool = (v) => (typeof v === "boolean" ? v : INVALID);
  const int = (min, max) => (v) => (Number.isSafeInteger(v) && v >= min && v <= max ? v : INVALID);
  const num = (min, max) => (v) =>
    typeof v === "number" && Number.isFinite(v) && v >= min && v <= max ? v : INVALID;
  const str = (max, pattern) => (v) =>
    typeof v === "string" && v.length <= max && (!pattern || pattern.test(v)) ? v : INVALID;

  const METHOD_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
  // EIP-6963 rdns (reverse DNS) or "injected" for a window.ethereum never announced.
  const WALLET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
  const HEX_QUANTITY_RE = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;

  const chainId = int(1, Number.MAX_SAFE_INTEGER);
  const requestId = int(0, Number.MAX_SAFE_INTEGER);
  const wallet = str(Limits.walletChars, WALLET_RE);
  const method = str(Limits.methodChars, METHOD_RE);
  const rpcCode = int(-(2 ** 31), 2 ** 31 - 1);
  const blockHash = str(66, /^0x[0-9a-fA-F]{64}$/);

  /** Fails unless `v` is a plain object with exactly the schema's keys (optional ones marked). */
  function object(schema) {
    const entries = Object.entries(schema).map(([key, check]) => {
      const optional = key.endsWith("?");
      return [optional ? key.slice(0, -1) : key, check, optional];
    });
    const known = new Set(entries.map(([key]) => key));
    return (v) => {
      if (!isPlainObject(v)) return INVALID;
      for (const key of Object.keys(v)) if (!known.has(key)) return INVALID;
      const out = {};
      for (const [key, check, optional] of entries) {
        if (!hasOwn(v, key) || v[key] === undefined) {
          if (optional) continue;
          return INVALID;
        }
        const value = check(v[key]);
        if (value === INVALID) return INVALID;
        out[key] = value;
      }
      return out;
    };
  }

  /** A union discriminated by `field`: `variants[v[field]]` validates the whole object. */
  function union(field, variants) {
    return (v) => {
      if (!isPlainObject(v) || typeof v[field] !== "string" || !hasOwn(variants, v[field])) {
        return INVALID;
      }
      return variants[v[field]](v);
    };
  }

  /** Any JSON value without prototype-polluting keys, nested at most `depth` deep. */
  function jsonValue(v, depth) {
    if (depth < 0) return false;
    if (v === null || typeof v === "string" || typeof v === "boolean") return true;
    if (typeof v === "number") return Number.isFinite(v);
    if (Array.isArray(v)) return v.every((x) => jsonValue(x, depth - 1));
    if (!isPlainObject(v)) return false;
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key) || !jsonValue(v[key], depth - 1)) return false;
    }
    return true;
  }
  const params = (v) => (Array.isArray(v) && jsonValue(v, Limits.paramsDepth) ? v : INVALID);
  const anyJson = (v) => (jsonValue(v, 64) ? v : INVALID);

  function url(v) {
    if (typeof v !== "string" || v.length > Limits.urlChars) return INVALID;
    let parsed;
    try {
      parsed = new URL(v);
    } catch {
      return INVALID;
    }
    if (parsed.username || parsed.password) return INVALID;
    if (parsed.protocol === "https:") return v;
    const local = parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost";
    return parsed.protocol === "http:" && local ? v : INVALID;
  }
  // The engine's own rule (src/registry.rs `endpoint_host`), so that what the options page
  // accepts is what the engine accepts: https, or http to this machine; a plain host name of
  // letters, digits, dots and dashes; a numeric port; no credentials, spaces or controls.
  const ENDPOINT_RE = /^(https?):\/\/([A-Za-z0-9.-]+)(?::\d+)?(?:[/?#].*)?$/;
  const CONTROL_OR_SPACE_RE = /[\s\p{Cc}]/u;
  function endpointUrl(v) {
    if (typeof v !== "string" || v.length > Limits.urlChars || CONTROL_OR_SPACE_RE.test(v)) {
      return INVALID;
    }
    const match = ENDPOINT_RE.exec(v);
    if (!match) return INVALID;
    const local = match[2] === "127.0.0.1" || match[2] === "localhost";
    return match[1] === "https" || local ? v : INVALID;
  }

  const urlList = (v) =>
    Array.isArray(v) && v.length <= Limits.urls && v.every((u) => url(u) !== INVALID)
      ? v.slice()
      : INVALID;

  /** What a wallet answered, as the engine's `Observed` type. */
  const observed = union("kind", {
    ok: object({ kind: literal("ok") }),
    rpcError: object({
      kind: literal("rpcError"),
      code: rpcCode,
      message: str(Limits.errorMessageChars),
      "data?": str(Limits.errorDataChars),
    }),
    timeout: object({ kind: literal("timeout") }),
    transport: object({ kind: literal("transport"), message: str(Limits.errorMessageChars) }),
    http: object({
      kind: literal("http"),
      status: int(100, 599),
      "retryAfterMs?": int(0, Limits.latencyMs),
    }),
  });

  const policy = union("mode", {
    pass: object({ mode: literal("pass") }),
    hedge: object({
      mode: literal("hedge"),
      afterMs: int(0, 60_000),
      checkHead: bool,
      accountReads: bool,
    }),
    reroute: object({ mode: literal("reroute") }),
  });

  /** EIP-3085 `wallet_addEthereumChain` parameter, as the engine's suggestFix carries it. */
  const addChainParams = object({
    chainId: str(18, HEX_QUANTITY_RE),
    chainName: str(100),
    nativeCurrency: object({ name: str(100), symbol: str(12), decimals: int(0, 36) }),
    rpcUrls: urlList,
    "blockExplorerUrls?": urlList,
  });

  /** A list of at most `max` items each accepted by `check`, copied. */
  const arrayOf = (check, max) => (v) => {
    if (!Array.isArray(v) || v.length > max) return INVALID;
    const out = [];
    for (const item of v) {
      const value = check(item);
      if (value === INVALID) return INVALID;
      out.push(value);
    }
    return out;
  };
  /** A plain object whose keys match `keyPattern` and whose values `check` accepts. */
  const recordOf = (keyPattern, check, max) => (v) => {
    if (!isPlainObject(v)) return INVALID;
    const entries = Object.entries(v);
    if (entries.length > max) return INVALID;
    const out = {};
    for (const [key, value] of entries) {
      if (FORBIDDEN_KEYS.has(key) || !keyPattern.test(key) || check(value) === INVALID) {
        return INVALID;
      }
      out[key] = value;
    }
    return out;
  };
  const tracking = oneOf(TrackingPolicies);
  const trackingSet = (v) => {
    const out = arrayOf(tracking, TrackingPolicies.length)(v);
    return out !== INVALID && new Set(out).size === out.length ? out : INVALID;
  };
  const ORIGIN_RE = /^https?:\/\/[^/?#\s]+$/;
  const origin = str(Limits.urlChars, ORIGIN_RE);

  /** A chain and its endpoints, the engine's ChainSpec (the shape of chains.json entries). */
  const chainSpec = object({
    chainId,
    name: str(Limits.chainNameChars, /\S/),
    "shortName?": str(Limits.chainNameChars),
    nativeCurrency: object({ name: str(100), symbol: str(12), decimals: int(0, 36) }),
    "blockExplorerUrls?": urlList,
    rpcs: arrayOf(
      object({ url: endpointUrl, tracking, "source?": str(Limits.chainNameChars) }),
      Limits.rpcsPerChain,
    ),
  });
  /** Chains with distinct ids. */
  const chainList = (v) => {
    const out = arrayOf(chainSpec, Limits.chains)(v);
    return out !== INVALID && new Set(out.map((c) => c.chainId)).size === out.length
      ? out
      : INVALID;
  };
  /** The engine's Settings, partial: its own keys and ranges are the engine's to check. */
  const engineSettings = (v) =>
    isPlainObject(v) && Object.keys(v).length <= 64 && jsonValue(v, 3) ? v : INVALID;

  /**
   * What an administrator may set through browser policy (storage.managed; the schema
   * Chromium checks is managed_schema.json, keep the two in sync). Each key is judged alone.
   */
  const managedFields = {
    endpoints: chainList,
    useBundledEndpoints: bool,
    allowUserEndpoints: bool,
    mode: oneOf(Modes),
    siteModes: recordOf(ORIGIN_RE, oneOf(Modes), Limits.siteModes),
    allowedTracking: trackingSet,
  };

  /** Everything the options page exports and imports, as it sits in storage.local. */
  const SETTINGS_FORMAT = "rpc-lifeline-settings";
  const settingsFile = object({
    format: literal(SETTINGS_FORMAT),
    version: literal(1),
    "exportedAt?": str(64),
    settings: object({
      "mode?": oneOf(Modes),
      "siteModes?": recordOf(ORIGIN_RE, oneOf(Modes), Limits.siteModes),
      "engineSettings?": engineSettings,
      "userChains?": chainList,
      "badgeWhenHealthy?": oneOf(["discreet", "hidden"]),
      "hiddenSites?": arrayOf(origin, Limits.siteModes),
    }),
  });

  const rpcErrorObject = object({
    code: rpcCode,
    message: str(Limits.errorMessageChars * 4),
    "data?": anyJson,
  });
  const fallbackResponse = (v) => {
    if (isPlainObject(v) && hasOwn(v, "result") && Object.keys(v).length === 1) {
      return jsonValue(v.result, 64) ? { result: v.result } : INVALID;
    }
    return object({ error: rpcErrorObject })(v);
  };

  // --- message schemas ------------------------------------------------------------------

  const requestStarted = {
    type: literal("requestStarted"),
    wallet,
    chainId,
    method,
    requestId,
  };
  const requestFinished = {
    type: literal("requestFinished"),
    wallet,
    chainId,
    method,
    requestId,
    latencyMs: num(0, Limits.latencyMs),
    outcome: observed,
    "blockNumber?": int(0, Number.MAX_SAFE_INTEGER),
  };
  /** Block 0's hash as the wallet answered the wrapper's own read of it. */
  const walletGenesis = { type: literal("walletGenesis"), wallet, chainId, hash: blockHash };
  const fallback = {
    type: literal("fallback"),
    id: requestId,
    wallet,
    chainId,
    method,
    params,
    reason: oneOf(FallbackReasons),
    "walletError?": observed,
    /** The read a hedge races: its requestStarted id. */
    "requestId?": requestId,
  };

  /** Reports and requests the content script forwards to the background, minus `target`. */
  const contentToBackground = union("type", {
    requestStarted: object(requestStarted),
    requestFinished: object(requestFinished),
    walletGenesis: object(walletGenesis),
    fallback: object(fallback),
  });

  const withTarget = (target, schema) => object({ target: literal(target), ...schema });

  const pageToContent = union("type", {
    hello: withTarget(TARGET_CONTENT, { type: literal("hello") }),
    requestStarted: withTarget(TARGET_CONTENT, requestStarted),
    requestFinished: withTarget(TARGET_CONTENT, requestFinished),
    walletGenesis: withTarget(TARGET_CONTENT, walletGenesis),
    fallback: withTarget(TARGET_CONTENT, fallback),
    addChainResult: withTarget(TARGET_CONTENT, {
      type: literal("addChainResult"),
      id: requestId,
      ok: bool,
      "code?": rpcCode,
      "message?": str(Limits.errorMessageChars),
    }),
  });

  const backgroundToContent = union("type", {
    policy: object({ type: literal("policy"), wallet, chainId, policy }),
    badge: object({
      type: literal("badge"),
      wallet,
      chainId,
      state: oneOf(BadgeStates),
      sentence: str(Limits.sentenceChars),
      mode: oneOf(Modes),
      "chainName?": str(100),
    }),
    suggestFix: object({
      type: literal("suggestFix"),
      wallet,
      chainId,
      params: addChainParams,
    }),
    fallbackResult: object({
      type: literal("fallbackResult"),
      id: requestId,
      served: bool,
      "response?": fallbackResponse,
      "reason?": str(200),
    }),
    // Carries nothing: the parameters are the ones the engine sent this tab before.
    askAddChain: object({ type: literal("askAddChain") }),
  });

  const popupToBackground = union("type", {
    popupStatus: object({ type: literal("popupStatus"), tab: int(0, 2 ** 31 - 1) }),
    addChain: object({ type: literal("addChain"), tab: int(0, 2 ** 31 - 1) }),
    setMode: (v) => {
      const out = object({
        type: literal("setMode"),
        mode: (m) => (m === null || Modes.includes(m) ? m : INVALID),
        "site?": str(Limits.urlChars, /^https?:\/\/[^/?#\s]+$/),
      })(v);
      // Clearing (null) only makes sense for a per-site override.
      return out !== INVALID && out.mode === null && out.site === undefined ? INVALID : out;
    },
  });

  const optionsToBackground = union("type", {
    optionsState: object({ type: literal("optionsState") }),
    requestLog: object({ type: literal("requestLog") }),
    clearRequestLog: object({ type: literal("clearRequestLog") }),
    checkSettings: object({
      type: literal("checkSettings"),
      "engineSettings?": engineSettings,
      "userChains?": chainList,
    }),
  });

  // --- entry points -----------------------------------------------------------------------

  /**
   * Measures `data` as JSON and rebuilds it as plain objects of this realm: structured clones
   * from the page (or Xray-wrapped values in Firefox) become ordinary data before any check.
   * Returns undefined when it is not JSON, or its JSON text is longer than `maxChars`.
   */
  function jsonCopy(data, maxChars) {
    let text;
    try {
      text = JSON.stringify(data);
    } catch {
      return undefined;
    }
    if (typeof text !== "string" || text.length > maxChars) return undefined;
    return JSON.parse(text);
  }

  const capFor = (data) =>
    isPlainObject(data) && data.type === "fallback"
      ? Limits.fallbackJsonChars
      : Limits.reportJsonChars;

  function parseWith(validator, data, maxChars) {
    const copy = jsonCopy(data, maxChars);
    if (copy === undefined) return null;
    const out = validator(copy);
    return out === INVALID ? null : out;
  }

  /** A message posted by inpage.js for content.js, validated and copied; null if not one. */
  const parsePageMessage = (data) => parseWith(pageToContent, data, capFor(data));
  /** A message from a content script's port, validated and copied; null if not one. */
  const parseContentMessage = (data) => parseWith(contentToBackground, data, capFor(data));
  /** A message from the background on the port, validated and copied; null if not one. */
  const parseBackgroundMessage = (data) =>
    parseWith(backgroundToContent, data, Limits.resultJsonChars);
  /** A request from the popup, validated and copied; null if not one. */
  const parsePopupRequest = (data) => parseWith(popupToBackground, data, Limits.reportJsonChars);

  /** A request from the options page, validated and copied; null if not one. */
  const parseOptionsRequest = (data) =>
    parseWith(optionsToBackground, data, Limits.optionsJsonChars);

  /** The user's endpoints as stored (storage.local `userChains`); null if not valid. */
  const parseUserChains = (data) => parseWith(chainList, data, Limits.importJsonChars);

  /** A settings file the options page exported; null if not one. */
  const parseSettingsFile = (data) => parseWith(settingsFile, data, Limits.importJsonChars);

  /**
   * The administrator's policy from storage.managed: `policy` holds the keys that are valid,
   * `ignored` names the ones that were set but are not (a typo must not void the rest).
   */
  function parseManagedPolicy(data) {
    const policy = {};
    const ignored = [];
    const copy = isPlainObject(data) ? jsonCopy(data, Limits.importJsonChars) : undefined;
    if (copy === undefined) return { policy, ignored: isPlainObject(data) ? ["*"] : [] };
    for (const [key, value] of Object.entries(copy)) {
      const check = hasOwn(managedFields, key) ? managedFields[key] : undefined;
      const out = check ? check(value) : INVALID;
      if (out === INVALID) ignored.push(String(key).slice(0, 64));
      else policy[key] = out;
    }
    return { policy, ignored };
  }

  /** An endpoint URL the engine would accept: https, or http to 127.0.0.1/localhost only. */
  const isEndpointUrl = (v) => endpointUrl(v) !== INVALID;

  /**
   * Token bucket: `rate` tokens per second, at most `burst` stored. `take(nowMs)` spends one
   * token and says whether the message may pass; `dropped` counts the refused ones.
   */
  function createRateLimiter({ rate, burst }) {
    let tokens = burst;
    let last;
    return {
      dropped: 0,
      take(nowMs) {
        if (last !== undefined && nowMs > last) {
          tokens = Math.min(burst, tokens + ((nowMs - last) * rate) / 1000);
        }
        if (last === undefined || nowMs > last) last = nowMs;
        if (tokens >= 1) {
          tokens -= 1;
          return true;
        }
        this.dropped += 1;
        return false;
      },
    };
  }

  /** Rate limits: a page may report 50 messages a second, with bursts of 100 (page loads). */
  const PAGE_RATE = Object.freeze({ rate: 50, burst: 100 });
  /**
   * Per engine view in the background (a tab's top frame with its same-origin frames, or one
   * framed origin): twice one frame's, shared by all the view's frames.
   */
  const VIEW_RATE = Object.freeze({ rate: 100, burst: 200 });

  globalThis.LifelineMessages = Object.freeze({
    TARGET_CONTENT,
    TARGET_INPAGE,
    PORT_NAME,
    PageToContent,
    ContentToPage,
    ContentToBackground,
    BackgroundToContent,
    PopupToBackground,
    OptionsToBackground,
    Limits,
    Modes,
    TrackingPolicies,
    SETTINGS_FORMAT,
    BadgeStates,
    FallbackReasons,
    PAGE_RATE,
    VIEW_RATE,
    parsePageMessage,
    parseContentMessage,
    parseBackgroundMessage,
    parsePopupRequest,
    parseOptionsRequest,
    parseUserChains,
    parseSettingsFile,
    parseManagedPolicy,
    isEndpointUrl,
    isPageMessage: (data) => parsePageMessage(data) !== null,
    isContentMessage: (data) => parseContentMessage(data) !== null,
    isBackgroundMessage: (data) => parseBackgroundMessage(data) !== null,
    isPopupRequest: (data) => parsePopupRequest(data) !== null,
    isAddChainParams: (data) => addChainParams(jsonCopy(data, Limits.reportJsonChars)) !== INVALID,
    createRateLimiter,
  });
})();
