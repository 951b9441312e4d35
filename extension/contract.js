// Generated from the Rust engine by `make contract` (src/contract.rs): do not edit.
// The engine re-checks everything; these copies only let a context act without asking.

/** Methods a fallback may answer (the engine's Read class). */
export const READ_METHODS = Object.freeze([
  "eth_blockNumber",
  "eth_call",
  "eth_estimateGas",
  "eth_feeHistory",
  "eth_gasPrice",
  "eth_getBalance",
  "eth_getBlockByHash",
  "eth_getBlockByNumber",
  "eth_getBlockReceipts",
  "eth_getBlockTransactionCountByHash",
  "eth_getBlockTransactionCountByNumber",
  "eth_getCode",
  "eth_getLogs",
  "eth_getProof",
  "eth_getStorageAt",
  "eth_getTransactionByBlockHashAndIndex",
  "eth_getTransactionByBlockNumberAndIndex",
  "eth_getTransactionByHash",
  "eth_getTransactionCount",
  "eth_getTransactionReceipt",
  "eth_getUncleCountByBlockHash",
  "eth_getUncleCountByBlockNumber",
  "eth_maxPriorityFeePerGas",
  "eth_blobBaseFee",
  "eth_syncing",
  "web3_clientVersion",
]);

/** Signed transactions: wallet first, fallbacks only after the wallet failed that one. */
export const BROADCAST_METHODS = Object.freeze(["eth_sendRawTransaction"]);

/** Reads that may carry account data: hedged only when the policy says accountReads. */
export const ACCOUNT_DATA_METHODS = Object.freeze([
  "eth_call",
  "eth_estimateGas",
  "eth_getBalance",
  "eth_getCode",
  "eth_getLogs",
  "eth_getProof",
  "eth_getStorageAt",
  "eth_getTransactionCount",
]);

/**
 * Whether a read may be asked of a fallback before its wallet answers, under the engine's
 * policy: reroute, or hedge (a read with account data only while the wallet is suspect).
 */
export function mayHedge(policy, method) {
  if (policy.mode === "reroute") return true;
  return (
    policy.mode === "hedge" &&
    (policy.accountReads === true || !ACCOUNT_DATA_METHODS.includes(method))
  );
}

/** Longest wallet identity (EIP-6963 rdns) or method name the engine judges. */
export const MAX_NAME_CHARS = 64;

/**
 * How long each hop waits for a fallback answer before the page keeps its wallet's own
 * answer, derived from the default fallbackBudgetMs: each gives up a little after the one
 * inside it, so a late answer is never lost between two hops.
 */
export const HOP_DEADLINES = Object.freeze({
  workerMs: 4400,
  contentMs: 4800,
  pageMs: 5200,
});
