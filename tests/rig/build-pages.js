// Bundles the test pages' scripts (viem included) with esbuild. Run before browser tests:
// `node tests/rig/build-pages.js`, or `await buildPages()`.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pagesDir = fileURLToPath(new URL("../pages/", import.meta.url));

export async function buildPages() {
  await build({
    absWorkingDir: pagesDir,
    entryPoints: ["src/dapp.js"],
    outdir: "build",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    sourcemap: "linked",
    // The test wallet stays a separate script, served as-is like a wallet's own code.
    external: ["/rig/*"],
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPages();
