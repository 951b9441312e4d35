// Test dapp: real viem code talking to the page's wallet(s). Query string:
//   ?rpc=URL   a test wallet on URL as window.ethereum, also announced via EIP-6963
//   &rpc2=URL  a second wallet, announced via EIP-6963 only
// Tests drive `window.dapp`, `window.dappWith(rdns)` and `window.testWallets` after
// `await window.dappReady`.

import { createPublicClient, createWalletClient, custom, defineChain, toHex } from "viem";
import { createTestWallet } from "/rig/test-wallet.js";
import {
  CHAIN_ID,
  CHAIN_ID_HEX,
  DEV_ACCOUNT,
  REVERTER,
  SHA256_PRECOMPILE,
} from "../../rig/chain.js";

const REVERTER_ABI = [
  {
    type: "function",
    name: "fail",
    inputs: [],
    outputs: [{ type: "uint256" }],
    stateMutability: "view",
  },
];

async function boot() {
  const query = new URLSearchParams(location.search);
  const errorShapes = await (await fetch("/fixtures/wallet-errors.json")).json();
  const chain = defineChain({
    id: CHAIN_ID,
    name: "Anvil (test)",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [query.get("rpc") ?? "http://127.0.0.1:8545"] } },
  });
  const walletOptions = {
    errorShapes,
    accounts: [DEV_ACCOUNT],
    chainIdHex: CHAIN_ID_HEX,
    announce: true,
    lockMethods: query.get("locked") === "1",
  };

  const wallets = [];
  if (query.has("rpc")) {
    wallets.push(
      createTestWallet({
        ...walletOptions,
        rpcUrl: query.get("rpc"),
        name: "Test Wallet",
        rdns: "org.lifeline.testwallet",
        setWindowEthereum: true,
      }),
    );
  }
  if (query.has("rpc2")) {
    wallets.push(
      createTestWallet({
        ...walletOptions,
        rpcUrl: query.get("rpc2"),
        name: "Second Wallet",
        rdns: "org.lifeline.testwallet2",
      }),
    );
  }
  window.testWallets = wallets;
  window.dapp = window.ethereum ? createDappApi(window.ethereum, chain) : undefined;
  window.dappWith = async (rdns) => createDappApi(await discoverProvider(rdns), chain);
  showUi(wallets);
}

function createDappApi(provider, chain) {
  const transport = custom(provider);
  // cacheTime 0: every dapp call reaches the wallet, so tests can count and compare them.
  const publicClient = createPublicClient({ chain, transport, cacheTime: 0 });
  const walletClient = createWalletClient({ chain, transport });

  const api = {
    blockNumber: settle("blockNumber", () => publicClient.getBlockNumber()),
    balance: settle("balance", (address = DEV_ACCOUNT) => publicClient.getBalance({ address })),
    chainId: settle("chainId", () => publicClient.getChainId()),
    call: settle("call", async () => {
      const { data } = await publicClient.call({ to: SHA256_PRECOMPILE, data: toHex("lifeline") });
      return data;
    }),
    revert: settle("revert", () =>
      publicClient.readContract({ address: REVERTER, abi: REVERTER_ABI, functionName: "fail" }),
    ),
    sign: settle("sign", async (message = "Sign in to the RPC Lifeline test dapp") => {
      const [account] = await walletClient.requestAddresses();
      return walletClient.signMessage({ account, message });
    }),
    /** The dapp's usual first reads, side by side: each field is a value or `{ error }`. */
    readAll: async () => {
      const [blockNumber, balance, chainId, call] = await Promise.all([
        api.blockNumber(),
        api.balance(),
        api.chainId(),
        api.call(),
      ]);
      const reads = { blockNumber, balance, chainId, call };
      show(`readAll: ${JSON.stringify(reads, null, 2)}`);
      return reads;
    },
  };
  return api;
}

// Wraps an action so it resolves a JSON-safe value or `{ error }` instead of throwing, and
// shows the outcome on the page so screenshots tell what happened.
function settle(name, action) {
  return async (...args) => {
    let outcome;
    try {
      outcome = toJsonSafe(await action(...args));
    } catch (error) {
      outcome = { error: describeError(error) };
    }
    show(`${name}: ${JSON.stringify(outcome, null, 2)}`);
    return outcome;
  };
}

function show(text) {
  document.getElementById("output").textContent = text;
}

/** `{ name, code, shortMessage, chain }`: `code` is the first numeric code down the cause chain. */
function describeError(error) {
  const chain = [];
  for (let link = error; link && chain.length < 10; link = link.cause) {
    chain.push({
      name: link.name,
      code: typeof link.code === "number" ? link.code : undefined,
      message: String(link.shortMessage ?? link.message ?? link),
      data: toJsonSafe(link.data),
    });
  }
  return {
    name: error?.name,
    code: chain.find((link) => link.code !== undefined)?.code,
    shortMessage: error?.shortMessage ?? error?.message ?? String(error),
    chain,
  };
}

function toJsonSafe(value) {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
  } catch {
    return String(value);
  }
}

function discoverProvider(rdns, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const onAnnounce = (event) => {
      if (event.detail?.info?.rdns !== rdns) return;
      done();
      resolve(event.detail.provider);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no EIP-6963 provider announced with rdns ${rdns}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener("eip6963:announceProvider", onAnnounce);
    };
    window.addEventListener("eip6963:announceProvider", onAnnounce);
    window.dispatchEvent(new Event("eip6963:requestProvider"));
  });
}

function showUi(wallets) {
  document.getElementById("wallets").textContent =
    wallets.length === 0
      ? "No wallet: open this page with ?rpc=<RPC URL> (and optionally &rpc2=<RPC URL>)."
      : `Wallets: ${wallets.map((wallet) => `${wallet.info.name} (${wallet.info.rdns})`).join(", ")}`;
  document.getElementById("actions").addEventListener("click", async (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (!action || !window.dapp) return;
    show(`${action}…`);
    await window.dapp[action]();
  });
}

window.dappReady = boot();
