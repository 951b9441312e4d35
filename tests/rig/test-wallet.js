// A browser-side EIP-1193 wallet that behaves like a real one (MetaMask's RPC layer): reads go
// to its RPC URL with fetch, and upstream failures become the error shapes real wallets return,
// taken from tests/fixtures/wallet-errors.json (passed in as `errorShapes`).
// Plain ES module without imports, served as-is at /rig/test-wallet.js.

// Methods the user must approve: `wallet.rejectNext = true` makes the next one fail with 4001.
const NEEDS_APPROVAL = new Set([
  "eth_requestAccounts",
  "personal_sign",
  "eth_sign",
  "eth_signTypedData_v4",
  "eth_sendTransaction",
  "wallet_addEthereumChain",
]);

const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E" +
  "%3Ccircle cx='16' cy='16' r='14' fill='%23e2761b'/%3E%3C/svg%3E";

/** Like MetaMask's JsonRpcError: a real Error with `code` and (optional) `data`. */
class WalletRpcError extends Error {
  constructor({ code, message, data }) {
    super(message);
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

/**
 * @param {{ rpcUrl: string, name?: string, rdns?: string, uuid?: string,
 *   errorShapes: { shapes: object[], walletMapping: Record<string, string> },
 *   accounts?: string[], chainIdHex?: string, setWindowEthereum?: boolean,
 *   announce?: boolean, isMetaMask?: boolean, lockMethods?: boolean }} options
 */
export function createTestWallet({
  rpcUrl,
  name = "Test Wallet",
  rdns = "org.lifeline.testwallet",
  uuid = crypto.randomUUID(),
  errorShapes,
  accounts = [],
  chainIdHex = "0x7a69",
  setWindowEthereum = false,
  announce = true,
  isMetaMask = false,
  lockMethods = false,
}) {
  const listeners = new Map();
  let nextId = 1;

  const wallet = {
    info: Object.freeze({ uuid, name, icon: ICON, rdns }),
    chainId: chainIdHex,
    rejectNext: false,
    /** `wallet_addEthereumChain` fails as a wallet that will not change a known network. */
    refuseAddChain: false,
    /** Every request the wallet received, in order: `{ method, params }`. */
    calls: [],

    async request(args) {
      if (!args || typeof args.method !== "string") {
        throw new WalletRpcError({
          code: -32600,
          message: "Expected a single, non-array, object argument.",
        });
      }
      const { method, params } = args;
      wallet.calls.push({ method, params });
      if (NEEDS_APPROVAL.has(method) && wallet.rejectNext) {
        wallet.rejectNext = false;
        throw shapeError("userRejected");
      }
      switch (method) {
        case "eth_accounts":
        case "eth_requestAccounts":
          return [...accounts];
        case "wallet_addEthereumChain":
          // Some wallets refuse to change a network they already know.
          if (wallet.refuseAddChain) {
            throw new WalletRpcError({ code: -32602, message: "This network is already added." });
          }
          return null;
        case "wallet_switchEthereumChain":
          return null;
        // Like MetaMask: the selected network's chain id is wallet state, not an RPC call.
        case "eth_chainId":
          return chainIdHex;
        case "net_version":
          return String(Number.parseInt(chainIdHex, 16));
        default:
          return forward(method, params);
      }
    },

    isConnected: () => true,

    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return wallet;
    },

    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return wallet;
    },

    /** Lets tests fire provider events (`chainChanged`, `accountsChanged`, ...). */
    emit(event, ...values) {
      for (const listener of listeners.get(event) ?? []) listener(...values);
      return true;
    },

    /** Legacy `sendAsync(payload, callback)`, still used by old dapps. */
    sendAsync(payload, callback) {
      respond(payload).then(
        (response) => callback(null, response),
        (error) => callback(error, null),
      );
    },

    /** Legacy `send(method, params)` → Promise of the JSON-RPC response, or `send(payload, cb)`. */
    send(methodOrPayload, paramsOrCallback) {
      if (typeof methodOrPayload === "string") {
        return respond({ id: nextId++, method: methodOrPayload, params: paramsOrCallback });
      }
      if (typeof paramsOrCallback === "function")
        return wallet.sendAsync(methodOrPayload, paramsOrCallback);
      throw new WalletRpcError({ code: 4200, message: "Synchronous send is not supported." });
    },
  };
  wallet.off = wallet.removeListener;
  if (isMetaMask) wallet.isMetaMask = true;
  // Like Brave Wallet: `request` cannot be replaced (read-only and locked), and neither can
  // the legacy methods.
  if (lockMethods) {
    for (const name of ["request", "send", "sendAsync"]) {
      Object.defineProperty(wallet, name, {
        value: wallet[name],
        writable: false,
        configurable: false,
      });
    }
  }

  async function respond({ id, method, params }) {
    const result = await wallet.request({ method, params });
    return { jsonrpc: "2.0", id, result };
  }

  async function forward(method, params) {
    const body = JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: params ?? [] });
    let text;
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (!response.ok) throw httpStatusError(response.status);
      text = await response.text();
    } catch (error) {
      if (error instanceof WalletRpcError) throw error;
      throw shapeError("fetchFailed");
    }
    let reply;
    try {
      reply = JSON.parse(text);
    } catch {
      throw shapeError("notJson");
    }
    // An upstream JSON-RPC error passes through unchanged, as wallets do.
    if (reply.error) throw new WalletRpcError(reply.error);
    return reply.result;
  }

  // MetaMask's RpcService: 401 unauthorized; 402, 404 and 5xx "not found or unavailable";
  // 429 rate limited; any other 4xx "HTTP client error" — each carrying the real status.
  function httpStatusError(status) {
    const key = `http${status}`;
    if (errorShapes.walletMapping[key]) return shapeError(key);
    const fallback = status >= 500 ? "http503" : "http403";
    const error = shapeError(fallback);
    error.data = { ...error.data, httpStatus: status };
    return error;
  }

  function shapeError(mappingKey) {
    const shapeName = errorShapes.walletMapping[mappingKey];
    const shape = errorShapes.shapes.find((candidate) => candidate.name === shapeName);
    if (!shape) throw new Error(`wallet-errors.json has no shape for walletMapping.${mappingKey}`);
    return new WalletRpcError(structuredClone(shape.error));
  }

  if (setWindowEthereum) {
    window.ethereum = wallet;
    window.dispatchEvent(new Event("ethereum#initialized"));
  }
  if (announce) {
    const detail = Object.freeze({ info: wallet.info, provider: wallet });
    const announceProvider = () =>
      window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
    window.addEventListener("eip6963:requestProvider", announceProvider);
    announceProvider();
  }
  return wallet;
}
