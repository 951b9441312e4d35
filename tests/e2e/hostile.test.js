// Hostile pages, in the real browser with the built extension. A page that forges messages
// to the content script in every shape we could think of gets nothing beyond a rejected
// message: no fetch of a URL it names (an "evil" server on 127.0.0.1 counts every hit), no
// settings change, no effect on another tab's verdict or reads. A page that replaces, wraps
// or freezes window.ethereum after the extension wrapped it still works with viem.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { build } from "esbuild";
import { CHAIN_ID, DEV_ACCOUNT } from "../rig/chain.js";
import { FORGED_BALANCE } from "../rig/fault-proxy.js";
import { rpcCall } from "../rig/json-rpc.js";
import { startStaticServer } from "../rig/static-server.js";
import {
  badgeLog,
  badgeState,
  badgeUntil,
  openDapp,
  ROOT,
  startTraffic,
  startWorld,
  stopTraffic,
  tabStatus,
  waitForBadge,
  waitForEngine,
} from "./world.js";

const WALLET = "org.lifeline.testwallet";
/** Keys the extension itself rewrites as it runs (saved health, the request log). */
const VOLATILE_KEYS = new Set(["lifelineState", "requestLog"]);

/** Counts every request, of any kind, that reaches it. */
async function startEvilServer() {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push({ method: req.method, url: req.url, origin: req.headers.origin });
    res.writeHead(200, {
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "*",
      "content-type": "application/json",
    });
    res.end('{"jsonrpc":"2.0","id":1,"result":"0x7a69"}');
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    hits,
    stop: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(done));
    },
  };
}

