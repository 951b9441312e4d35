// The bundled endpoint registry, generated from data/chains.json and validated here so
// a bad entry fails the build instead of shipping. Used by build-extension.js (the
// extension's chains.json) and build-www.js (the pages' and the embed's chains.json).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const chainsSource = process.env.LIFELINE_CHAINS ?? resolve(root, "data/chains.json");
const TRACKING = new Set(["none", "limited", "yes", "unspecified"]);

/**
 * The chain list as the engine reads it: https endpoints only, each with its tracking.
 * Exits the process with a message naming the bad entry. `tool` prefixes the messages.
 */
export function bundledChains(tool = "build") {
  const fail = (message) => {
    console.error(`${tool}: ${message}`);
    process.exit(1);
  };
  const { chains } = JSON.parse(readFileSync(chainsSource, "utf8"));
  if (!Array.isArray(chains) || chains.length === 0) fail(`${chainsSource} has no chains`);
  let dropped = 0;
  const out = chains.map((chain) => {
    const { chainId, name, shortName, nativeCurrency, blockExplorerUrls = [], rpcs = [] } = chain;
    if (!Number.isSafeInteger(chainId) || chainId <= 0) fail(`bad chainId ${chainId}`);
    if (typeof name !== "string" || !name) fail(`chain ${chainId} has no name`);
    if (!nativeCurrency?.symbol || !Number.isInteger(nativeCurrency.decimals)) {
      fail(`chain ${chainId} has a bad nativeCurrency`);
    }
    const kept = rpcs.filter((rpc) => {
      const ok =
        typeof rpc.url === "string" && rpc.url.startsWith("https://") && TRACKING.has(rpc.tracking);
      if (!ok) dropped += 1;
      return ok;
    });
    const explorers = blockExplorerUrls.filter(
      (u) => typeof u === "string" && u.startsWith("https://"),
    );
    return { chainId, name, shortName, nativeCurrency, blockExplorerUrls: explorers, rpcs: kept };
  });
  const endpoints = out.reduce((n, c) => n + c.rpcs.length, 0);
  console.log(`${tool}: ${out.length} chains, ${endpoints} endpoints (${dropped} dropped)`);
  return out;
}
