// The workload itself, shared by the page (through window.ethereum) and Node (viem, ethers):
// an open loop of reads at `ratePerSec`, the methods in turn, each request timed. Open loop:
// request i is sent at start + i / rate whatever happened to the ones before.

export const DEV_ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
export const SHA256_PRECOMPILE = "0x0000000000000000000000000000000000000002";

/** The four reads of the mix, as EIP-1193 requests. */
export const READS = [
  { method: "eth_blockNumber", params: [] },
  { method: "eth_getBalance", params: [DEV_ACCOUNT, "latest"] },
  { method: "eth_call", params: [{ to: SHA256_PRECOMPILE, data: "0x6c6966656c696e65" }, "latest"] },
  { method: "eth_getLogs", params: [{ fromBlock: "0x0", toBlock: "0x0" }] },
];

/** A result in a form every client agrees on (ethers returns numbers, bigints, arrays). */
export function normalise(method, value) {
  switch (method) {
    case "eth_blockNumber":
      return Number(value);
    case "eth_getBalance":
      return BigInt(value).toString();
    case "eth_getLogs":
      return Array.isArray(value) ? `logs:${value.length}` : String(value);
    default:
      return String(value).toLowerCase();
  }
}

/**
 * Starts the loop; returns stop(). Each record: { i, method, start, end, value?, error? }
 * with wall-clock ms (Date.now() at start plus performance.now() differences).
 */
export function openLoop({ ratePerSec, request, records }) {
  const intervalMs = 1000 / ratePerSec;
  const began = performance.now();
  let sent = 0;
  const clock = () => performance.timeOrigin + performance.now();
  const tick = () => {
    const due = Math.floor((performance.now() - began) / intervalMs) + 1;
    while (sent < due) {
      const read = READS[sent % READS.length];
      const record = { i: sent, method: read.method, start: clock(), end: null };
      records.push(record);
      sent += 1;
      Promise.resolve()
        .then(() => request(read))
        .then(
          (value) => {
            record.end = clock();
            record.value = normalise(read.method, value);
          },
          (error) => {
            record.end = clock();
            record.error = {
              code: error?.code ?? null,
              message: String(error?.shortMessage ?? error?.message ?? error).slice(0, 120),
            };
          },
        );
    }
  };
  const timer = setInterval(tick, Math.min(10, intervalMs));
  tick();
  return () => clearInterval(timer);
}
