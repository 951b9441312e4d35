// Serves the bench pages (bench/pages), the rig's test wallet and the wallet-error fixtures on
// 127.0.0.1. The overhead page is served cross-origin isolated (COOP + COEP), which gives
// performance.now() 5 µs resolution instead of 100 µs.
import { readFile } from "node:fs/promises";
import http from "node:http";
import { extname, resolve, sep } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const ROUTES = [
  ["/rig/test-wallet.js", resolve(ROOT, "tests/rig/test-wallet.js")],
  ["/fixtures/", resolve(ROOT, "tests/fixtures")],
  ["/", resolve(ROOT, "bench/pages")],
];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
};
const ISOLATED = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

export async function startBenchServer() {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const file = resolveFile(url.pathname);
    const body = file && (await readFile(file).catch(() => null));
    if (!body) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const headers = {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      "cross-origin-resource-policy": "same-origin",
    };
    if (url.searchParams.has("isolated")) Object.assign(headers, ISOLATED);
    res.writeHead(200, headers).end(body);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(done));
    },
  };
}

function resolveFile(pathname) {
  const [prefix, target] = ROUTES.find(([route]) => pathname.startsWith(route));
  if (!prefix.endsWith("/")) return pathname === prefix ? target : undefined;
  const file = resolve(target, `.${pathname.slice(prefix.length - 1)}`);
  if (file !== target && !file.startsWith(target + sep)) return undefined;
  return file;
}
