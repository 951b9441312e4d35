// Starts a real anvil node (the binary shipped in @foundry-rs/anvil) on 127.0.0.1.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { REVERTER, REVERTER_CODE } from "./chain.js";
import { rpcCall } from "./json-rpc.js";

export { REVERTER };

const ANVIL_BIN = fileURLToPath(
  new URL("../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil", import.meta.url),
);
const READY_TIMEOUT_MS = 20_000;

/** Resolves a TCP port that was free a moment ago (anvil binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** @returns {Promise<{ url: string, port: number, stop: () => Promise<void> }>} */
export async function startAnvil({ blockTime } = {}) {
  if (!existsSync(ANVIL_BIN)) throw new Error(`anvil not found at ${ANVIL_BIN}: run npm ci`);
  const port = await freePort();
  const args = ["--host", "127.0.0.1", "--port", String(port), "--silent"];
  if (blockTime) args.push("--block-time", String(blockTime));

  const child = spawn(ANVIL_BIN, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Never leave an orphan node behind if the test process ends without calling stop().
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, child, () => stderr);
    await rpcCall(url, "anvil_setCode", [REVERTER, REVERTER_CODE]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, stop };
}

async function waitUntilReady(url, child, stderr) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`anvil exited early (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    }
    try {
      await rpcCall(url, "eth_chainId", [], { timeoutMs: 1000 });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(
    `anvil did not answer eth_chainId at ${url} within ${READY_TIMEOUT_MS} ms: ${stderr()}`,
  );
}
