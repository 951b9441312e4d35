// Tests of the test rig itself: the fault proxy in every mode against a real anvil, and the
// test dapp + test wallet in headless Chromium without any extension.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import { verifyMessage } from "viem";
import { launchBrowser } from "../e2e/browser.js";
import { startAnvil } from "./anvil.js";
import { buildPages } from "./build-pages.js";
import { CHAIN_ID, DEV_ACCOUNT } from "./chain.js";
import { FORGED_BALANCE, startFaultProxy } from "./fault-proxy.js";
import { postRaw, rpcCall } from "./json-rpc.js";
import { startStaticServer } from "./static-server.js";

let anvil;
let proxy;

before(async () => {
  anvil = await startAnvil();
  proxy = await startFaultProxy({ upstream: anvil.url });
});

after(async () => {
  await proxy?.stop();
  await anvil?.stop();
});

afterEach(() => proxy.setMode("ok"));

const call = (method, params = []) => ({ jsonrpc: "2.0", id: 7, method, params });

describe("fault proxy", () => {
  test("ok forwards single calls and batches", async () => {
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x7a69");
    const { text } = await postRaw(proxy.url, [
      call("eth_chainId"),
      { ...call("net_version"), id: 8 },
    ]);
    const replies = JSON.parse(text);
    assert.deepEqual(
      replies.map((reply) => [reply.id, reply.result]),
      [
        [7, "0x7a69"],
        [8, String(CHAIN_ID)],
      ],
    );
  });

  test("answers CORS preflights", async () => {
    const headers = await preflight(proxy.url);
    assert.equal(headers["access-control-allow-origin"], "*");
    assert.match(headers["access-control-allow-headers"], /content-type/);
  });

  test("refuse: connections are refused until the mode changes", async () => {
    await proxy.setMode("refuse");
    await assert.rejects(postRaw(proxy.url, call("eth_chainId")), { code: "ECONNREFUSED" });
    await proxy.setMode("ok");
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x7a69");
  });

  test("hang: never answers; pending sockets are freed on mode change", async () => {
    await proxy.setMode("hang");
    await assert.rejects(postRaw(proxy.url, call("eth_chainId"), { timeoutMs: 300 }), /timeout/);
    const pending = postRaw(proxy.url, call("eth_chainId"), { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await proxy.setMode("ok");
    await assert.rejects(pending, { code: "ECONNRESET" });
  });

  test("slow:200 delays the answer", async () => {
    await proxy.setMode("slow:200");
    const started = performance.now();
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x7a69");
    assert.ok(performance.now() - started >= 200);
  });

  test("slow:300:eth_getBalance delays only that method", async () => {
    await proxy.setMode("slow:300:eth_getBalance");
    let started = performance.now();
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x7a69");
    assert.ok(performance.now() - started < 250, "other methods answer at once");
    started = performance.now();
    await rpcCall(proxy.url, "eth_getBalance", [DEV_ACCOUNT, "latest"]);
    assert.ok(performance.now() - started >= 300);
  });

  test("liar:N: a head N blocks ahead and a forged balance; the chain id and genesis honest", async () => {
    const head = BigInt(await rpcCall(proxy.url, "eth_blockNumber"));
    const genesis = (await rpcCall(proxy.url, "eth_getBlockByNumber", ["0x0", false])).hash;
    await proxy.setMode("liar:10");
    assert.equal(BigInt(await rpcCall(proxy.url, "eth_blockNumber")), head + 10n);
    assert.equal(
      await rpcCall(proxy.url, "eth_getBalance", [DEV_ACCOUNT, "latest"]),
      FORGED_BALANCE,
    );
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x7a69");
    assert.equal((await rpcCall(proxy.url, "eth_getBlockByNumber", ["0x0", false])).hash, genesis);
  });

  test("fork: the right chain id, another genesis block, a forged balance", async () => {
    const genesis = (await rpcCall(proxy.url, "eth_getBlockByNumber", ["0x0", false])).hash;
    await proxy.setMode("fork");
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x7a69");
    const forked = (await rpcCall(proxy.url, "eth_getBlockByNumber", ["0x0", false])).hash;
    assert.match(forked, /^0x[0-9a-f]{64}$/);
    assert.notEqual(forked, genesis);
    assert.equal(
      await rpcCall(proxy.url, "eth_getBalance", [DEV_ACCOUNT, "latest"]),
      FORGED_BALANCE,
    );
  });

  test("http:503 and http:429:S with Retry-After", async () => {
    await proxy.setMode("http:503");
    assert.equal((await postRaw(proxy.url, call("eth_chainId"))).status, 503);
    await proxy.setMode("http:429:7");
    const { status, headers } = await postRaw(proxy.url, call("eth_chainId"));
    assert.equal(status, 429);
    assert.equal(headers["retry-after"], "7");
    assert.match(headers["access-control-expose-headers"], /retry-after/i);
  });

  test("rpcerr:-32005 answers a JSON-RPC error with the same id", async () => {
    await proxy.setMode("rpcerr:-32005");
    const { status, text } = await postRaw(proxy.url, call("eth_blockNumber"));
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(text), {
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32005, message: "Limit exceeded" },
    });
  });

  test("stale: the head stays frozen while anvil mines", async () => {
    const head = await rpcCall(anvil.url, "eth_blockNumber");
    await proxy.setMode("stale");
    await rpcCall(anvil.url, "evm_mine");
    await rpcCall(anvil.url, "evm_mine");
    assert.equal(await rpcCall(proxy.url, "eth_blockNumber"), head);
    assert.equal(
      (await rpcCall(proxy.url, "eth_getBlockByNumber", ["latest", false])).number,
      head,
    );
    assert.equal(BigInt(await rpcCall(anvil.url, "eth_blockNumber")), BigInt(head) + 2n);
    await proxy.setMode("ok");
    assert.equal(BigInt(await rpcCall(proxy.url, "eth_blockNumber")), BigInt(head) + 2n);
  });

  test("wrongchain: chain id 1, everything else forwarded (batches too)", async () => {
    await proxy.setMode("wrongchain");
    assert.equal(await rpcCall(proxy.url, "eth_chainId"), "0x1");
    assert.equal(await rpcCall(proxy.url, "net_version"), "1");
    const batch = [
      call("eth_chainId"),
      { ...call("eth_getBalance", [DEV_ACCOUNT, "latest"]), id: 8 },
    ];
    const [chainId, balance] = JSON.parse((await postRaw(proxy.url, batch)).text);
    assert.equal(chainId.result, "0x1");
    assert.equal(balance.id, 8);
    assert.equal(
      balance.result,
      await rpcCall(anvil.url, "eth_getBalance", [DEV_ACCOUNT, "latest"]),
    );
  });

  test("garbage: HTTP 200 with a body that is not JSON", async () => {
    await proxy.setMode("garbage");
    const { status, text } = await postRaw(proxy.url, call("eth_chainId"));
    assert.equal(status, 200);
    assert.throws(() => JSON.parse(text), SyntaxError);
  });

  test("oversized: a valid response padded past 8 MiB", async () => {
    await proxy.setMode("oversized");
    const { text } = await postRaw(proxy.url, call("eth_chainId"));
    assert.ok(text.length > 8 * 1024 * 1024);
    assert.equal(JSON.parse(text).result, "0x7a69");
  });

  test("counts requests by method; control API over HTTP", async () => {
    proxy.resetStats();
    await rpcCall(proxy.url, "eth_chainId");
    await rpcCall(proxy.url, "eth_blockNumber");
    await postRaw(proxy.url, [
      call("eth_chainId"),
      { ...call("eth_getBalance", [DEV_ACCOUNT]), id: 8 },
    ]);
    const expected = {
      requests: 3,
      byMethod: { eth_chainId: 2, eth_blockNumber: 1, eth_getBalance: 1 },
    };
    assert.deepEqual(proxy.stats(), expected);
    assert.deepEqual(JSON.parse(await get(`${proxy.url}/__stats`)), expected);

    assert.equal((await postRaw(`${proxy.url}/__control`, { mode: "http:502" })).status, 200);
    assert.equal((await postRaw(proxy.url, call("eth_chainId"))).status, 502);
    assert.equal((await postRaw(`${proxy.url}/__control`, { mode: "nonsense" })).status, 400);
    assert.equal(proxy.stats().requests, 4);
  });
});

