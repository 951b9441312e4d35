// Validators of every message crossing a context boundary (extension/messages.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import "../../extension/messages.js";

const M = globalThis.LifelineMessages;
const T = M.TARGET_CONTENT;

const started = {
  target: T,
  type: "requestStarted",
  wallet: "io.metamask",
  chainId: 1,
  method: "eth_blockNumber",
  requestId: 7,
};
const finished = {
  target: T,
  type: "requestFinished",
  wallet: "injected",
  chainId: 8453,
  method: "eth_call",
  requestId: 8,
  latencyMs: 12.5,
  outcome: {
    kind: "rpcError",
    code: -32002,
    message: "RPC endpoint not found or unavailable.",
    data: '{"httpStatus":503}',
  },
};
const fallback = {
  target: T,
  type: "fallback",
  id: 3,
  wallet: "io.rabby",
  chainId: 1,
  method: "eth_call",
  params: [{ to: "0x0000000000000000000000000000000000000001", data: "0x" }, "latest"],
  reason: "walletError",
  walletError: { kind: "rpcError", code: -32603, message: "Internal JSON-RPC error." },
};
const addChainParams = {
  chainId: "0x2105",
  chainName: "Base",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: ["https://mainnet.base.org"],
  blockExplorerUrls: ["https://basescan.org"],
};

const clone = (v) => JSON.parse(JSON.stringify(v));
const without = (obj, key) => {
  const copy = clone(obj);
  delete copy[key];
  return copy;
};

