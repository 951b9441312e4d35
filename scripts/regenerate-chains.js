// Rebuilds data/chains.json from local snapshots of the two public chain registries it is
// compiled from:
//
//   ethereum-lists/chains   _data/chains/eip155-<id>.json   name, shortName, nativeCurrency,
//                                                           explorers[].url, rpc[]
//   DefiLlama/chainlist     constants/extraRpcs.js          rpcs with their tracking policy
//
// Usage:
//   node scripts/regenerate-chains.js --chains-dir ../chains \
//     --extra-rpcs ../chainlist/constants/extraRpcs.js
//     [--ids 1,10,56]        chain ids to include (default: the ids already in data/chains.json)
//     [--out FILE]           where to write (default: data/chains.json); "-" for stdout
//     [--max-explorers N]    keep at most N explorers per chain (default 2; 0 = all)
//
// Nothing is fetched from the network: point the flags at a checkout (or a `git show` export)
// of each registry. The output keeps the shape scripts/chain-list.js and src/registry.rs read:
// { about, chains: [{ chainId, name, shortName, nativeCurrency, blockExplorerUrls,
//   rpcs: [{ url, tracking, source }] }] }.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import vm from "node:vm";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const defaultData = resolve(root, "data/chains.json");
const TRACKING = new Set(["none", "limited", "yes", "unspecified"]);
const DEFAULT_ABOUT =
  "Public JSON-RPC endpoints and chain metadata for common EVM chains. Facts compiled from the " +
  "public chain registries ethereum-lists/chains (_data/chains/eip155-*.json) and " +
  "DefiLlama/chainlist (constants/extraRpcs.js, with each endpoint's tracking policy: none | " +
  "limited | yes | unspecified). https URLs only, no URLs that need an API key.";

const fail = (message) => {
  console.error(`regenerate-chains: ${message}`);
  process.exit(1);
};

/**
 * Loads `extraRpcs` from chainlist's constants/extraRpcs.js.
 *
 * Why evaluate rather than regex: the file is a JavaScript module, not JSON. Entries are
 * unquoted-key object literals, mix plain strings and `{ url, tracking, trackingDetails }`
 * objects, reference a `privacyStatement` table defined in the same file, contain comments
 * (including commented-out entries that a regex would wrongly pick up) and template literals.
 * A regex good enough for all of that would be a JS parser in disguise. So the module is run
 * in a fresh `vm` context with no globals from this process (no require, process, fs or
 * network), after a small source rewrite turning it into a script:
 *   - `import ... from "..."` statements become local bindings to an inert stub (any property
 *     is the stub again, calling it returns the stub, spreading it yields nothing), so a file
 *     that imports privacy texts or helpers from elsewhere still evaluates;
 *   - `export` keywords are dropped (`export default X` becomes a local), and the script's
 *     last expression hands back `extraRpcs` (or the default export).
 * The vm is a convenience, not a security boundary: only run this on a registry snapshot
 * you would otherwise be willing to `import`. A timeout stops a runaway file.
 */
export function loadExtraRpcs(file) {
  const source = readFileSync(file, "utf8");
  const stubNames = new Set();
  const bindings = (clause) => {
    // clause is what sits between `import` and `from`: `a`, `* as ns`, `{ a, b as c }`, `a, { b }`.
    const names = [];
    const braces = clause.match(/\{([^}]*)\}/);
    if (braces) {
      for (const part of braces[1].split(",")) {
        const name = part
          .trim()
          .split(/\s+as\s+/)
          .pop()
          ?.trim();
        if (name) names.push(name);
      }
    }
    const rest = clause.replace(/\{[^}]*\}/, "");
    const star = rest.match(/\*\s*as\s+([A-Za-z_$][\w$]*)/);
    if (star) names.push(star[1]);
    const plain = rest.replace(/\*\s*as\s+[A-Za-z_$][\w$]*/, "").match(/[A-Za-z_$][\w$]*/);
    if (plain) names.push(plain[0]);
    return names;
  };
  let script = source
    .replace(/^\s*import\s+([\s\S]*?)\s+from\s+["'][^"']+["']\s*;?/gm, (_, clause) => {
      for (const name of bindings(clause)) stubNames.add(name);
      return "";
    })
    .replace(/^\s*import\s+["'][^"']+["']\s*;?/gm, "")
    .replace(/^(\s*)export\s+default\s+/gm, "$1const __default = ")
    .replace(/^\s*export\s*\{[^}]*\}\s*;?/gm, "")
    .replace(/^(\s*)export\s+(?=const|let|var|function|class|async)/gm, "$1");
  script = [
    ...[...stubNames].map((n) => `const ${n} = __stub;`),
    script,
    // The script's completion value: what the module exported.
    ';(typeof extraRpcs !== "undefined" ? extraRpcs : ' +
      'typeof __default !== "undefined" ? __default : undefined);',
  ].join("\n");

  const stub = new Proxy(() => {}, {
    get: (_target, key) => {
      if (key === Symbol.iterator) return function* () {};
      if (key === Symbol.toPrimitive) return () => "";
      return stub;
    },
    apply: () => stub,
    ownKeys: () => [],
    getOwnPropertyDescriptor: () => undefined,
    has: () => false,
  });
  let result;
  try {
    result = vm.runInNewContext(script, { __stub: stub }, { filename: file, timeout: 10_000 });
  } catch (e) {
    fail(`could not evaluate ${file}: ${e.message}`);
  }
  if (!result || typeof result !== "object") fail(`${file} defines no extraRpcs object`);
  return result;
}

