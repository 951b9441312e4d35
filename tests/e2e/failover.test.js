// Failover in the browser: the one-click wallet fix (EIP-3085) in each of its outcomes, a stale
// wallet treated as failing once two fallbacks agree it is behind, and a signed transaction
// sent to the wallet first and on to a fallback only after the wallet failed it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { rpcCall as jsonRpc } from "../rig/json-rpc.js";
import {
  anvilChain,
  badgeLog,
  badgeState,
  badgeUntil,
  clickBadge,
  firstSeen,
  openDapp,
  screenshot,
  startTraffic,
  startWorld,
  stopTraffic,
  tabIdOf,
  waitForBadge,
  waitForEngine,
} from "./world.js";

/**
 * Opens the badge panel and presses its fix button with the keyboard (the root is closed);
 * resolves to what the badge then shows, with `before`: the panel's text before the press.
 */
async function pressFix(page) {
  await clickBadge(page);
  const opened = await badgeUntil(page, (badge) => badge.expanded === "true");
  // Panel order is close, fix, hide, then the pill, which has the focus.
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Enter");
  const after = await badgeUntil(
    page,
    (badge) => badge.fix !== "offered" && badge.fix !== "pending",
  );
  return { ...after, before: opened.text };
}

describe("the one-click wallet fix", () => {
  let world;

  before(async () => {
    world = await startWorld({ settings: { mode: "suggest" } });
    await world.wallet.setMode("http:503");
  });

  after(() => world?.stop());

  async function failingPage() {
    const page = await openDapp(world);
    await startTraffic(page);
    await waitForBadge(page, "failing");
    await stopTraffic(page);
    await badgeUntil(page, (badge) => badge.fix === "offered");
    return page;
  }

  test("accepted: the wallet is asked to add the verified fallback", async () => {
    const page = await failingPage();
    const badge = await pressFix(page);
    assert.equal(badge.fix, "added");
    // Before the user pressed, the panel named the exact URL and the wallet it goes to.
    assert.ok(
      badge.before.includes(`Sends ${world.fallback.url} to the wallet org.lifeline.testwallet`),
      badge.before,
    );
    const calls = await page.evaluate(() =>
      window.testWallets[0].calls.filter((c) => c.method === "wallet_addEthereumChain"),
    );
    assert.equal(calls.length, 1);
    const [params] = calls[0].params;
    assert.equal(params.chainId, "0x7a69");
    assert.equal(params.chainName, "Anvil");
    assert.deepEqual(params.rpcUrls, [world.fallback.url]);
    assert.deepEqual(params.nativeCurrency, { name: "Ether", symbol: "ETH", decimals: 18 });
    await screenshot(page, "badge-fix-added");
    await page.close();
  });

  test("from the popup too: the same request, the outcome in the page's badge", async () => {
    const page = await failingPage();
    const tab = await tabIdOf(world, page);
    const popup = await world.context.newPage();
    await popup.goto(`chrome-extension://${world.browser.extensionId}/popup.html?tab=${tab}`);
    await popup.click("#add-chain");
    await badgeUntil(page, (badge) => badge.fix === "added");
    const calls = await page.evaluate(() =>
      window.testWallets[0].calls.filter((c) => c.method === "wallet_addEthereumChain"),
    );
    assert.deepEqual(calls[0].params[0].rpcUrls, [world.fallback.url]);
    await popup.close();
    await page.close();
  });

  test("declined by the user (4001): the badge says so", async () => {
    const page = await failingPage();
    await page.evaluate(() => {
      window.testWallets[0].rejectNext = true;
    });
    assert.equal((await pressFix(page)).fix, "declined");
    await page.close();
  });

  test("refused by the wallet: the badge says so", async () => {
    const page = await failingPage();
    await page.evaluate(() => {
      window.testWallets[0].refuseAddChain = true;
    });
    assert.equal((await pressFix(page)).fix, "refused");
    await page.close();
  });
});

