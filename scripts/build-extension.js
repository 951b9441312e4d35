// Lays the extension out in dist/chrome and dist/firefox: the extension's own files, the
// wasm-pack output, and the bundled endpoint registry generated from the shared chain data
// (validated here, so a bad entry fails the build instead of shipping).
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const chainsSource = process.env.LIFELINE_CHAINS ?? resolve(root, "../shared/data/chains.json");
const TRACKING = new Set(["none", "limited", "yes", "unspecified"]);

function fail(message) {
  console.error(`build-extension: ${message}`);
  process.exit(1);
}

/** The chain list as the engine reads it: https endpoints only, each with its tracking. */
function bundledChains() {
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
      const ok = typeof rpc.url === "string" && rpc.url.startsWith("https://") && TRACKING.has(rpc.tracking);
      if (!ok) dropped += 1;
      return ok;
    });
    const explorers = blockExplorerUrls.filter((u) => typeof u === "string" && u.startsWith("https://"));
    return { chainId, name, shortName, nativeCurrency, blockExplorerUrls: explorers, rpcs: kept };
  });
  const endpoints = out.reduce((n, c) => n + c.rpcs.length, 0);
  console.log(`build-extension: ${out.length} chains, ${endpoints} endpoints (${dropped} dropped)`);
  return out;
}

function cargoVersion() {
  const match = readFileSync(join(root, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m);
  if (!match) fail("no version in Cargo.toml");
  return match[1];
}

function layOut(browser, chains, version) {
  const out = join(root, "dist", browser);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "pkg"), { recursive: true });
  for (const file of readdirSync(join(root, "extension"))) {
    if (!file.startsWith("manifest")) cpSync(join(root, "extension", file), join(out, file));
  }
  for (const file of ["rpc_lifeline.js", "rpc_lifeline_bg.wasm"]) {
    cpSync(join(root, "pkg", file), join(out, "pkg", file));
  }
  const manifest = JSON.parse(readFileSync(join(root, "extension/manifest.json"), "utf8"));
  if (browser === "firefox") {
    Object.assign(manifest, JSON.parse(readFileSync(join(root, "extension/manifest.firefox.json"), "utf8")));
  }
  manifest.version = version;
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(out, "chains.json"), `${JSON.stringify(chains)}\n`);
}

const chains = bundledChains();
const version = cargoVersion();
for (const browser of ["chrome", "firefox"]) layOut(browser, chains, version);
console.log(`build-extension: dist/chrome and dist/firefox at version ${version}`);
