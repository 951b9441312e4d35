// The demo's world on 127.0.0.1: anvil, a fault-injecting proxy as the wallet's RPC, two
// healthy proxies as backups, and one HTTP server for dist/www plus what the playground needs
// from the test rig (the test wallet and its error shapes), a config document and the control
// endpoint the playground's break/heal buttons call. Used by scripts/demo.js, the www tests
// and scripts/page-weights.js.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { startAnvil } from "../tests/rig/anvil.js";
import { CHAIN_ID } from "../tests/rig/chain.js";
import { startFaultProxy } from "../tests/rig/fault-proxy.js";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
export const WWW_DIR = join(root, "dist/www");

// URL prefix → file or directory, most specific first.
const ROUTES = [
  ["/rig/test-wallet.js", join(root, "tests/rig/test-wallet.js")],
  ["/fixtures/wallet-errors.json", join(root, "tests/fixtures/wallet-errors.json")],
  ["/", WWW_DIR],
];

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/** Fault modes the control endpoint accepts (fault-proxy's, minus the ones that make no sense here). */
const FAULT_MODE_RE =
  /^(ok|refuse|hang|stale|garbage|slow:\d{1,5}|http:[45]\d\d|http:429:\d{1,4}|rpcerr:-?\d{1,6})$/;
const MAX_CONTROL_BODY = 1024;

/**
 * `extraPages` (path → HTML, or config → HTML) serves pages that exist only for a test.
 * @param {{ port?: number, blockTime?: number, backups?: number,
 *   extraPages?: Record<string, string | ((config: object) => string)> }} [options]
 * @returns {Promise<{ url: string, anvil: object, wallet: object, backups: object[],
 *   config: object, stop: () => Promise<void> }>}
 */
export async function startWwwWorld({ port = 0, blockTime = 1, backups = 2, extraPages } = {}) {
  const stops = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const anvil = await startAnvil({ blockTime });
    stops.push(() => anvil.stop());
    const wallet = await startFaultProxy({ upstream: anvil.url });
    stops.push(() => wallet.stop());
    const backupProxies = [];
    for (let i = 0; i < backups; i += 1) {
      const proxy = await startFaultProxy({ upstream: anvil.url });
      stops.push(() => proxy.stop());
      backupProxies.push(proxy);
    }
    let walletMode = "ok";
    const config = {
      chainId: CHAIN_ID,
      walletRpc: wallet.url,
      fallbacks: backupProxies.map((p, i) => ({
        name: `Backup ${String.fromCharCode(65 + i)}`,
        url: p.url,
      })),
    };
    const server = await startPageServer({
      port,
      config,
      extraPages,
      getMode: () => walletMode,
      setMode: async (mode) => {
        await wallet.setMode(mode);
        walletMode = mode;
      },
    });
    stops.push(() => server.stop());
    return { url: server.url, anvil, wallet, backups: backupProxies, config, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The pages' HTTP server (127.0.0.1 only). */
export async function startPageServer({ port = 0, config, getMode, setMode, extraPages = {} }) {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`error: ${error.message}`);
    });
  });

  async function handle(req, res) {
    const { pathname } = new URL(req.url, "http://localhost");
    if (pathname === "/__demo/config.json" && config) return sendJson(res, 200, config);
    if (pathname === "/__control" && setMode) return control(req, res);
    if (Object.hasOwn(extraPages, pathname)) {
      res.writeHead(200, { "content-type": CONTENT_TYPES[".html"], "cache-control": "no-store" });
      const page = extraPages[pathname];
      return res.end(typeof page === "function" ? page(config) : page);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return sendText(res, 405, "GET only");
    const file = await resolveFile(pathname.endsWith("/") ? `${pathname}index.html` : pathname);
    if (!file) return sendText(res, 404, "not found");
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  }

  // Only this machine's pages may flip the wallet's RPC: the Host must be ours (no DNS
  // rebinding) and the body JSON (a cross-site form cannot send that without a preflight,
  // which this server never allows).
  async function control(req, res) {
    const host = req.headers.host ?? "";
    const { port: ownPort } = server.address();
    if (host !== `127.0.0.1:${ownPort}` && host !== `localhost:${ownPort}`) {
      return sendText(res, 403, "forbidden");
    }
    if (req.method === "GET") return sendJson(res, 200, { mode: getMode() });
    if (req.method !== "POST") return sendText(res, 405, "GET or POST");
    if (!String(req.headers["content-type"]).startsWith("application/json")) {
      return sendText(res, 415, "JSON only");
    }
    const body = await readBody(req, MAX_CONTROL_BODY);
    let mode;
    try {
      mode = JSON.parse(body)?.mode;
    } catch {
      mode = undefined;
    }
    if (typeof mode !== "string" || !FAULT_MODE_RE.test(mode)) {
      return sendText(res, 400, "unknown mode");
    }
    await setMode(mode);
    return sendJson(res, 200, { mode });
  }

  await new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", done);
  });
  const stop = () => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  };
  return { url: `http://127.0.0.1:${server.address().port}`, stop };
}

function readBody(req, max) {
  return new Promise((done, fail) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      body += chunk;
      if (body.length > max) {
        req.destroy();
        fail(new Error("body too large"));
      }
    });
    req.on("end", () => done(body));
    req.on("error", fail);
  });
}

function sendJson(res, status, value) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(value));
}

function sendText(res, status, text) {
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(text);
}

async function resolveFile(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const route = ROUTES.find(([prefix]) => decoded.startsWith(prefix));
  if (!route) return undefined;
  const [prefix, target] = route;
  if (!prefix.endsWith("/")) return decoded === prefix ? target : undefined;
  const file = resolve(target, `.${decoded.slice(prefix.length - 1)}`);
  // Refuse anything that escapes its root (`..`, encoded or not).
  if (file !== target && !file.startsWith(target + sep)) return undefined;
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? file : undefined;
}
