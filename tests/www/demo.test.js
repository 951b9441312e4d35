// `make demo`'s script without a display: it starts everything on 127.0.0.1, prints the
// address, serves dist/www and the control endpoint the playground's buttons call, and stops
// by itself after DEMO_SECONDS, leaving nothing running.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { rpcCall } from "../rig/json-rpc.js";
import { ROOT } from "./world.js";

const DEMO_SECONDS = 12;

/** A request with full control of the headers (fetch will not let a test forge Host). */
function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const control = (base, body, headers = {}) =>
  request(`${base}/__control`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("make demo (scripts/demo.js), headless", () => {
  let child;
  let output = "";
  let exited;
  let base;

  before(async () => {
    const env = { ...process.env, DEMO_SECONDS: String(DEMO_SECONDS), DEMO_PORT: "0" };
    delete env.DISPLAY;
    child = spawn(process.execPath, [join(ROOT, "scripts/demo.js")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    base = await new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        output += chunk;
        const match = output.match(/^open (http:\/\/127\.0\.0\.1:\d+)\/$/m);
        if (match) resolve(match[1]);
      });
      exited.then(() => reject(new Error(`demo exited early:\n${output}`)));
    });
  });

  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });

  test("prints the pages and the endpoints it started", () => {
    assert.match(output, /the wallet's RPC\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /Backup A\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /endpoint dashboard\s+http:\/\/127\.0\.0\.1:\d+\/dashboard\.html/);
  });

  test("serves the three pages, the embed and the demo's config", async () => {
    for (const path of ["/", "/dashboard.html", "/embed.html"]) {
      const res = await request(`${base}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers["content-type"], /text\/html/);
    }
    const wasm = await request(`${base}/lifeline/rpc_lifeline_bg.wasm`, { method: "HEAD" });
    assert.equal(wasm.headers["content-type"], "application/wasm");
    assert.equal((await request(`${base}/../package.json`)).status, 404);
    const config = JSON.parse((await request(`${base}/__demo/config.json`)).text);
    assert.equal(config.chainId, 31337);
    assert.equal(await rpcCall(config.walletRpc, "eth_chainId"), "0x7a69");
    for (const backup of config.fallbacks) {
      assert.equal(await rpcCall(backup.url, "eth_chainId"), "0x7a69");
    }
  });

  test("the control endpoint breaks and heals the wallet's RPC, for this machine's pages only", async () => {
    const config = JSON.parse((await request(`${base}/__demo/config.json`)).text);
    const broken = await control(base, { mode: "http:503" });
    assert.equal(broken.status, 200);
    await assert.rejects(rpcCall(config.walletRpc, "eth_chainId"), /HTTP 503/);
    // Backups are untouched.
    assert.equal(await rpcCall(config.fallbacks[0].url, "eth_chainId"), "0x7a69");
    // "refuse" stops the proxy listening, yet the control endpoint (in-process) still heals it.
    assert.equal((await control(base, { mode: "refuse" })).status, 200);
    await assert.rejects(rpcCall(config.walletRpc, "eth_chainId"), { code: "ECONNREFUSED" });
    assert.equal((await control(base, { mode: "ok" })).status, 200);
    assert.equal(await rpcCall(config.walletRpc, "eth_chainId"), "0x7a69");
    assert.equal(JSON.parse((await request(`${base}/__control`)).text).mode, "ok");

    assert.equal((await control(base, { mode: "wrongchain; rm -rf" })).status, 400);
    assert.equal((await control(base, { mode: "hang" }, { host: "evil.example" })).status, 403);
    const form = await request(`${base}/__control`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "mode=hang",
    });
    assert.equal(form.status, 415);
    assert.equal(await rpcCall(config.walletRpc, "eth_chainId"), "0x7a69");
  });

  test("stops by itself after DEMO_SECONDS, with everything it started", async () => {
    const config = JSON.parse((await request(`${base}/__demo/config.json`)).text);
    const { code, signal } = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0, output);
    await assert.rejects(request(`${base}/`), { code: "ECONNREFUSED" });
    await assert.rejects(rpcCall(config.walletRpc, "eth_chainId"), { code: "ECONNREFUSED" });
    const anvil = output.match(/blockchain\s+(http:\/\/127\.0\.0\.1:\d+)/)[1];
    await assert.rejects(rpcCall(anvil, "eth_chainId"), { code: "ECONNREFUSED" });
  });
});
