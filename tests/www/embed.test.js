// The embeddable module (dist/www/lifeline/embed.js) on a plain provider, without the
// extension: the embed example page (import form) and a page that uses the one-script-tag
// form. Breaking the wallet's RPC turns the badge blue and reads keep being answered.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DEV_ACCOUNT } from "../rig/chain.js";
import { rpcCall } from "../rig/json-rpc.js";
import { openPage, ROOT, screenshot, setWalletFault, startWorld } from "./world.js";

test("the embed and the extension take their read methods from the engine, not a copy", async () => {
  const { READ_METHODS } = await import("../../extension/contract.js");
  for (const file of ["www/lifeline/embed.js", "extension/inpage.js"]) {
    const source = await readFile(join(ROOT, file), "utf8");
    assert.match(source, /from "(\.\.\/\.\.\/extension|\.)\/contract\.js"/, file);
    assert.ok(!source.includes('"eth_getTransactionByBlockHashAndIndex"'), `${file} keeps a copy`);
  }
  for (const bundle of ["dist/www/lifeline/embed.js", "dist/chrome/inpage.js"]) {
    const text = await readFile(join(ROOT, bundle), "utf8");
    for (const method of READ_METHODS)
      assert.ok(text.includes(`"${method}"`), `${bundle}: ${method}`);
  }
});

