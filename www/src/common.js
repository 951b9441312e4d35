// Small helpers the three pages share.

/** Creates an element with attributes and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === undefined || value === null) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** "4 ms", "312 ms", "2.4 s". */
export function formatMs(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** "14:03:07" in the user's locale. */
export function clock(at) {
  return new Date(at).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

/** What a JSON-RPC method asks, in words. */
export function methodInWords(method) {
  return METHOD_WORDS[method] ?? method;
}

const METHOD_WORDS = {
  eth_blockNumber: "the latest block number",
  eth_getBalance: "a balance",
  eth_chainId: "which chain the wallet is on",
  eth_call: "a contract's answer",
  eth_getBlockByNumber: "a block",
  eth_estimateGas: "a gas estimate",
  eth_gasPrice: "the gas price",
  personal_sign: "a signature (wallet only)",
  eth_accounts: "the accounts (wallet only)",
  eth_requestAccounts: "the accounts (wallet only)",
};

/**
 * The demo's endpoints, served by scripts/demo.js next to the pages, or null when the pages
 * are served by a plain static server.
 */
export async function loadDemoConfig() {
  try {
    const response = await fetch("__demo/config.json", { cache: "no-store" });
    if (!response.ok) return null;
    return await response.json();
  } catch {
    return null;
  }
}

/** Sets the demo wallet RPC's fault mode through the demo server; resolves the mode in force. */
export async function setWalletFault(mode) {
  const response = await fetch("__control", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mode }),
  });
  if (!response.ok) throw new Error(await response.text());
  return (await response.json()).mode;
}

export async function walletFault() {
  const response = await fetch("__control", { cache: "no-store" });
  return response.ok ? (await response.json()).mode : null;
}
