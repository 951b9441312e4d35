// Lays the extension out in dist/chrome and dist/firefox: the extension's own files, the
// wasm-pack output, and the bundled endpoint registry generated from the shared chain data
// (validated in chain-list.js, so a bad entry fails the build instead of shipping).
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { bundledChains } from "./chain-list.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function fail(message) {
  console.error(`build-extension: ${message}`);
  process.exit(1);
}

function cargoVersion() {
  const match = readFileSync(join(root, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m);
  if (!match) fail("no version in Cargo.toml");
  return match[1];
}

const CONTENT_SCRIPTS = ["inpage.js", "messages.js", "content.js"];

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
    // `key` fixes the Chromium extension id (Firefox has its gecko id); Firefox reads managed
    // storage without a schema and warns about `storage.managed_schema`.
    delete manifest.key;
    delete manifest.storage;
    Object.assign(
      manifest,
      JSON.parse(readFileSync(join(root, "extension/manifest.firefox.json"), "utf8")),
    );
  }
  // Content scripts are classic scripts: each is bundled into one IIFE with the rules the
  // engine generates (contract.js). The service worker and pages import them as modules.
  buildSync({
    entryPoints: CONTENT_SCRIPTS.map((file) => join(root, "extension", file)),
    outdir: out,
    bundle: true,
    format: "iife",
    target: ["chrome111", "firefox128"],
    logLevel: "warning",
  });
  manifest.version = version;
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(out, "chains.json"), `${JSON.stringify(chains)}\n`);
}

const chains = bundledChains("build-extension");
const version = cargoVersion();
for (const browser of ["chrome", "firefox"]) layOut(browser, chains, version);
console.log(`build-extension: dist/chrome and dist/firefox at version ${version}`);
