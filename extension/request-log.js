// The log of every request the background sent to an RPC endpoint: when, to which endpoint,
// for which chain, the JSON-RPC method (never its params), why, and how it ended. It is kept
// where the requests leave: the engine's HTTP client calls the global `fetch` with a Request,
// so a thin wrapper around `fetch` sees every attempt, including fallback attempts that
// failed and were retried elsewhere. Attribution uses the JSON-RPC id the engine puts in the
// body: a probe's id is its probeId; any other call belongs to a read being served.
// The wrapper never changes what `fetch` does or returns, and never throws.

/** Entries kept (oldest dropped first). */
export const MAX_ENTRIES = 500;
/** The log is written to storage at most this often. */
const SAVE_INTERVAL_MS = 1000;
/** Probes remembered for attribution; more are never in flight at once. */
const MAX_PROBES = 256;
/** A served read stays attributable this long after it settled: its last body is read late. */
const SERVE_GRACE_MS = 1000;
const STORAGE_KEY = "requestLog";

export const Why = Object.freeze({
  verifyChainId: "verify chain id",
  verifyGenesis: "verify genesis",
  checkHead: "check head",
  walletError: "wallet error",
  hedge: "hedge",
  reroute: "reroute",
  unknown: "unknown",
});
const WHY_OF_REASON = { walletError: Why.walletError, hedge: Why.hedge, reroute: Why.reroute };

/** @param {{ storage: chrome.storage.StorageArea }} options */
export function createRequestLog({ storage }) {
  /** @type {{ at: number, url: string, chainId: number | null, method: string, why: string, result: string, ms: number }[]} */
  let entries = [];
  const probes = new Map();
  const serves = new Set();
  /** Request URL (as `Request` normalises it) → the URL as the registry lists it. */
  const listedUrls = new Map();
  let saveTimer;
  let loaded = false;

  function push(entry) {
    entries.push(entry);
    if (entries.length > MAX_ENTRIES) entries = entries.slice(-MAX_ENTRIES);
    if (saveTimer === undefined) saveTimer = setTimeout(save, SAVE_INTERVAL_MS);
  }

  async function save() {
    saveTimer = undefined;
    if (!loaded) {
      saveTimer = setTimeout(save, SAVE_INTERVAL_MS);
      return;
    }
    try {
      await storage.set({ [STORAGE_KEY]: entries });
    } catch (error) {
      console.warn("RPC Lifeline: request log not saved", error);
    }
  }

  /** Entries saved before the worker last stopped come before the ones logged since. */
  async function load() {
    try {
      const saved = (await storage.get(STORAGE_KEY))?.[STORAGE_KEY];
      if (Array.isArray(saved))
        entries = [...saved.filter(isEntry), ...entries].slice(-MAX_ENTRIES);
    } catch {
      // an unreadable log starts empty
    }
    loaded = true;
  }

  function attribute(id, url, method) {
    const probe = probes.get(id);
    if (probe && probe.href === url) {
      const why =
        { eth_chainId: Why.verifyChainId, eth_getBlockByNumber: Why.verifyGenesis }[probe.method] ??
        Why.checkHead;
      return { why, chainId: probe.chainId };
    }
    for (const serve of serves) {
      if (serve.method === method)
        return { why: WHY_OF_REASON[serve.reason], chainId: serve.chainId };
    }
    return { why: Why.unknown, chainId: null };
  }

  async function record(url, body, startedAt, started, response) {
    let call;
    try {
      call = JSON.parse(await body);
    } catch {
      return;
    }
    const method = typeof call?.method === "string" ? call.method.slice(0, 64) : "?";
    const { why, chainId } = attribute(call?.id, url, method);
    let result;
    try {
      result = `HTTP ${(await response).status}`;
    } catch (error) {
      result = error?.name === "AbortError" ? "timed out" : "no answer";
    }
    push({
      at: startedAt,
      url: listedUrls.get(url) ?? url,
      chainId,
      method,
      why,
      result,
      ms: Math.round(performance.now() - started),
    });
  }

  return {
    load,

    /** Wraps `scope.fetch`; call once, before the engine sends anything. */
    install(scope = globalThis) {
      const realFetch = scope.fetch.bind(scope);
      scope.fetch = (input, init) => {
        let body;
        try {
          const isRpc =
            typeof Request === "function" &&
            input instanceof Request &&
            input.method === "POST" &&
            /^https?:/.test(input.url);
          // Cloned before the real fetch consumes the body.
          if (isRpc) body = input.clone().text();
        } catch {
          body = undefined;
        }
        const startedAt = Date.now();
        const started = performance.now();
        const response = realFetch(input, init);
        if (body) record(input.url, body, startedAt, started, response).catch(() => {});
        return response;
      };
    },

    /** A `probe` action is about to run. */
    noteProbe(action) {
      let href;
      try {
        href = new Request(action.url).url;
      } catch {
        return;
      }
      probes.set(action.probeId, { href, chainId: action.chainId, method: action.method });
      if (probes.size > MAX_PROBES) probes.delete(probes.keys().next().value);
      // Every endpoint is probed before it may serve, so this also names the ones that serve.
      listedUrls.delete(href);
      listedUrls.set(href, action.url);
      if (listedUrls.size > MAX_PROBES) listedUrls.delete(listedUrls.keys().next().value);
    },

    /** A read is being served; call the returned function once it settled. */
    serving({ chainId, method, reason }) {
      const serve = { chainId, method, reason };
      serves.add(serve);
      return () => setTimeout(() => serves.delete(serve), SERVE_GRACE_MS);
    },

    /** Newest first. */
    entries: () => entries.slice().reverse(),

    async clear() {
      entries = [];
      await storage.remove(STORAGE_KEY);
    },
  };
}

function isEntry(e) {
  return (
    e !== null &&
    typeof e === "object" &&
    Number.isFinite(e.at) &&
    typeof e.url === "string" &&
    typeof e.method === "string" &&
    typeof e.why === "string" &&
    typeof e.result === "string"
  );
}