/** viem as a classic script for pages: window.HostileViem.{createPublicClient, custom}. */
async function bundleViem() {
  const out = await build({
    stdin: {
      contents: 'export { createPublicClient, custom, toHex } from "viem";',
      resolveDir: ROOT,
    },
    bundle: true,
    format: "iife",
    globalName: "HostileViem",
    platform: "browser",
    target: "chrome120",
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0].text;
}

async function storageSnapshot(world) {
  const all = await world.serviceWorker.evaluate(() => chrome.storage.local.get(null));
  return Object.fromEntries(Object.entries(all).filter(([k]) => !VOLATILE_KEYS.has(k)));
}

/** The dapp page on another origin (localhost instead of 127.0.0.1: same server). */
async function openHostile(world) {
  const page = await world.context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  const base = world.server.url.replace("127.0.0.1", "localhost");
  await page.goto(`${base}/dapp.html?${new URLSearchParams({ rpc: world.wallet.url })}`);
  await page.evaluate(() => window.dappReady);
  page.errors = errors;
  return page;
}

function walletStatus(status) {
  return status?.wallets.find((w) => w.wallet === WALLET && w.chainId === CHAIN_ID);
}

/** Every read a dapp makes, through viem on the page's current window.ethereum. */
function viemReads(page) {
  return page.evaluate(async () => {
    const { createPublicClient, custom, toHex } = window.HostileViem;
    const client = createPublicClient({ transport: custom(window.ethereum), cacheTime: 0 });
    const out = {};
    for (const [name, read] of Object.entries({
      chainId: () => client.getChainId(),
      blockNumber: () => client.getBlockNumber(),
      balance: () => client.getBalance({ address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" }),
      call: async () =>
        (
          await client.call({
            to: "0x0000000000000000000000000000000000000002",
            data: toHex("lifeline"),
          })
        ).data,
    })) {
      try {
        out[name] = String(await read());
      } catch (error) {
        out[name] = { error: String(error?.shortMessage ?? error) };
      }
    }
    return out;
  });
}

describe("hostile pages", () => {
  let world;
  let evil;
  let viemBundle;

  before(async () => {
    [world, evil, viemBundle] = await Promise.all([
      startWorld({ settings: { mode: "protect" } }),
      startEvilServer(),
      bundleViem(),
    ]);
  });
  after(async () => {
    await world?.stop();
    await evil?.stop();
  });

  test("forged messages change nothing beyond the forging tab; other tabs stay served", async () => {
    const victim = await openDapp(world);
    const first = await victim.evaluate(() => window.dapp.readAll());
    for (const [k, v] of Object.entries(first)) assert.ok(!v?.error, `${k}: ${JSON.stringify(v)}`);
    await waitForBadge(victim, "healthy");
    const storageBefore = await storageSnapshot(world);
    const { popup: p1, status: before } = await tabStatus(world, victim);
    await p1.close();
    assert.equal(walletStatus(before)?.state, "healthy", JSON.stringify(before));

    const hostile = await openHostile(world);
    const victimTab = await world.serviceWorker.evaluate(
      async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id,
      victim.url(),
    );
    const counts = await hostile.evaluate(
      async ({ evilUrl, victimTab, chainId, wallet }) => {
        const T = "rpc-lifeline-content";
        const sent = { forged: 0 };
        const post = (msg) => {
          sent.forged += 1;
          try {
            window.postMessage(msg, location.origin);
          } catch {
            sent.uncloneable = (sent.uncloneable ?? 0) + 1; // too deep for structured clone
          }
        };
        const pause = () => new Promise((r) => setTimeout(r, 1_100)); // let the rate limit refill
        const base = { wallet, chainId, method: "eth_call", requestId: 1 };
        // Wrong shapes.
        for (const msg of [
          null,
          42,
          "hello",
          [T],
          { target: T },
          { target: T, type: "nope" },
          { target: T, type: "requestStarted" },
          { target: T, type: "requestStarted", ...base, requestId: -1 },
          { target: T, type: "requestStarted", ...base, chainId: "0x1" },
          { target: T, type: "requestStarted", ...base, wallet: "../../etc" },
          { target: T, type: "requestStarted", ...base, method: "eth_call; drop" },
          JSON.parse(`{"target":"${T}","type":"hello","__proto__":{"polluted":1}}`),
          { target: T, type: "requestFinished", ...base, latencyMs: -5, outcome: { kind: "ok" } },
          { target: T, type: "requestFinished", ...base, latencyMs: 1, outcome: { kind: "zzz" } },
          { target: T, type: "fallback", id: 1, ...base, params: "not an array", reason: "hedge" },
          { target: T, type: "fallback", id: 2, ...base, params: [], reason: "because" },
        ]) {
          post(msg);
        }
        await pause();
        // A URL to fetch, a settings change, another tab's state, a popup's question.
        for (const msg of [
          {
            target: T,
            type: "fallback",
            id: 3,
            ...base,
            params: [],
            reason: "hedge",
            url: evilUrl,
          },
          {
            target: T,
            type: "fallback",
            id: 4,
            ...base,
            params: [{ to: evilUrl }],
            reason: "reroute",
            rpcUrls: [evilUrl],
          },
          { target: T, type: "requestStarted", ...base, tab: victimTab },
          {
            target: T,
            type: "requestFinished",
            ...base,
            tab: victimTab,
            latencyMs: 1,
            outcome: { kind: "timeout" },
          },
          { target: T, type: "setMode", mode: "observe" },
          { target: T, type: "setMode", site: "http://127.0.0.1", mode: "observe" },
          { target: T, type: "checkSettings", settings: { mode: "observe" } },
          { target: T, type: "settingsChanged", settings: { requestTimeoutMs: 1 } },
          { target: T, type: "popupStatus", tab: victimTab },
          { target: T, type: "optionsState" },
          { target: T, type: "clearRequestLog" },
          {
            target: T,
            type: "userChains",
            userChains: [{ chainId, rpcs: [{ url: evilUrl, tracking: "none" }] }],
          },
          // wallet_addEthereumChain with the page's own URL, as a forged result and as a
          // forged request to our wrapper (which only ever asks the page's own wallet).
          { target: T, type: "addChainResult", id: 1, ok: true },
          { target: T, type: "addChainResult", id: 1, ok: true, rpcUrls: [evilUrl] },
          {
            target: "rpc-lifeline-inpage",
            type: "addChain",
            id: 77,
            wallet,
            chainId,
            params: { chainId: "0x7a69", chainName: "Evil", rpcUrls: [evilUrl] },
          },
          // Replayed and forged answers.
          { target: T, type: "fallbackResult", id: 1, served: true, response: { result: "0x1" } },
          { target: "rpc-lifeline-inpage", type: "fallbackResult", id: 1, served: true },
          { target: "rpc-lifeline-inpage", type: "policy", wallet, chainId, policy: "reroute" },
        ]) {
          post(msg);
        }
        // The page's own wallet asked to add a chain with the page's URL: the wallet's business.
        await window.ethereum
          .request({
            method: "wallet_addEthereumChain",
            params: [{ chainId: "0x7a69", chainName: "Evil", rpcUrls: [evilUrl] }],
          })
          .catch(() => {});
        await pause();
        // Huge payloads: a 20 MB string, deep nesting, a 64 KiB+ params list.
        const huge = "x".repeat(20 * 1024 * 1024);
        post({ target: T, type: "requestStarted", ...base, method: huge });
        post({ target: T, type: "fallback", id: 5, ...base, params: [huge], reason: "hedge" });
        let deep = [];
        for (let i = 0; i < 1_000; i++) deep = [deep];
        post({ target: T, type: "fallback", id: 6, ...base, params: deep, reason: "hedge" });
        post({
          target: T,
          type: "fallback",
          id: 7,
          ...base,
          params: Array.from({ length: 20_000 }, (_, i) => `0x${i}`),
          reason: "hedge",
        });
        await pause();
        // A flood of well-formed reports that the wallet timed out: they may only ever judge
        // this tab's own wallet.
        for (let i = 0; i < 20_000; i++) {
          post({
            target: T,
            type: "requestFinished",
            ...base,
            requestId: 1000 + i,
            latencyMs: 3000,
            outcome: { kind: "timeout" },
          });
        }
        // Runtime messaging straight to the extension: not reachable from a page.
        sent.runtime = typeof globalThis.chrome?.runtime?.sendMessage;
        return sent;
      },
      { evilUrl: evil.url, victimTab, chainId: CHAIN_ID, wallet: WALLET },
    );
    assert.ok(counts.forged > 20_000);
    assert.equal(counts.runtime, "undefined", "a page cannot message the extension directly");

    // The flood judged the hostile tab's own wallet (the reports did reach the engine)...
    await badgeUntil(hostile, (badge) => badge.state !== "healthy", 15_000);
    await victim.waitForTimeout(1_500);

    // ...and nothing else.
    assert.deepEqual(evil.hits, [], "the extension fetched a URL a page named");
    assert.deepEqual(await storageSnapshot(world), storageBefore, "settings changed");
    const { popup: p2, status: afterStatus } = await tabStatus(world, victim);
    await p2.close();
    const victimWallet = walletStatus(afterStatus);
    assert.equal(victimWallet?.state, "healthy", JSON.stringify(afterStatus));
    assert.equal(afterStatus.mode, before.mode);
    assert.ok(!victimWallet.errors.some(Boolean), `victim errors: ${victimWallet.errors}`);
    assert.equal((await badgeState(victim))?.state, "healthy");
    const again = await victim.evaluate(() => window.dapp.readAll());
    for (const [k, v] of Object.entries(again)) assert.ok(!v?.error, `${k}: ${JSON.stringify(v)}`);
    assert.deepEqual(victim.errors, []);

    // The hostile page itself still talks to its wallet once its flood is over.
    await hostile.waitForTimeout(2_500);
    const own = await hostile.evaluate(() => window.dapp.readAll());
    for (const [k, v] of Object.entries(own))
      assert.ok(!v?.error, `hostile ${k}: ${JSON.stringify(v)}`);
    assert.deepEqual(evil.hits, []);
    await hostile.close();
    await victim.close();
  });

  test("a cross-origin frame's forged failures leave the top frame's badge and reads alone", async () => {
    const top = await openDapp(world);
    await top.evaluate(() => window.dapp.readAll());
    await waitForBadge(top, "healthy");
    // An ad frame from another origin (localhost, same server) in the same tab.
    const frameUrl = `${world.server.url.replace("127.0.0.1", "localhost")}/dapp.html?${new URLSearchParams({ rpc: world.wallet.url })}`;
    await top.evaluate((src) => {
      const frame = document.createElement("iframe");
      frame.src = src;
      document.body.append(frame);
    }, frameUrl);
    const frame = await (async () => {
      for (;;) {
        const found = top.frames().find((f) => f.url().startsWith("http://localhost"));
        if (found) return found;
        await top.waitForTimeout(50);
      }
    })();
    await frame.waitForFunction(() => window.dappReady);
    world.fallback.resetStats();
    // The frame reports, as the top frame's wallet on its chain, a run of 503s and time-outs.
    await frame.evaluate(
      async ({ chainId, wallet }) => {
        const T = "rpc-lifeline-content";
        for (let i = 0; i < 40; i++) {
          const base = { target: T, wallet, chainId, method: "eth_call", requestId: 5000 + i };
          window.postMessage({ ...base, type: "requestStarted" }, location.origin);
          window.postMessage(
            {
              ...base,
              type: "requestFinished",
              latencyMs: 3000,
              outcome: i % 2 ? { kind: "timeout" } : { kind: "http", status: 503 },
            },
            location.origin,
          );
          await new Promise((r) => setTimeout(r, 30));
        }
      },
      { chainId: CHAIN_ID, wallet: WALLET },
    );
    await top.waitForTimeout(1_500);
    const { popup, status } = await tabStatus(world, top);
    await popup.close();
    assert.equal(walletStatus(status)?.state, "healthy", JSON.stringify(status));
    assert.equal((await badgeState(top))?.state, "healthy", "the top frame's badge");
    assert.ok(!(await badgeLog(top)).some((b) => b.state !== "healthy"));
    const reads = await top.evaluate(() => window.dapp.readAll());
    for (const [k, v] of Object.entries(reads)) assert.ok(!v?.error, `${k}: ${JSON.stringify(v)}`);
    const fallbackReads = Object.entries(world.fallback.stats().byMethod).filter(
      ([m]) => m !== "eth_chainId" && m !== "eth_blockNumber",
    );
    assert.deepEqual(fallbackReads, [], "the top frame's reads went to its wallet");
    await top.close();
  });

  test("a tab's frames share its budget, and framing many origins buys no more than nine views", async () => {
    const page = await openDapp(world);
    const servers = [];
    const frameUrls = [];
    try {
      // Twelve frames of the page's own origin, and twelve of twelve other origins (ports).
      for (let i = 0; i < 12; i++) {
        const server = await startStaticServer();
        servers.push(server);
        frameUrls.push("/frame.html", `${server.url}/frame.html`);
      }
      await page.evaluate((urls) => {
        for (const url of urls) {
          const frame = document.createElement("iframe");
          frame.src = url;
          document.body.append(frame);
        }
      }, frameUrls);
      await page.waitForFunction(() => document.querySelectorAll("iframe").length === 24);
      const deadline = Date.now() + 20_000;
      while (page.frames().length < 25 && Date.now() < deadline) await page.waitForTimeout(100);
      await Promise.all(
        page
          .frames()
          .map((f) =>
            f.waitForFunction(() => document.readyState === "complete", null, { timeout: 20_000 }),
          ),
      );
      // Every frame sends 100 well-formed reports (its own content script's burst), at once.
      const flood = ({ chainId, wallet }) => {
        for (let i = 0; i < 50; i++) {
          const base = { target: "rpc-lifeline-content", wallet, chainId, method: "eth_call" };
          const requestId = 9000 + i;
          window.postMessage({ ...base, requestId, type: "requestStarted" }, "*");
          window.postMessage(
            { ...base, requestId, type: "requestFinished", outcome: { kind: "ok" }, latencyMs: 5 },
            "*",
          );
        }
      };
      await Promise.all(
        page.frames().map((f) => f.evaluate(flood, { chainId: CHAIN_ID, wallet: WALLET })),
      );
      await page.waitForTimeout(500);
      const { popup, answer } = await tabStatus(world, page);
      await popup.waitForFunction(() => !document.querySelector("#ignored").hidden);
      const shown = await popup.evaluate(() => document.querySelector("#ignored").textContent);
      await popup.close();
      // 13 frames of the top's origin × 100 reports against one budget of 200 (+100/s).
      assert.ok(answer.ignoredMessages >= 800, `ignored ${answer.ignoredMessages}`);
      assert.match(shown, /This page sent reports faster than allowed; \d+ were ignored/);
      assert.equal(answer.frameViews, 9, "8 framed origins of their own, the rest share one");
      const reads = await page.evaluate(() => window.dapp.readAll());
      for (const [k, v] of Object.entries(reads))
        assert.ok(!v?.error, `${k}: ${JSON.stringify(v)}`);
    } finally {
      await page.close();
      for (const server of servers) await server.stop();
    }
  });

  test("a page that fingerprints learns that a badge is there and nothing of its verdict", async () => {
    const page = await openDapp(world);
    // Everything a page can read of the badge from its own DOM.
    const look = () =>
      page.evaluate(() => {
        const host = document.querySelector("rpc-lifeline-badge");
        const box = host.getBoundingClientRect();
        return {
          attributes: host.getAttributeNames().map((name) => [name, host.getAttribute(name)]),
          shadowRoot: host.shadowRoot,
          children: host.childNodes.length,
          box: [box.width, box.height],
          // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
          text: host.innerText + host.textContent,
        };
      });
    try {
      await page.evaluate(() => window.dapp.readAll());
      await waitForBadge(page, "healthy");
      const healthy = await look();
      await world.wallet.setMode("http:503");
      await startTraffic(page);
      await waitForBadge(page, "rerouting");
      await stopTraffic(page);
      const rerouting = await look();
      assert.deepEqual(rerouting, healthy, "the page can tell healthy from rerouting");
      assert.deepEqual(
        healthy.attributes.map(([name]) => name),
        ["style"],
        "the host carries no attribute but its position",
      );
      assert.equal(healthy.shadowRoot, null, "the badge's root is closed");
      assert.deepEqual(healthy.box, [0, 0], "the host's box says nothing of the badge's text");
      assert.equal(healthy.text, "");
      const html = await page.evaluate(() => document.documentElement.outerHTML);
      const fallbackHost = new URL(world.fallback.url).host;
      assert.ok(!html.includes(fallbackHost), "a fallback's host name is in the page's DOM");
      // The user still sees it all (read from inside the closed root).
      const { sentence } = await badgeState(page);
      assert.ok(sentence.includes(`served by ${new URL(world.fallback.url).hostname}`), sentence);
    } finally {
      await world.wallet.setMode("ok");
      await page.close();
    }
  });

  const tamperings = {
    "replaces window.ethereum with its own object": () => {
      const original = window.ethereum;
      window.ethereum = {
        isMetaMask: true,
        request: (args) => original.request(args),
        on: (...a) => original.on?.(...a),
        removeListener: (...a) => original.removeListener?.(...a),
      };
    },
    "wraps window.ethereum in its own Proxy": () => {
      window.ethereum = new Proxy(window.ethereum, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    "freezes window.ethereum and the property": () => {
      Object.freeze(window.ethereum);
      Object.defineProperty(window, "ethereum", {
        value: window.ethereum,
        writable: false,
        configurable: false,
      });
    },
  };
  for (const [name, tamper] of Object.entries(tamperings)) {
    test(`a page that ${name} after us still works with viem`, async () => {
      const page = await openDapp(world);
      await page.addScriptTag({ content: viemBundle });
      const direct = await viemReads(page);
      await page.evaluate(tamper);
      const tampered = await viemReads(page);
      for (const [k, v] of Object.entries(tampered)) {
        assert.ok(!v?.error, `${k}: ${JSON.stringify(v)}`);
      }
      assert.equal(tampered.chainId, String(CHAIN_ID));
      assert.equal(tampered.call, direct.call);
      assert.equal(tampered.balance, direct.balance);
      assert.deepEqual(page.errors, []);
      await page.close();
    });
  }
});

describe("lying endpoints", () => {
  let world;

  before(async () => {
    // Two honest fallbacks, a liar whose head runs ten blocks ahead, and a fork that answers
    // the right chain id with another genesis block; both attackers forge every balance.
    world = await startWorld({
      fallbacks: 4,
      attackers: { fallback3: "liar:10", fallback4: "fork" },
      settings: {
        mode: "protect",
        engineSettings: {
          candidatesPerChain: 4,
          probeIntervalHealthyMs: 2_000,
          probeIntervalDegradedMs: 1_000,
        },
      },
    });
  });
  after(() => world?.stop());

  test("a liar ahead of the chain and a fork on its chain id judge no wallet and serve no read", async () => {
    const page = await openDapp(world);
    try {
      await startTraffic(page);
      await waitForEngine(world, page);
      await page.waitForTimeout(8_000); // several probe rounds: every head seen more than once
      await stopTraffic(page);
      const badges = await badgeLog(page);
      assert.ok(badges.length > 0, "the badge was never seen");
      assert.ok(
        badges.every((b) => b.state === "healthy"),
        `the healthy wallet was judged by a liar: ${JSON.stringify(badges)}`,
      );
      await world.wallet.setMode("http:503");
      await startTraffic(page);
      await waitForBadge(page, "rerouting");
      await stopTraffic(page);
      const real = await rpcCall(world.anvil.url, "eth_getBalance", [DEV_ACCOUNT, "latest"]);
      for (let i = 0; i < 5; i++) {
        const shown = await page.evaluate(
          (account) =>
            window.ethereum.request({ method: "eth_getBalance", params: [account, "latest"] }),
          DEV_ACCOUNT,
        );
        assert.equal(shown, real, "the page is shown the chain's balance, never a forged one");
      }
      for (const name of ["fallback3", "fallback4"]) {
        const { byMethod } = world[name].stats();
        assert.equal(byMethod.eth_getBalance ?? 0, 0, `${name} served a balance`);
        assert.equal(byMethod.eth_call ?? 0, 0, `${name} served a call`);
      }
      const honest = ["fallback", "fallback2"].map(
        (name) => world[name].stats().byMethod.eth_getBalance ?? 0,
      );
      assert.ok(honest[0] + honest[1] >= 5, `the honest fallbacks served: ${honest}`);
    } finally {
      await world.wallet.setMode("ok");
      await page.close();
    }
  });
});

describe("fallbacks on another chain that reuses the chain id", () => {
  let world;

  before(async () => {
    // Both fallbacks (two operators: a majority) answer another block 0 and forge balances;
    // only the wallet's own block 0 says they are not its chain.
    world = await startWorld({
      settings: { mode: "protect" },
      fallbacks: 2,
      attackers: { fallback: "fork", fallback2: "fork" },
    });
  });
  after(() => world?.stop());

  test("the wallet's own block 0 decides: a majority on another chain serves it nothing", async () => {
    const page = await openDapp(world);
    try {
      await page.evaluate(() => window.dapp.readAll());
      await waitForEngine(world, page);
      await page.waitForTimeout(4_000); // the fallbacks' chain ids and block 0 are asked
      const asked = world.wallet.stats().byMethod.eth_getBlockByNumber ?? 0;
      assert.equal(asked, 1, "the wallet was asked its block 0 once");
      for (const name of ["fallback", "fallback2"]) {
        assert.ok(world[name].stats().byMethod.eth_getBlockByNumber >= 1, `${name}'s block 0`);
      }
      await world.wallet.setMode("http:503");
      await startTraffic(page);
      await waitForBadge(page, "failing");
      await page.waitForTimeout(3_000);
      await stopTraffic(page);
      const balance = await page.evaluate(
        (account) =>
          window.ethereum
            .request({ method: "eth_getBalance", params: [account, "latest"] })
            .then(String, (e) => ({ error: e.code ?? String(e) })),
        DEV_ACCOUNT,
      );
      assert.notEqual(balance, FORGED_BALANCE, "a forged balance reached the page");
      assert.ok(
        balance?.error !== undefined,
        `the wallet's own failure, not a fallback's answer: ${balance}`,
      );
      assert.ok(!(await badgeLog(page)).some((b) => b.state === "rerouting"), "rerouted to a fork");
      for (const name of ["fallback", "fallback2"]) {
        const { byMethod } = world[name].stats();
        assert.equal(byMethod.eth_getBalance ?? 0, 0, `${name} served a balance`);
        assert.equal(byMethod.eth_call ?? 0, 0, `${name} served a call`);
      }
    } finally {
      await world.wallet.setMode("ok");
      await page.close();
    }
  });
});
