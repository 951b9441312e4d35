// Runs a command with a fresh anvil node on 127.0.0.1, its URL in LIFELINE_ANVIL_URL, and an
// endpoint that streams an endless body with no content-length in LIFELINE_ENDLESS_URL.
// Used by the wasm-bindgen browser tests, which bake the URLs in at build time.
import { spawn } from "node:child_process";
import http from "node:http";
import { startAnvil } from "./anvil.js";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node tests/rig/with-anvil.js <command> [args...]");
  process.exit(2);
}
const anvil = await startAnvil();
const endless = await startEndlessBody();
const child = spawn(command, args, {
  stdio: "inherit",
  env: { ...process.env, LIFELINE_ANVIL_URL: anvil.url, LIFELINE_ENDLESS_URL: endless.url },
});
const code = await new Promise((resolve) =>
  child.on("exit", (c, signal) => resolve(signal ? 1 : c)),
);
await anvil.stop();
endless.server.closeAllConnections();
endless.server.close();
process.exit(code);

/** HTTP 200, chunked, 64 KiB of JSON-looking spaces every millisecond until the client leaves. */
async function startEndlessBody() {
  const chunk = Buffer.alloc(64 * 1024, " ");
  const server = http.createServer((req, res) => {
    res.writeHead(200, {
      "content-type": "application/json",
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "content-type",
    });
    if (req.method === "OPTIONS") return res.end();
    res.write('{"jsonrpc":"2.0","id":1,"result":"');
    const timer = setInterval(() => res.write(chunk), 1);
    res.on("close", () => clearInterval(timer));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}