describe("page → content messages", () => {
  it("accepts well-formed reports, fallbacks, hello and addChainResult", () => {
    for (const msg of [
      started,
      finished,
      fallback,
      { ...finished, method: "eth_blockNumber", outcome: { kind: "ok" }, blockNumber: 19_000_000 },
      { ...finished, outcome: { kind: "transport", message: "Failed to fetch" } },
      { ...finished, outcome: { kind: "timeout" } },
      { ...finished, outcome: { kind: "http", status: 429, retryAfterMs: 1000 } },
      { target: T, type: "hello" },
      { target: T, type: "addChainResult", id: 1, ok: true },
      { target: T, type: "addChainResult", id: 1, ok: false, code: 4001, message: "User rejected" },
      { ...fallback, reason: "hedge", walletError: undefined },
      { ...fallback, params: [] },
    ]) {
      assert.ok(M.isPageMessage(msg), JSON.stringify(msg));
    }
  });

  it("accepts the wallet's block 0 only as a 32-byte hash", () => {
    const genesis = {
      target: T,
      type: "walletGenesis",
      wallet: "io.metamask",
      chainId: 1,
      hash: `0x${"d4e56740f876aef8".repeat(4)}`,
    };
    assert.ok(M.isPageMessage(genesis));
    const { target: _t, ...forwarded } = genesis;
    assert.ok(M.isContentMessage(forwarded));
    for (const hash of ["0x12", `0x${"zz".repeat(32)}`, `${"ab".repeat(33)}`, 7, null]) {
      assert.ok(!M.isPageMessage({ ...genesis, hash }), String(hash));
    }
    assert.ok(!M.isPageMessage({ ...genesis, url: "https://evil.example" }));
  });

  it("returns a fresh copy without the prototype of the input", () => {
    const parsed = M.parsePageMessage(started);
    assert.deepEqual(parsed, started);
    assert.notEqual(parsed, started);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it("rejects non-objects and unknown types", () => {
    for (const bad of [null, undefined, 42, "hello", [], [started], { ...started, type: "nope" }]) {
      assert.equal(M.parsePageMessage(bad), null, JSON.stringify(bad));
    }
  });

  it("rejects a wrong or missing target", () => {
    assert.equal(M.parsePageMessage({ ...started, target: M.TARGET_INPAGE }), null);
    assert.equal(M.parsePageMessage(without(started, "target")), null);
  });

  it("rejects missing fields and wrong types", () => {
    for (const key of ["wallet", "chainId", "method", "requestId"]) {
      assert.equal(M.parsePageMessage(without(started, key)), null, key);
    }
    for (const [key, value] of [
      ["chainId", "1"],
      ["chainId", 0],
      ["chainId", -1],
      ["chainId", 1.5],
      ["chainId", 2 ** 60],
      ["requestId", -1],
      ["requestId", Number.NaN],
      ["wallet", ""],
      ["wallet", "x".repeat(129)],
      ["wallet", "io.metamask<script>"],
      ["wallet", 5],
      ["method", "eth call"],
      ["method", "0x"],
      ["method", "m".repeat(65)],
      ["method", ["eth_call"]],
    ]) {
      assert.equal(M.parsePageMessage({ ...started, [key]: value }), null, `${key}=${value}`);
    }
    for (const [key, value] of [
      ["latencyMs", -1],
      ["latencyMs", Number.POSITIVE_INFINITY],
      ["latencyMs", "12"],
      ["outcome", { kind: "rpcError", code: "x", message: "m" }],
      ["outcome", { kind: "rpcError", code: 1.5, message: "m" }],
      ["outcome", { kind: "rpcError", code: -32000 }],
      ["outcome", { kind: "http", status: 999 }],
      ["outcome", { kind: "weird" }],
      ["outcome", "ok"],
      ["blockNumber", -5],
      ["blockNumber", "0x10"],
    ]) {
      assert.equal(M.parsePageMessage({ ...finished, [key]: value }), null, key);
    }
    assert.equal(M.parsePageMessage({ ...fallback, reason: "because" }), null);
    assert.equal(M.parsePageMessage({ ...fallback, params: { to: "0x1" } }), null);
    assert.equal(M.parsePageMessage({ target: T, type: "addChainResult", id: 1, ok: "yes" }), null);
  });

  it("rejects extra keys at every level, including a URL the page would like fetched", () => {
    assert.equal(M.parsePageMessage({ ...fallback, url: "https://evil.example/rpc" }), null);
    assert.equal(M.parsePageMessage({ ...fallback, endpoint: "https://evil.example" }), null);
    assert.equal(M.parsePageMessage({ ...started, tab: 12 }), null);
    assert.equal(M.parsePageMessage({ ...finished, outcome: { kind: "ok", extra: 1 } }), null);
    assert.equal(M.parsePageMessage({ target: T, type: "hello", x: 1 }), null);
  });

  it("rejects prototype-pollution keys anywhere", () => {
    const polluted = [
      `{"target":"${T}","type":"hello","__proto__":{"polluted":true}}`,
      JSON.stringify({ ...started, constructor: { prototype: { polluted: true } } }),
      JSON.stringify(fallback).replace('"data":"0x"', '"data":"0x","__proto__":{"polluted":1}'),
      JSON.stringify({ ...fallback, params: [{ constructor: { prototype: {} } }] }),
      JSON.stringify({ ...fallback, params: [[[{ prototype: 1 }]]] }),
      JSON.stringify(finished).replace('"kind":"rpcError"', '"kind":"rpcError","__proto__":{}'),
    ].map((text) => JSON.parse(text));
    for (const msg of polluted) {
      assert.equal(M.parsePageMessage(msg), null, JSON.stringify(msg));
    }
    assert.equal({}.polluted, undefined);
  });

  it("rejects objects whose prototype is not Object.prototype", () => {
    class Sneaky {
      constructor() {
        Object.assign(this, started);
      }
    }
    // JSON copy flattens class instances into plain data: the copy is validated, never the input.
    assert.ok(M.isPageMessage(new Sneaky()));
    const withGetter = { ...started };
    Object.defineProperty(withGetter, "chainId", { get: () => 1, enumerable: true });
    assert.ok(M.isPageMessage(withGetter));
    const cyclic = { ...started };
    cyclic.self = cyclic;
    assert.equal(M.parsePageMessage(cyclic), null);
    assert.equal(M.parsePageMessage({ ...started, big: 10n }), null);
  });

  it("caps sizes: 16 KiB for reports, 64 KiB for fallbacks, 500/2000 chars for error texts", () => {
    const longMessage = { kind: "rpcError", code: -32000, message: "m".repeat(501) };
    assert.equal(M.parsePageMessage({ ...finished, outcome: longMessage }), null);
    const longData = { kind: "rpcError", code: -32000, message: "m", data: "d".repeat(2001) };
    assert.equal(M.parsePageMessage({ ...finished, outcome: longData }), null);
    const okData = {
      kind: "rpcError",
      code: -32000,
      message: "m".repeat(500),
      data: "d".repeat(2000),
    };
    assert.ok(M.isPageMessage({ ...finished, outcome: okData }));

    const padding = "a".repeat(17 * 1024);
    assert.equal(M.parsePageMessage({ target: T, type: "hello", padding }), null);
    assert.equal(M.parsePageMessage({ ...started, method: padding }), null);

    const params40k = [{ data: `0x${"ab".repeat(20 * 1024)}` }];
    assert.ok(M.isPageMessage({ ...fallback, params: params40k }), "a 40 KiB eth_call passes");
    const params70k = [{ data: `0x${"ab".repeat(35 * 1024)}` }];
    assert.equal(M.parsePageMessage({ ...fallback, params: params70k }), null);
  });

  it("caps the nesting depth of params", () => {
    let deep = "leaf";
    for (let i = 0; i < 40; i++) deep = [deep];
    assert.equal(M.parsePageMessage({ ...fallback, params: [deep] }), null);
    let ok = "leaf";
    for (let i = 0; i < 10; i++) ok = { nested: ok };
    assert.ok(M.isPageMessage({ ...fallback, params: [ok] }));
  });
});

describe("content → background messages", () => {
  it("accepts reports and fallbacks without target, rejects page-only types and targets", () => {
    const { target: _t1, ...s } = started;
    const { target: _t2, ...f } = fallback;
    assert.ok(M.isContentMessage(s));
    assert.ok(M.isContentMessage(f));
    assert.equal(M.parseContentMessage(started), null, "target is a page field only");
    assert.equal(M.parseContentMessage({ type: "hello" }), null);
    assert.equal(
      M.parseContentMessage({ ...s, tab: 3 }),
      null,
      "the tab never comes from a message",
    );
  });
});

describe("background → content messages", () => {
  it("accepts policy, badge, suggestFix and fallbackResult", () => {
    for (const msg of [
      { type: "policy", wallet: "injected", chainId: 1, policy: { mode: "pass" } },
      {
        type: "policy",
        wallet: "injected",
        chainId: 1,
        policy: { mode: "hedge", afterMs: 420, checkHead: true, accountReads: false },
      },
      { type: "policy", wallet: "injected", chainId: 1, policy: { mode: "reroute" } },
      {
        type: "badge",
        wallet: "injected",
        chainId: 1,
        state: "failing",
        sentence: "Your wallet's RPC for Ethereum is failing.",
        mode: "protect",
        chainName: "Ethereum Mainnet",
      },
      { type: "suggestFix", wallet: "injected", chainId: 8453, params: addChainParams },
      { type: "fallbackResult", id: 1, served: true, response: { result: "0x10" } },
      { type: "fallbackResult", id: 1, served: true, response: { result: null } },
      {
        type: "fallbackResult",
        id: 1,
        served: true,
        response: { error: { code: 3, message: "execution reverted", data: "0x08c379a0" } },
      },
      { type: "fallbackResult", id: 1, served: false, reason: "the wallet's answer stands" },
    ]) {
      assert.ok(M.isBackgroundMessage(msg), JSON.stringify(msg));
    }
  });

  it("rejects bad policies, states and fix params", () => {
    for (const msg of [
      { type: "policy", wallet: "injected", chainId: 1, policy: { mode: "hedge" } },
      { type: "policy", wallet: "injected", chainId: 1, policy: { mode: "yolo" } },
      {
        type: "badge",
        wallet: "injected",
        chainId: 1,
        state: "purple",
        sentence: "",
        mode: "protect",
      },
      { type: "fallbackResult", id: 1, served: true, response: { result: 1, error: {} } },
      { type: "fallbackResult", id: 1, served: true, response: {} },
      {
        type: "suggestFix",
        wallet: "injected",
        chainId: 1,
        params: { ...addChainParams, rpcUrls: ["javascript:alert(1)"] },
      },
      {
        type: "suggestFix",
        wallet: "injected",
        chainId: 1,
        params: { ...addChainParams, rpcUrls: ["http://evil.example/rpc"] },
      },
      {
        type: "suggestFix",
        wallet: "injected",
        chainId: 1,
        params: { ...addChainParams, rpcUrls: ["https://user:pw@rpc.example"] },
      },
      {
        type: "suggestFix",
        wallet: "injected",
        chainId: 1,
        params: { ...addChainParams, chainId: 8453 },
      },
    ]) {
      assert.equal(M.parseBackgroundMessage(msg), null, JSON.stringify(msg));
    }
    assert.ok(M.isAddChainParams({ ...addChainParams, rpcUrls: ["http://127.0.0.1:8545"] }));
  });
});

describe("popup → background requests", () => {
  it("accepts status and mode requests, rejects anything else", () => {
    assert.ok(M.isPopupRequest({ type: "popupStatus", tab: 12 }));
    assert.ok(M.isPopupRequest({ type: "setMode", mode: "observe" }));
    assert.ok(
      M.isPopupRequest({ type: "setMode", mode: "protect", site: "https://app.uniswap.org" }),
    );
    assert.ok(M.isPopupRequest({ type: "setMode", mode: null, site: "http://127.0.0.1:8080" }));
    for (const bad of [
      { type: "popupStatus", tab: -1 },
      { type: "popupStatus", tab: "12" },
      { type: "setMode", mode: "turbo" },
      { type: "setMode", mode: null },
      { type: "setMode", mode: "observe", site: "https://a.example/path" },
      { type: "setMode", mode: "observe", site: "javascript:alert(1)" },
      { type: "setMode", mode: "observe", extra: true },
    ]) {
      assert.equal(M.parsePopupRequest(bad), null, JSON.stringify(bad));
    }
  });
});

describe("rate limiter", () => {
  it("lets a burst through, then the steady rate, and counts what it drops", () => {
    const limiter = M.createRateLimiter(M.PAGE_RATE);
    let passed = 0;
    for (let i = 0; i < 1000; i++) if (limiter.take(1000)) passed++;
    assert.equal(passed, M.PAGE_RATE.burst);
    assert.equal(limiter.dropped, 1000 - M.PAGE_RATE.burst);

    // A flood over one second gets the rate, not more.
    passed = 0;
    for (let t = 0; t < 1000; t++) {
      for (let k = 0; k < 10; k++) if (limiter.take(1001 + t)) passed++;
    }
    assert.ok(passed >= M.PAGE_RATE.rate - 1 && passed <= M.PAGE_RATE.rate + 1, `passed ${passed}`);
  });

  it("refills over time up to the burst, never beyond", () => {
    const limiter = M.createRateLimiter({ rate: 10, burst: 5 });
    for (let i = 0; i < 5; i++) assert.ok(limiter.take(0));
    assert.equal(limiter.take(0), false);
    assert.ok(limiter.take(100), "one token after 100 ms at 10/s");
    assert.equal(limiter.take(100), false);
    let passed = 0;
    for (let i = 0; i < 20; i++) if (limiter.take(60_000)) passed++;
    assert.equal(passed, 5);
  });

  it("does not refill when the clock goes backwards", () => {
    const limiter = M.createRateLimiter({ rate: 10, burst: 1 });
    assert.ok(limiter.take(1000));
    assert.equal(limiter.take(0), false);
    assert.equal(limiter.take(500), false);
    assert.ok(limiter.take(1100));
  });
});

describe("constants", () => {
  it("names every message type once per hop", () => {
    assert.deepEqual(Object.values(M.PageToContent).sort(), [
      "addChainResult",
      "fallback",
      "hello",
      "requestFinished",
      "requestStarted",
      "walletGenesis",
    ]);
    assert.deepEqual(Object.values(M.ContentToPage).sort(), [
      "addChain",
      "fallbackResult",
      "policy",
      "ready",
    ]);
    assert.ok(Object.isFrozen(M));
  });
});

const anvilChain = {
  chainId: 31337,
  name: "Anvil",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcs: [{ url: "http://127.0.0.1:8545", tracking: "none" }],
};

describe("options → background requests", () => {
  it("accepts the four requests", () => {
    for (const msg of [
      { type: "optionsState" },
      { type: "requestLog" },
      { type: "clearRequestLog" },
      { type: "checkSettings", engineSettings: { allowedTracking: ["none"] } },
      { type: "checkSettings", userChains: [anvilChain] },
    ]) {
      assert.deepEqual(M.parseOptionsRequest(msg), msg, msg.type);
    }
  });

  it("refuses unknown keys, bad chains and duplicate chain ids", () => {
    assert.equal(M.parseOptionsRequest({ type: "requestLog", url: "https://x" }), null);
    assert.equal(M.parseOptionsRequest({ type: "fetch", url: "https://x" }), null);
    const chains = (c) => M.parseOptionsRequest({ type: "checkSettings", userChains: c });
    assert.equal(chains([anvilChain, anvilChain]), null);
    assert.equal(chains([{ ...anvilChain, chainId: 0 }]), null);
    assert.equal(chains([{ ...anvilChain, rpcs: [{ url: "http://127.0.0.1:8545" }] }]), null);
  });
});

describe("endpoint URLs", () => {
  it("follows the engine's rule: https, or http to this machine", () => {
    for (const url of [
      "https://rpc.example.org",
      "https://rpc.example.org:8443/v1?key=abc",
      "http://127.0.0.1:8545",
      "http://localhost/rpc",
    ]) {
      assert.ok(M.isEndpointUrl(url), url);
    }
    for (const url of [
      "http://rpc.example.org",
      "https://user:pw@rpc.example.org",
      "https://rpc.example.org@evil.example",
      "https://host:port",
      "wss://rpc.example.org",
      " https://rpc.example.org",
      "https://rpc.example.org\n",
      "https://bücher.example",
      "http://[::1]:8545",
      `https://${"a".repeat(600)}`,
    ]) {
      assert.equal(M.isEndpointUrl(url), false, url);
    }
  });
});

describe("managed policy", () => {
  it("keeps each valid key and names the ones it ignores", () => {
    const { policy, ignored } = M.parseManagedPolicy({
      mode: "observe",
      allowedTracking: ["none", "limited"],
      endpoints: [anvilChain],
      allowUserEndpoints: false,
      useBundledEndpoints: true,
      siteModes: { "https://app.example": "suggest" },
      modee: "protect",
      allowedTracking2: [],
    });
    assert.deepEqual(policy, {
      mode: "observe",
      allowedTracking: ["none", "limited"],
      endpoints: [anvilChain],
      allowUserEndpoints: false,
      useBundledEndpoints: true,
      siteModes: { "https://app.example": "suggest" },
    });
    assert.deepEqual(ignored, ["modee", "allowedTracking2"]);
  });

  it("ignores a bad value without voiding the rest", () => {
    const { policy, ignored } = M.parseManagedPolicy({
      mode: "turbo",
      allowedTracking: ["none", "none"],
      endpoints: [{ ...anvilChain, rpcs: [{ url: "http://rpc.example", tracking: "none" }] }],
      allowUserEndpoints: false,
    });
    assert.deepEqual(policy, { allowUserEndpoints: false });
    assert.deepEqual(ignored.sort(), ["allowedTracking", "endpoints", "mode"]);
    assert.deepEqual(M.parseManagedPolicy(undefined), { policy: {}, ignored: [] });
  });
});

describe("settings file", () => {
  const file = {
    format: "rpc-lifeline-settings",
    version: 1,
    exportedAt: "2025-01-01T00:00:00.000Z",
    settings: {
      mode: "suggest",
      siteModes: { "https://app.example": "observe" },
      engineSettings: { allowedTracking: ["none"], hedgeFloorMs: 300 },
      userChains: [anvilChain],
      badgeWhenHealthy: "hidden",
      hiddenSites: ["https://app.example"],
    },
  };

  it("accepts what the options page exports", () => {
    assert.deepEqual(M.parseSettingsFile(file), file);
    assert.deepEqual(M.parseSettingsFile({ ...file, settings: {} }), { ...file, settings: {} });
  });

  it("refuses other files and bad values", () => {
    assert.equal(M.parseSettingsFile({ ...file, format: "other" }), null);
    assert.equal(M.parseSettingsFile({ ...file, version: 2 }), null);
    assert.equal(M.parseSettingsFile({ ...file, settings: { mode: "turbo" } }), null);
    assert.equal(M.parseSettingsFile({ ...file, settings: { lifelineState: "x" } }), null);
    assert.equal(
      M.parseSettingsFile({ ...file, settings: { siteModes: { "javascript:x": "observe" } } }),
      null,
    );
    assert.equal(M.parseSettingsFile(JSON.parse('{"__proto__": {"polluted": 1}}')), null);
  });
});