describe("test dapp in Chromium, no extension", () => {
  let site;
  let browser;
  let page;

  before(async () => {
    await buildPages();
    site = await startStaticServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on("pageerror", (error) => assert.fail(`page error: ${error.message}`));
    await openDapp(`?rpc=${proxy.url}&rpc2=${anvil.url}`);
  });

  after(async () => {
    await browser?.close();
    await site?.stop();
  });

  async function openDapp(query) {
    await page.goto(`${site.url}/dapp.html${query}`);
    await page.evaluate(() => window.dappReady);
  }

  test("readAll() works through the test wallet", async () => {
    const reads = await page.evaluate(() => window.dapp.readAll());
    assert.equal(reads.blockNumber, String(BigInt(await rpcCall(anvil.url, "eth_blockNumber"))));
    assert.equal(
      reads.balance,
      String(BigInt(await rpcCall(anvil.url, "eth_getBalance", [DEV_ACCOUNT, "latest"]))),
    );
    assert.equal(reads.chainId, CHAIN_ID);
    assert.equal(reads.call, `0x${createHash("sha256").update("lifeline").digest("hex")}`);
  });

  test("revert() gives a viem error caused by the node's revert", async () => {
    const { error } = await page.evaluate(() => window.dapp.revert());
    assert.ok(
      error.chain.some((link) => link.code === 3 || /execution reverted|nope/.test(link.message)),
      JSON.stringify(error),
    );
  });

  test("sign() returns the node's personal_sign signature; rejectNext gives 4001", async () => {
    const message = "hello lifeline";
    const signature = await page.evaluate((text) => window.dapp.sign(text), message);
    assert.match(signature, /^0x[0-9a-f]{130}$/);
    assert.ok(await verifyMessage({ address: DEV_ACCOUNT, message, signature }));

    const rejected = await page.evaluate(() => {
      window.testWallets[0].rejectNext = true;
      return window.dapp.sign("no");
    });
    assert.equal(rejected.error.code, 4001);
  });

  test("the second wallet is found through EIP-6963", async () => {
    const chainId = await page.evaluate(async () =>
      (await window.dappWith("org.lifeline.testwallet2")).chainId(),
    );
    assert.equal(chainId, CHAIN_ID);
  });

  test("HTTP 503 upstream: the dapp sees MetaMask's -32002 shape", async () => {
    await proxy.setMode("http:503");
    const { error } = await page.evaluate(() => window.dapp.blockNumber());
    const walletError = error.chain.find((link) => link.data?.httpStatus === 503);
    assert.equal(walletError?.code, -32002, JSON.stringify(error));
    assert.equal(error.code, -32002);
  });

  test("refused connection: the dapp sees the -32603 'Failed to fetch' shape", async () => {
    await proxy.setMode("refuse");
    const { error } = await page.evaluate(() => window.dapp.blockNumber());
    const walletError = error.chain.find((link) => link.data?.cause?.message === "Failed to fetch");
    assert.equal(walletError?.code, -32603, JSON.stringify(error));
  });
});

function preflight(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: "OPTIONS",
      agent: false,
      headers: { origin: "http://example.test", "access-control-request-method": "POST" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.headers);
    });
    req.on("error", reject);
    req.end();
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks).toString()));
      })
      .on("error", reject);
  });
}
