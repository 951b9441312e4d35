// Store-ready packages: zips dist/chrome and dist/firefox into dist/packages/, named with the
// version from Cargo.toml, after checking what a store reviewer checks:
//   - the manifest's version is Cargo.toml's;
//   - the extension pages' CSP is exactly CSP below (wasm-unsafe-eval, nothing remote);
//   - no remote code: no <script src> or import of an http(s) URL, no eval / new Function /
//     importScripts / string timers, every script an HTML page or the manifest names is in
//     the package;
//   - least privilege: every permission and host permission is one of those justified in
//     PERMISSIONS (and in docs/hardening.md); anything new fails the build until it is.
// The Chrome package leaves out the manifest's `key` (it only pins the development id; the
// store assigns its own). Zips are deterministic: sorted entries, fixed timestamps.
//
//   node scripts/package.js [--out DIR] [--dist DIR]

import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync } from "node:zlib";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CSP = "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'";

/** Every permission the extension may ask for, and why (kept in sync with docs/hardening.md). */
export const PERMISSIONS = Object.freeze({
  storage:
    "settings, the user's endpoints, the request log and the engine's saved health; storage.managed for organisations",
});
/**
 * Host permissions the manifests may ask for: none. The content scripts' `<all_urls>` match,
 * which the wrapper needs on every page, already gives the extension's own pages and worker
 * cross-origin access in Chromium (tested: a fallback that sends no CORS headers is served
 * with no `host_permissions` at all), so declaring hosts again would only widen what a
 * reviewer has to check.
 */
export const HOST_PERMISSIONS = Object.freeze({});
/** Content scripts must run on every page a dapp may live on. */
export const CONTENT_SCRIPT_MATCHES = Object.freeze(["<all_urls>"]);