/** Why a URL is left out, or null if it is kept. */
function rejectReason(url) {
  if (typeof url !== "string" || !url) return "not a string";
  if (/^wss?:\/\//i.test(url)) return "websocket";
  if (!/^https:\/\//i.test(url)) return "not https";
  // `${INFURA_API_KEY}`, `{apiKey}` and similar placeholders: the URL needs a key to work.
  if (url.includes("${") || url.includes("{") || url.includes("}")) return "template";
  if (/<[^>]*>|your[-_]?api[-_]?key|YOUR[-_]?KEY/i.test(url)) return "template";
  try {
    new URL(url);
  } catch {
    return "unparseable";
  }
  return null;
}

/** Two URLs that differ only in scheme/host case or a trailing slash are the same endpoint. */
function dedupeKey(url) {
  const u = new URL(url);
  return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, "")}${u.search}`;
}

function chainFile(chainsDir, id) {
  const candidates = [
    join(chainsDir, "_data", "chains", `eip155-${id}.json`),
    join(chainsDir, `eip155-${id}.json`),
  ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) fail(`no ethereum-lists entry for chain ${id} (looked for ${candidates[0]})`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    return fail(`${file}: ${e.message}`);
  }
}

export function buildChain(id, meta, extra, maxExplorers, stats) {
  if (meta.chainId !== id) fail(`eip155-${id}.json has chainId ${meta.chainId}`);
  const { name, shortName, nativeCurrency } = meta;
  if (typeof name !== "string" || !name) fail(`chain ${id} has no name`);
  if (!nativeCurrency?.symbol || !Number.isInteger(nativeCurrency.decimals)) {
    fail(`chain ${id} has a bad nativeCurrency`);
  }

  const explorers = [];
  for (const e of Array.isArray(meta.explorers) ? meta.explorers : []) {
    const url = typeof e?.url === "string" ? e.url.trim() : "";
    if (!url.startsWith("https://") || explorers.includes(url)) continue;
    explorers.push(url);
  }
  if (maxExplorers > 0) explorers.length = Math.min(explorers.length, maxExplorers);

  const rpcs = [];
  const seen = new Set();
  const add = (rawUrl, tracking, source) => {
    const url = typeof rawUrl === "string" ? rawUrl.trim() : rawUrl;
    const reason = rejectReason(url);
    if (reason) {
      stats[reason] = (stats[reason] ?? 0) + 1;
      return;
    }
    const key = dedupeKey(url);
    if (seen.has(key)) {
      stats.duplicate = (stats.duplicate ?? 0) + 1;
      return;
    }
    seen.add(key);
    rpcs.push({ url, tracking: TRACKING.has(tracking) ? tracking : "unspecified", source });
  };
  // chainlist first: its entries carry a tracking policy, so they win a duplicate.
  for (const entry of Array.isArray(extra?.rpcs) ? extra.rpcs : []) {
    if (typeof entry === "string") add(entry, "unspecified", "chainlist");
    else if (entry && typeof entry === "object") add(entry.url, entry.tracking, "chainlist");
  }
  for (const url of Array.isArray(meta.rpc) ? meta.rpc : []) {
    add(url, "unspecified", "ethereum-lists");
  }
  if (rpcs.length === 0) console.warn(`regenerate-chains: chain ${id} has no usable endpoint`);

  const nc = {
    name: nativeCurrency.name,
    symbol: nativeCurrency.symbol,
    decimals: nativeCurrency.decimals,
  };
  return { chainId: id, name, shortName, nativeCurrency: nc, blockExplorerUrls: explorers, rpcs };
}

function main() {
  const { values } = parseArgs({
    options: {
      "chains-dir": { type: "string" },
      "extra-rpcs": { type: "string" },
      ids: { type: "string" },
      out: { type: "string" },
      "max-explorers": { type: "string", default: "2" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values["chains-dir"] || !values["extra-rpcs"]) {
    console.error(
      "usage: node scripts/regenerate-chains.js --chains-dir DIR --extra-rpcs FILE " +
        "[--ids 1,10,...] [--out FILE|-] [--max-explorers N]",
    );
    process.exit(values.help ? 0 : 2);
  }
  const maxExplorers = Number(values["max-explorers"]);
  if (!Number.isInteger(maxExplorers) || maxExplorers < 0) fail("--max-explorers wants N >= 0");

  let current = null;
  if (existsSync(defaultData)) current = JSON.parse(readFileSync(defaultData, "utf8"));
  let ids;
  if (values.ids) {
    ids = values.ids.split(",").map((s) => Number(s.trim()));
  } else {
    if (!current) fail(`no --ids and no ${defaultData} to take them from`);
    ids = current.chains.map((c) => c.chainId);
  }
  for (const id of ids) if (!Number.isSafeInteger(id) || id <= 0) fail(`bad chain id ${id}`);

  const extraRpcs = loadExtraRpcs(resolve(values["extra-rpcs"]));
  const stats = {};
  const chains = [...new Set(ids)].map((id) => {
    const extra = extraRpcs[id];
    if (!extra) console.warn(`regenerate-chains: chainlist has no extraRpcs for chain ${id}`);
    return buildChain(id, chainFile(resolve(values["chains-dir"]), id), extra, maxExplorers, stats);
  });
  const about = typeof current?.about === "string" ? current.about : DEFAULT_ABOUT;
  // Same layout as the committed file (one-space indent, no trailing newline) to keep diffs small.
  const text = JSON.stringify({ about, chains }, null, 1);
  const endpoints = chains.reduce((n, c) => n + c.rpcs.length, 0);
  const dropped = Object.entries(stats)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  console.error(
    `regenerate-chains: ${chains.length} chains, ${endpoints} endpoints` +
      (dropped ? ` (dropped: ${dropped})` : ""),
  );
  if (values.out === "-") process.stdout.write(`${text}\n`);
  else writeFileSync(values.out ? resolve(values.out) : defaultData, text);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
