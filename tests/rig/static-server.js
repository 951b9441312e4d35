// Serves the test pages over HTTP on 127.0.0.1 (extensions' content scripts and EIP-6963 need
// a real http origin, not file://).
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const testsDir = fileURLToPath(new URL("../", import.meta.url));

// URL prefix → directory or single file, most specific first.
const ROUTES = [
  ["/rig/test-wallet.js", resolve(testsDir, "rig/test-wallet.js")],
  ["/fixtures/", resolve(testsDir, "fixtures")],
  ["/", resolve(testsDir, "pages")],
];

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** @returns {Promise<{ url: string, stop: () => Promise<void> }>} */
export async function startStaticServer({ port = 0 } = {}) {
  const server = http.createServer(async (req, res) => {
    const file = await resolveFile(new URL(req.url, "http://localhost").pathname);
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  const stop = () => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  };
  return { url: `http://127.0.0.1:${server.address().port}`, stop };
}

async function resolveFile(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const [prefix, target] = ROUTES.find(([route]) => decoded.startsWith(route));
  if (!prefix.endsWith("/")) return decoded === prefix ? target : undefined;
  const file = resolve(target, `.${decoded.slice(prefix.length - 1)}`);
  // Refuse anything that escapes its root (`..`, encoded or not).
  if (file !== target && !file.startsWith(target + sep)) return undefined;
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? file : undefined;
}