describe("the fix never hands the page a credential", () => {
  let world;
  const KEY = "9f3c1a7e5b2d4f60a8c1e3b5d7f90a2c";

  before(async () => {
    world = await startWorld({ fallbacks: 2, settings: { mode: "suggest" } });
    // The fastest fallback carries an API key in its path, as Infura's and Alchemy's do.
    await world.fallback2.setMode("slow:150");
    await world.serviceWorker.evaluate(
      (chains) => chrome.storage.local.set({ userChains: chains }),
      [anvilChain([`${world.fallback.url}/v3/${KEY}`, world.fallback2.url])],
    );
    await world.wallet.setMode("http:503");
  });

  after(() => world?.stop());

  test("a keyed endpoint serves, but only one without a key is offered to the wallet", async () => {
    const page = await openDapp(world);
    await startTraffic(page);
    await waitForBadge(page, "failing");
    await stopTraffic(page);
    await badgeUntil(page, (badge) => badge.fix === "offered");
    const badge = await pressFix(page);
    assert.equal(badge.fix, "added");
    assert.ok(badge.before.includes(`Sends ${world.fallback2.url} to the wallet`), badge.before);
    const calls = await page.evaluate(() =>
      window.testWallets[0].calls.filter((c) => c.method === "wallet_addEthereumChain"),
    );
    assert.deepEqual(calls[0].params[0].rpcUrls, [world.fallback2.url]);
    // Nothing the page can see holds the key: not its wallet's calls, not its DOM.
    const seen = await page.evaluate(
      () => JSON.stringify(window.testWallets[0].calls) + document.documentElement.outerHTML,
    );
    assert.ok(!seen.includes(KEY), "the page saw the API key");
    assert.ok(world.fallback.stats().requests > 0, "the keyed endpoint was used for probes");
    await page.close();
  });
});

