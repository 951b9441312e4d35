// The extension in Debian's Chromium with real parts: anvil, fault-injecting proxies, the
// test wallet with MetaMask's error shapes, and a viem dapp. What a user would notice.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  badgeState,
  badgeUntil,
  firstSeen,
  openDapp,
  ROOT,
  screenshot,
  startTraffic,
  startWorld,
  stopTraffic,
  tabIdOf,
  waitForBadge,
} from "./world.js";

/** Fault modes, the cause the badge must name, as the engine words it. */
const FAULTS = [
  { mode: "hang", cause: "(time-outs)" },
  { mode: "refuse", cause: "(connection failures)" },
  { mode: "http:503", cause: "(endpoint unavailable)" },
  { mode: "http:429:30", cause: "(rate limiting)" },
  { mode: "rpcerr:-32603", cause: "(internal errors from the node)" },
];

describe("the extension watches a real dapp", () => {
  let world;
  let plain;
  const detection = [];

  before(async () => {
    // Suggest mode: failures show red (Protect would reroute and show blue, tested below).
    world = await startWorld({ settings: { mode: "suggest" } });
    plain = await startWorld({ extensionDir: null });
  });

  after(async () => {
    await world?.stop();
    await plain?.stop();
    if (detection.length) {
      await mkdir(join(ROOT, "tests/e2e/.out"), { recursive: true });
      await writeFile(
        join(ROOT, "tests/e2e/.out/detection.json"),
        JSON.stringify(detection, null, 2),
      );
      console.log("detection times (first failing request → badge):");
      for (const d of detection)
        console.log(`  ${d.mode}: amber ${d.amberMs} ms, red ${d.redMs} ms`);
    }
  });

  test("healthy: the dapp sees exactly what it sees without the extension", async () => {
    const withExtension = await openDapp(world);
    const without = await openDapp(plain);
    const [a, b] = await Promise.all(
      [withExtension, without].map((p) => p.evaluate(() => window.dapp.readAll())),
    );
    // Two separate anvils: same genesis, same dev accounts, so the same answers.
    assert.deepEqual(a, b);
    assert.ok(!a.error && a.blockNumber !== undefined && a.call, JSON.stringify(a));
    const [revertA, revertB] = await Promise.all(
      [withExtension, without].map((p) => p.evaluate(() => window.dapp.revert())),
    );
    assert.deepEqual(revertA, revertB, "the very same revert error reaches the dapp");
    const [signA, signB] = await Promise.all(
      [withExtension, without].map((p) => p.evaluate(() => window.dapp.sign("hello"))),
    );
    assert.deepEqual(signA, signB);
    await waitForBadge(withExtension, "healthy");
    assert.deepEqual(withExtension.errors, []);
    await screenshot(withExtension, "badge-healthy");
    await withExtension.close();
    await without.close();
  });

  test("reverts and user rejections never change the badge", async () => {
    const page = await openDapp(world);
    await page.evaluate(() => window.dapp.blockNumber());
    await badgeUntil(page, (badge) => badge.sentence.includes("answering normally"));
    const before = await badgeState(page);
    for (let i = 0; i < 5; i++) {
      const revert = await page.evaluate(() => window.dapp.revert());
      assert.ok(revert.error, "the revert reaches the dapp as an error");
      await page.evaluate(() => {
        window.testWallets[0].rejectNext = true;
      });
      const sign = await page.evaluate(() => window.dapp.sign("no"));
      assert.equal(sign.error?.code, 4001);
    }
    await page.waitForTimeout(600); // two engine ticks: time for any verdict to arrive
    assert.deepEqual(await badgeState(page), before);
    await page.close();
  });

  for (const { mode, cause } of FAULTS) {
    test(`wallet RPC ${mode}: amber, then red naming the cause; recovery returns to healthy`, async () => {
      const page = await openDapp(world);
      await page.evaluate(() => window.dapp.blockNumber());
      await waitForBadge(page, "healthy");
      await world.wallet.setMode(mode);
      const broken = Date.now();
      await startTraffic(page);
      const red = await waitForBadge(page, "failing", 15_000);
      // A fast failure may go straight to red within one engine tick: amber is then skipped.
      const amberAt = await firstSeen(page, "degraded", broken);
      const { sentence } = await badgeState(page);
      assert.match(sentence, /^Your wallet's Anvil RPC failed \d+ of the last \d+ requests/);
      assert.ok(sentence.includes(cause), `${mode}: ${sentence}`);
      assert.ok(
        sentence.endsWith("You can add a working RPC to your wallet from this badge."),
        sentence,
      );
      detection.push({ mode, amberMs: amberAt ? amberAt - broken : null, redMs: red - broken });
      if (mode === "hang") {
        await screenshot(page, "badge-failing");
      }
      await world.wallet.setMode("ok");
      await waitForBadge(page, "healthy", 20_000);
      assert.match((await badgeState(page)).sentence, /has recovered|answering normally/);
      await stopTraffic(page);
      await page.close();
    });
  }

  test("the amber state on a slow wallet", async () => {
    const page = await openDapp(world);
    await page.evaluate(() => window.dapp.blockNumber());
    await world.wallet.setMode("slow:2000");
    await startTraffic(page, 500);
    await waitForBadge(page, "degraded");
    assert.match((await badgeState(page)).sentence, /is slow: a request has waited 1\.\d s/);
    await screenshot(page, "badge-degraded");
    await world.wallet.setMode("ok");
    await stopTraffic(page);
    await page.close();
  });

  test("two EIP-6963 wallets are both wrapped and judged separately", async () => {
    const page = await openDapp(world, { second: true });
    await page.evaluate(async () => {
      await window.dapp.blockNumber();
      await (await window.dappWith("org.lifeline.testwallet2")).blockNumber();
    });
    await world.wallet2.setMode("http:503");
    await startTraffic(page, 300, "org.lifeline.testwallet2");
    await waitForBadge(page, "failing");
    const badge = await badgeState(page);
    assert.equal(badge.wallet, "org.lifeline.testwallet2", "the badge names the failing wallet");
    // The first wallet keeps working and is judged healthy on its own.
    const first = await page.evaluate(() => window.dapp.blockNumber());
    assert.ok(!first.error, JSON.stringify(first));
    const tab = await tabIdOf(world, page);
    const popup = await world.context.newPage();
    await popup.goto(`chrome-extension://${world.browser.extensionId}/popup.html?tab=${tab}`);
    await popup.waitForFunction(() =>
      document.body.textContent.includes("org.lifeline.testwallet2"),
    );
    const text = await popup.evaluate(() => document.body.textContent);
    assert.match(text, /org\.lifeline\.testwallet(?!2)/, "the healthy first wallet is listed too");
    await popup.setViewportSize({ width: 380, height: 560 });
    await screenshot(popup, "popup");
    const { status } = await popup.evaluate(
      (tabId) => chrome.runtime.sendMessage({ type: "popupStatus", tab: tabId }),
      tab,
    );
    const states = Object.fromEntries(status.wallets.map((w) => [w.wallet, w.state]));
    assert.equal(states["org.lifeline.testwallet"], "healthy");
    assert.equal(states["org.lifeline.testwallet2"], "failing");
    const toolbar = await world.serviceWorker.evaluate(
      (tabId) => chrome.action.getBadgeText({ tabId }),
      tab,
    );
    assert.equal(toolbar, "×");
    await world.wallet2.setMode("ok");
    await stopTraffic(page);
    await popup.close();
    await page.close();
  });
});
