// An EIP-1193 provider that answers at once (a resolved promise), set as window.ethereum the
// way wallets do. With the extension loaded, window.ethereum is its wrapper around this one.
const listeners = new Map();
// ?failEvery=K: every K-th read fails the way a wallet reports an upstream failure.
const failEvery = Number(new URLSearchParams(location.search).get("failEvery") ?? 0);
let served = 0;
const provider = {
  isInstant: true,
  async request({ method }) {
    if (method === "eth_chainId") return "0x7a69";
    served += 1;
    if (failEvery > 0 && served % failEvery === 0) {
      throw Object.assign(new Error("Internal JSON-RPC error."), {
        code: -32603,
        data: { cause: { message: "Failed to fetch" } },
      });
    }
    if (method === "eth_blockNumber") return "0x10";
    return null;
  },
  on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(fn);
    return provider;
  },
  removeListener(event, fn) {
    listeners.get(event)?.delete(fn);
    return provider;
  },
};
window.ethereum = provider;

const yieldTask = () =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

/**
 * `n` sequential request() calls, each timed with performance.now(); `yieldEvery` > 0 lets
 * the event loop run between calls (as a real page does), outside the timed section.
 * Returns per-call durations (ms) and the wall time of the whole loop.
 */
window.timeRequests = async ({ n, warmup, yieldEvery }) => {
  const eth = window.ethereum;
  await eth.request({ method: "eth_chainId" });
  for (let i = 0; i < warmup; i++) await eth.request({ method: "eth_blockNumber" });
  await yieldTask();
  const durations = new Float64Array(n);
  const began = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await eth.request({ method: "eth_blockNumber" }).catch(() => null);
    durations[i] = performance.now() - t0;
    if (yieldEvery > 0 && i % yieldEvery === 0) await yieldTask();
  }
  await yieldTask();
  const wallMs = performance.now() - began;
  return {
    durations: Array.from(durations),
    wallMs,
    isolated: self.crossOriginIsolated,
    wrapped: eth !== provider,
  };
};
window.overheadReady = true;