export function cargoVersion(root = ROOT) {
  const match = readFileSync(join(root, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m);
  if (!match) throw new Error("no version in Cargo.toml");
  return match[1];
}

/** Every file under `dir`, as sorted forward-slash paths relative to it. */
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

const REMOTE_CODE_PATTERNS = [
  [/<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?\/\//i, "<script src> of a remote URL"],
  [/\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?["'](?:https?:)?\/\//, "import of a remote URL"],
  [/\bimport\s*\(\s*["'`](?:https?:)?\/\//, "dynamic import of a remote URL"],
  [/\bimportScripts\s*\(/, "importScripts"],
  [/(?<![\w$.])eval\s*\(/, "eval"],
  [/\bnew\s+Function\s*\(/, "new Function"],
  [/\bset(?:Timeout|Interval)\s*\(\s*["'`]/, "a string passed to a timer"],
  [/<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>/i, "a remote <link>"],
];

/**
 * Checks one unpacked extension folder; resolves to { manifest, problems, files }.
 * `browser` is "chrome" or "firefox".
 */
export function checkExtension(dir, { browser, version }) {
  const problems = [];
  const files = listFiles(dir);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch (error) {
    return { manifest: null, files, problems: [`manifest.json: ${error.message}`] };
  }
  if (manifest.manifest_version !== 3) problems.push("manifest_version is not 3");
  if (version && manifest.version !== version) {
    problems.push(`manifest version ${manifest.version} is not Cargo.toml's ${version}`);
  }
  const csp = manifest.content_security_policy;
  if (!csp || typeof csp !== "object" || csp.extension_pages !== CSP) {
    problems.push(`content_security_policy.extension_pages must be exactly "${CSP}"`);
  }
  for (const key of Object.keys(csp ?? {})) {
    if (key !== "extension_pages") problems.push(`content_security_policy.${key} is not allowed`);
  }
  for (const p of manifest.permissions ?? []) {
    if (!Object.hasOwn(PERMISSIONS, p)) problems.push(`permission "${p}" is not justified`);
  }
  for (const p of manifest.optional_permissions ?? []) {
    if (!Object.hasOwn(PERMISSIONS, p))
      problems.push(`optional permission "${p}" is not justified`);
  }
  for (const key of ["host_permissions", "optional_host_permissions"]) {
    for (const p of manifest[key] ?? []) {
      if (!Object.hasOwn(HOST_PERMISSIONS, p)) problems.push(`${key} "${p}" is not justified`);
    }
  }
  for (const cs of manifest.content_scripts ?? []) {
    for (const m of cs.matches ?? []) {
      if (!CONTENT_SCRIPT_MATCHES.includes(m)) problems.push(`content script match "${m}"`);
    }
  }
  if (manifest.externally_connectable) problems.push("externally_connectable is not allowed");
  if (manifest.web_accessible_resources) problems.push("web_accessible_resources is not allowed");
  if (manifest.update_url) problems.push("update_url is not allowed in a store package");

  // Every script the manifest names must be in the package.
  const named = [
    manifest.background?.service_worker,
    ...(manifest.background?.scripts ?? []),
    ...(manifest.content_scripts ?? []).flatMap((cs) => [...(cs.js ?? []), ...(cs.css ?? [])]),
    manifest.options_ui?.page,
    manifest.action?.default_popup,
    manifest.storage?.managed_schema,
  ].filter(Boolean);
  for (const file of named) {
    if (!files.includes(file)) problems.push(`manifest names ${file}, which is not in the package`);
  }
  if (browser === "firefox") {
    if (!manifest.browser_specific_settings?.gecko?.id) problems.push("no gecko id");
    if (manifest.background?.service_worker) problems.push("Firefox has no service_worker");
  }

  for (const file of files) {
    if (!/\.(m?js|html)$/.test(file)) continue;
    const text = readFileSync(join(dir, file), "utf8");
    for (const [pattern, what] of REMOTE_CODE_PATTERNS) {
      if (pattern.test(text)) problems.push(`${file}: ${what}`);
    }
    if (file.endsWith(".html")) {
      for (const m of text.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)) {
        const src = m[1].replace(/^\.\//, "").replace(/^\//, "");
        if (!files.includes(src)) problems.push(`${file}: script ${m[1]} is not in the package`);
      }
      if (/<script\b(?![^>]*\bsrc\s*=)[^>]*>\s*\S/i.test(text)) {
        problems.push(`${file}: inline script (blocked by the CSP)`);
      }
    }
  }
  return { manifest, files, problems };
}

// --- a deterministic zip writer (stored or deflated entries, no dependencies) --------------

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (2024 - 1980) * 512 + 1 * 32 + 1; // 2024-01-01

/** `entries`: [{ name, data: Buffer }] in the order to write. */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBuf = Buffer.from(name, "utf8");
    const deflated = deflateRawSync(data, { level: 9 });
    const useDeflate = deflated.length < data.length;
    const body = useDeflate ? deflated : data;
    const crc = crc32(data);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(useDeflate ? 8 : 0, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(body.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBuf.length, 26);
    header.writeUInt16LE(0, 28);
    locals.push(header, nameBuf, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: unix, 3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(useDeflate ? 8 : 0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBuf);
    offset += header.length + nameBuf.length + body.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Packages one browser's folder; returns { file, bytes, manifest }. Throws on any problem. */
export function packageBrowser({ browser, distDir, outDir, version }) {
  const dir = join(distDir, browser);
  const { manifest, files, problems } = checkExtension(dir, { browser, version });
  if (problems.length) {
    throw new Error(`dist/${browser} is not store-ready:\n  ${problems.join("\n  ")}`);
  }
  const entries = files.map((name) => {
    let data = readFileSync(join(dir, name));
    if (name === "manifest.json" && browser === "chrome" && "key" in manifest) {
      const { key: _key, ...rest } = manifest;
      data = Buffer.from(`${JSON.stringify(rest, null, 2)}\n`);
    }
    return { name, data };
  });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `rpc-lifeline-${browser}-${version}.zip`);
  const bytes = zip(entries);
  writeFileSync(file, bytes);
  return { file, bytes: bytes.length, manifest, entries: entries.length };
}

function main() {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
  };
  const distDir = flag("--dist", join(ROOT, "dist"));
  const outDir = flag("--out", join(distDir, "packages"));
  const version = cargoVersion();
  try {
    for (const browser of ["chrome", "firefox"]) {
      const { file, bytes, manifest, entries } = packageBrowser({
        browser,
        distDir,
        outDir,
        version,
      });
      console.log(`package: ${relative(ROOT, file)}: ${bytes} bytes, ${entries} files`);
      console.log(`  permissions: ${(manifest.permissions ?? []).join(", ") || "none"}`);
      console.log(`  host permissions: ${(manifest.host_permissions ?? []).join(", ") || "none"}`);
      const optional = manifest.optional_host_permissions ?? [];
      if (optional.length) console.log(`  optional host permissions: ${optional.join(", ")}`);
      console.log(`  content scripts on: ${CONTENT_SCRIPT_MATCHES.join(", ")}; CSP: ${CSP}`);
    }
  } catch (error) {
    console.error(`package: ${error.message}`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