describe("Protect mode against a stale wallet and for a signed transaction", () => {
  let world;

  before(async () => {
    // Two fallbacks, so a head can be agreed on. Probe heads every 2 s even while the wallet
    // looks healthy, and allow a wallet whose rhythm is not known yet 5 s (not 30 s) behind
    // the agreed head before it counts as stale, so staleness shows quickly.
    world = await startWorld({
      fallbacks: 2,
      settings: {
        mode: "protect",
        engineSettings: {
          probeIntervalHealthyMs: 2_000,
          probeIntervalDegradedMs: 1_000,
          maxHeadCacheMs: 5_000,
        },
      },
    });
  });

  after(() => world?.stop());

  test("a wallet stuck on an old block is failing, and the page is shown the live chain", async () => {
    const page = await openDapp(world);
    await page.evaluate(() => window.dapp.blockNumber());
    await world.wallet.setMode("stale");
    try {
      await jsonRpc(world.anvil.url, "anvil_mine", ["0x8"]);
      await startTraffic(page, 300);
      await waitForBadge(page, "rerouting", 20_000);
      await stopTraffic(page);
      assert.match((await badgeState(page)).sentence, /\(stale blocks\)/);
      const live = BigInt(await jsonRpc(world.anvil.url, "eth_blockNumber", []));
      const shown = await page.evaluate(() => window.dapp.blockNumber());
      assert.equal(BigInt(shown), live, "the dapp sees the live head, not the wallet's stale one");
    } finally {
      await world.wallet.setMode("ok");
      await page.close();
    }
  });

  test("a wallet head that stops moving never shows the page an old block, trials included", async () => {
    const page = await openDapp(world);
    const mined = []; // [when, head] as the test mined them, a block a second
    const mine = async () => {
      await jsonRpc(world.anvil.url, "anvil_mine", ["0x1"]);
      mined.push([Date.now(), Number(await jsonRpc(world.anvil.url, "eth_blockNumber", []))]);
    };
    await mine();
    const miner = setInterval(() => mine().catch(() => {}), 1_000);
    try {
      await page.evaluate(() => {
        window.heads = [];
        window.headPoller = setInterval(async () => {
          const start = Date.now();
          const head = await window.ethereum.request({ method: "eth_blockNumber" });
          window.heads.push([start, Number(head)]);
        }, 250);
      });
      // The engine is up (right after the browser starts it waits for storage.managed, and
      // drops reports meanwhile), then learns the block interval from the wallet's heads.
      await waitForEngine(world, page);
      await sleep(6_000);
      const frozenAt = Date.now();
      await world.wallet.setMode("stale");
      await sleep(9_000); // past the first cooldown (5 s) and the wallet's half-open trial
      const heads = await page.evaluate(() => {
        clearInterval(window.headPoller);
        return window.heads;
      });
      // Wrong: older than the chain's head one block before the read started (as in the bench).
      const headAt = (t) => mined.findLast(([when]) => when <= t)?.[1];
      const old = heads.filter(
        ([start, head]) => start >= frozenAt && head < headAt(start - 1_000),
      );
      assert.ok(heads.filter(([start]) => start >= frozenAt).length > 30, "the page kept reading");
      const badges = await badgeLog(page);
      const explain = JSON.stringify({ frozenAt, old, mined: mined.slice(-16), badges });
      assert.deepEqual(old, [], `block numbers older than a block ago: ${explain}`);
      assert.notEqual(await firstSeen(page, "rerouting", frozenAt), null, "proven stale");
    } finally {
      clearInterval(miner);
      await world.wallet.setMode("ok");
      await page.close();
    }
  });

  test("a healthy wallet's slow reads: block reads are hedged, the user's address never leaves", async () => {
    const page = await openDapp(world);
    await page.evaluate(() => window.dapp.blockNumber());
    await waitForEngine(world, page);
    const fallbackCalls = (method) =>
      (world.fallback.stats().byMethod[method] ?? 0) +
      (world.fallback2.stats().byMethod[method] ?? 0);
    const timedRead = (method, params) =>
      page.evaluate(
        async ({ method, params }) => {
          const start = performance.now();
          const result = await window.ethereum.request({ method, params });
          return { result, ms: performance.now() - start };
        },
        { method, params },
      );
    try {
      // A block read the wallet is slow to answer is raced against a fallback.
      await world.wallet.setMode("slow:1500:eth_getBlockByNumber");
      const before = fallbackCalls("eth_getBlockByNumber");
      const block = await timedRead("eth_getBlockByNumber", ["0x0", false]);
      assert.ok(fallbackCalls("eth_getBlockByNumber") > before, "the block read was hedged");
      assert.ok(block.ms < 1_400, `answered by the fallback after ${block.ms} ms`);
      // A balance read the wallet is slow to answer waits for the wallet: no fallback ever
      // learns which address the page asked about (a hedge that won above makes the wallet
      // suspect for 10 s, so wait that out first).
      await world.wallet.setMode("slow:600:eth_getBalance");
      await sleep(11_000);
      world.fallback.resetStats();
      world.fallback2.resetStats();
      const [account] = await jsonRpc(world.anvil.url, "eth_accounts", []);
      for (let i = 0; i < 3; i++) {
        const balance = await timedRead("eth_getBalance", [account, "latest"]);
        assert.equal(
          balance.result,
          await jsonRpc(world.anvil.url, "eth_getBalance", [account, "latest"]),
        );
        assert.ok(balance.ms >= 550, `the wallet answered it (${balance.ms} ms)`);
      }
      assert.equal(fallbackCalls("eth_getBalance"), 0, "no fallback saw a balance read");
    } finally {
      await world.wallet.setMode("ok");
      await page.close();
    }
  });

  test("a signed transaction reaches the chain through the fallback while the wallet fails", async () => {
    const page = await openDapp(world);
    await world.wallet.setMode("http:503");
    await startTraffic(page);
    await waitForBadge(page, "rerouting", 20_000);
    await stopTraffic(page);
    const [from] = await jsonRpc(world.anvil.url, "eth_accounts", []);
    const raw = await jsonRpc(world.anvil.url, "eth_signTransaction", [
      { from, to: from, value: "0x1", gas: "0x5208", gasPrice: "0x77359400" },
    ]);
    world.fallback.resetStats();
    world.fallback2.resetStats();
    world.wallet.resetStats();
    const hash = await page.evaluate(
      (tx) => window.ethereum.request({ method: "eth_sendRawTransaction", params: [tx] }),
      raw,
    );
    assert.match(hash, /^0x[0-9a-f]{64}$/);
    const sent = (proxy) => proxy.stats().byMethod.eth_sendRawTransaction ?? 0;
    assert.equal(sent(world.wallet), 1, "the wallet was asked first");
    assert.ok(sent(world.fallback) + sent(world.fallback2) >= 1, "then the fallbacks");
    await jsonRpc(world.anvil.url, "anvil_mine", ["0x1"]);
    const receipt = await jsonRpc(world.anvil.url, "eth_getTransactionReceipt", [hash]);
    assert.equal(receipt?.status, "0x1", "mined");
    await world.wallet.setMode("ok");
    await page.close();
  });
});