/** A dapp page that adds RPC Lifeline with one script tag, its wallet on window.ethereum. */
function oneTagPage(config, shapes) {
  const fallbacks = config.fallbacks.map((f) => `${f.url} none`).join(", ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>One tag</title></head>
<body><h1>A dapp with one script tag</h1>
<script type="module">
  import { createTestWallet } from "/rig/test-wallet.js";
  window.devAccount = ${JSON.stringify(DEV_ACCOUNT)};
  window.rawWallet = createTestWallet({ rpcUrl: ${JSON.stringify(config.walletRpc)},
    errorShapes: ${shapes}, accounts: [window.devAccount], setWindowEthereum: true, announce: false });
</script>
<script type="module" src="/lifeline/embed.js" data-chain="31337" data-fallbacks="${fallbacks}"></script>
</body></html>`;
}

describe("embed on a plain provider", () => {
  let world;

  before(async () => {
    const shapes = await readFile(join(ROOT, "tests/fixtures/wallet-errors.json"), "utf8");
    world = await startWorld({
      extraPages: { "/one-tag.html": (config) => oneTagPage(config, shapes) },
    });
  });

  after(async () => {
    await world?.stop();
  });

  test("the example page: badge in the page, reads rescued when the wallet's RPC fails", async () => {
    const page = await openPage(world, "/embed.html");
    await page.waitForFunction(() => window.embedExample?.lifeline, null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => window.embedExample.lifeline.steppedBack), false);
    assert.equal(await page.evaluate(() => document.body.dataset.protectedBy), "page");
    // The wallet is asked its own block 0 once: only fallbacks on its chain may serve it.
    const genesisAsked = () => world.wallet.stats().byMethod.eth_getBlockByNumber ?? 0;
    for (let i = 0; i < 100 && genesisAsked() === 0; i++) await sleep(100);
    assert.equal(genesisAsked(), 1, "the wallet's block 0, asked once");
    await page.evaluate(() => {
      window.__entries = [];
      window.embedExample.lifeline.addEventListener("request", (e) => {
        if (e.detail.outcome !== "pending") window.__entries.push(e.detail);
      });
    });
    await page.waitForFunction(() => document.querySelector("#badge")?.dataset.state === "healthy");
    await page.waitForFunction(() =>
      document.querySelector("#example-block").textContent.startsWith("#"),
    );

    await page.click('#demo-actions button[data-mode="http:503"]');
    await page.waitForFunction(
      () => document.querySelector("#badge").dataset.state === "rerouting",
      null,
      {
        timeout: 15_000,
      },
    );
    const served = await page.waitForFunction(() =>
      window.__entries.find((e) => e.servedBy === "fallback" && e.outcome === "ok"),
    );
    const { fallback } = await served.jsonValue();
    assert.ok(
      world.config.fallbacks.some((f) => f.url === fallback.endpoint),
      fallback.endpoint,
    );
    await page.waitForFunction(() =>
      document.querySelector("#example-read").textContent.startsWith("answered"),
    );
    // The inline badge's panel, open: what a dapp's user reads.
    await page.evaluate(() =>
      document.querySelector("#badge").shadowRoot.querySelector(".pill").click(),
    );
    await page.waitForFunction(() => document.querySelector("#badge").dataset.expanded === "true");
    await page.waitForFunction(() => document.querySelector("#badge").dataset.fix === "offered");
    // Before pressing, the panel names the exact URL that would go to the wallet.
    const what = await page.evaluate(
      () => document.querySelector("#badge").shadowRoot.querySelector(".fix-what").textContent,
    );
    assert.match(
      what,
      /^Sends http:\/\/127\.0\.0\.1:\d+\S* to the wallet \S+, which asks you first\.$/,
    );
    await screenshot(page, "www-embed", { whole: true });
    // The open panel lies over the page; close it as a user would.
    await page.evaluate(() =>
      document.querySelector("#badge").shadowRoot.querySelector(".close").click(),
    );
    await page.waitForFunction(() => document.querySelector("#badge").dataset.expanded === "false");

    await page.click('#demo-actions button[data-mode="ok"]');
    await page.waitForFunction(
      () => document.querySelector("#badge").dataset.state === "healthy",
      null,
      {
        timeout: 25_000,
      },
    );
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("a wallet head that stops moving: the page is never shown an old block", async () => {
    await setWalletFault(world, "ok");
    const page = await openPage(world, "/one-tag.html");
    await page.waitForFunction(() => window.rpcLifeline, null, { timeout: 10_000 });
    await page.evaluate(() => window.rpcLifeline.ready);
    // anvil makes a block a second; the test notes when it saw each head.
    const seen = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const head = Number(await rpcCall(world.anvil.url, "eth_blockNumber").catch(() => NaN));
        if (Number.isFinite(head)) seen.push([Date.now(), head]);
        await sleep(100);
      }
    })();
    try {
      await page.evaluate(() => {
        window.heads = [];
        window.headPoller = setInterval(async () => {
          const start = Date.now();
          const head = await window.ethereum.request({ method: "eth_blockNumber" });
          window.heads.push([start, Number(head)]);
        }, 250);
      });
      await sleep(6_000); // the engine learns the block interval from the wallet's heads
      const frozenAt = Date.now();
      await setWalletFault(world, "stale");
      await sleep(9_000); // past the first cooldown (5 s) and the wallet's half-open trial
      const heads = await page.evaluate(() => {
        clearInterval(window.headPoller);
        return window.heads;
      });
      // Wrong: older than the chain's head a block (1 s) before the read started.
      const headAt = (t) => seen.findLast(([when]) => when <= t)?.[1];
      const old = heads.filter(
        ([start, head]) => start >= frozenAt && head < headAt(start - 1_000),
      );
      assert.ok(heads.filter(([start]) => start >= frozenAt).length > 30, "the page kept reading");
      assert.deepEqual(old, [], "block numbers older than the chain's head a block earlier");
      assert.equal(
        await page.evaluate(() => document.querySelector("lifeline-badge[floating]").dataset.state),
        "rerouting",
        "proven stale",
      );
    } finally {
      watching = false;
      await watcher;
      await setWalletFault(world, "ok");
      await page.close();
    }
  });

  test("one script tag: wraps window.ethereum in place and floats the badge", async () => {
    await setWalletFault(world, "ok");
    const page = await world.context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${world.url}/one-tag.html`);
    await page.waitForFunction(() => window.rpcLifeline, null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => window.ethereum === window.rpcLifeline.provider), true);
    assert.equal(await page.evaluate(() => window.ethereum !== window.rawWallet), true);
    await page.evaluate(() => window.rpcLifeline.ready);
    await page.waitForFunction(() => window.rpcLifeline.chainId === 31337);
    await page.waitForFunction(
      () => document.querySelector("lifeline-badge[floating]")?.dataset.state === "healthy",
    );

    await setWalletFault(world, "http:503");
    // A read the wallet fails is answered by a backup as soon as the engine has verified one
    // (it starts checking them when the page loads).
    const block = await page.waitForFunction(
      () =>
        window.ethereum.request({ method: "eth_blockNumber" }).then(
          (result) => result,
          () => false,
        ),
      null,
      { timeout: 10_000, polling: 200 },
    );
    assert.match(await block.jsonValue(), /^0x[0-9a-f]+$/);
    // Signing is a wallet method: never rerouted, the wallet's own error comes back.
    const signError = await page.evaluate(() =>
      window.ethereum
        .request({ method: "personal_sign", params: ["0x68656c6c6f", window.devAccount] })
        .then(
          () => null,
          (e) => e.code,
        ),
    );
    assert.equal(typeof signError, "number");
    await setWalletFault(world, "ok");
    assert.deepEqual(problems, []);
    await page.close();
  });
});
