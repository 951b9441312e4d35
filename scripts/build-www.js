// Builds dist/www: the playground (index.html), the endpoint dashboard, the embed example and
// the embeddable module (dist/www/lifeline/, also an npm package), all static files that any
// static server can serve. Needs the wasm-pack output in pkg/ (make wasm).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundledChains } from "./chain-list.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "www");
const out = join(root, "dist/www");
const TARGET = ["chrome111", "firefox128", "safari16.4"];

for (const file of ["rpc_lifeline.js", "rpc_lifeline_bg.wasm", "rpc_lifeline.d.ts"]) {
  if (!existsSync(join(root, "pkg", file))) {
    console.error(`build-www: pkg/${file} missing: run make wasm first`);
    process.exit(1);
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "lifeline"), { recursive: true });

// Pages and their stylesheet, as written.
for (const file of readdirSync(src)) {
  if (/\.(html|css|svg)$/.test(file)) copyFileSync(join(src, file), join(out, file));
}

// The embeddable module: one file with the engine's glue and the shared badge view; the
// WASM module is fetched next to it (import.meta.url) when a page attaches.
await build({
  entryPoints: [join(src, "lifeline/embed.js")],
  outfile: join(out, "lifeline/embed.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: TARGET,
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(join(root, "pkg/rpc_lifeline_bg.wasm"), join(out, "lifeline/rpc_lifeline_bg.wasm"));
copyFileSync(join(root, "pkg/rpc_lifeline.d.ts"), join(out, "lifeline/rpc_lifeline.d.ts"));
for (const file of ["embed.d.ts", "package.json", "README.md"]) {
  copyFileSync(join(src, "lifeline", file), join(out, "lifeline", file));
}
writeFileSync(join(out, "lifeline/chains.json"), `${JSON.stringify(bundledChains("build-www"))}\n`);

// The pages' scripts. The embed stays a separate file that every page shares (and that the
// browser caches once); the test wallet is the demo server's, served as-is.
const keepExternal = {
  name: "keep-external",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/(lifeline|rig)\// }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};
await build({
  entryPoints: ["playground", "dashboard", "embed-example"].map((n) => join(src, `src/${n}.js`)),
  outdir: join(out, "assets"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: TARGET,
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  plugins: [keepExternal],
  logLevel: "warning",
});

console.log("build-www: dist/www (index.html, dashboard.html, embed.html, lifeline/)");
