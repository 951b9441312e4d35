// The extension's failure modes, seen from the page: a stopped service worker, a broken
// engine, a background that never starts. The page must always keep talking to its wallet.
// And Protect mode doing its job: reads served by a verified fallback while the wallet hangs.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startFaultProxy } from "../rig/fault-proxy.js";
import {
  anvilChain,
  badgeState,
  badgeUntil,
  clickBadge,
  EXTENSION_DIR,
  openDapp,
  screenshot,
  startTraffic,
  startWorld,
  stopServiceWorker,
  stopTraffic,
  tabStatus,
  waitForBadge,
  waitForEngine,
} from "./world.js";

/** A copy of the built extension, broken by `breakIt(dir)`. */
function brokenCopy(breakIt) {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-broken-"));
  cpSync(EXTENSION_DIR, dir, { recursive: true });
  breakIt(dir);
  return dir;
}

/** What the dapp sees for reads, a revert, a signature, and a read while its RPC says 503. */
async function dappView(world) {
  const page = await openDapp(world);
  const reads = await page.evaluate(() => window.dapp.readAll());
  const revert = await page.evaluate(() => window.dapp.revert());
  const sign = await page.evaluate(() => window.dapp.sign("hi"));
  await world.wallet.setMode("http:503");
  const failed = await page.evaluate(() => window.dapp.balance());
  await world.wallet.setMode("ok");
  const errors = page.errors.map(String);
  await page.close();
  return { reads, revert, sign, failed, errors };
}

describe("failing open", () => {
  let plain;
  let expected;
  const broken = [];

  before(async () => {
    plain = await startWorld({ extensionDir: null });
    expected = await dappView(plain);
    assert.equal(expected.failed.error?.code, -32002, "the wallet's own 503 shape");
  });

  after(async () => {
    await plain?.stop();
    for (const dir of broken) rmSync(dir, { recursive: true, force: true });
  });

  test("a broken engine (the wasm will not load): the page works exactly as without us", async () => {
    const dir = brokenCopy((d) => truncateSync(join(d, "pkg/rpc_lifeline_bg.wasm"), 100));
    broken.push(dir);
    const world = await startWorld({ extensionDir: dir });
    try {
      assert.deepEqual(await dappView(world), expected);
    } finally {
      await world.stop();
    }
  });

  test("a background that throws at start: the page works exactly as without us", async () => {
    const dir = brokenCopy((d) =>
      writeFileSync(join(d, "background.js"), 'throw new Error("broken");\n'),
    );
    broken.push(dir);
    const world = await startWorld({ extensionDir: dir, expectWorker: false });
    try {
      assert.deepEqual(await dappView(world), expected);
    } finally {
      await world.stop();
    }
  });
});

describe("the service worker comes and goes", () => {
  let world;

  before(async () => {
    world = await startWorld({ settings: { mode: "suggest" } });
  });

  after(() => world?.stop());

  test("stopped mid-session: the page keeps working and the state is back on wake", async () => {
    const page = await openDapp(world);
    await world.wallet.setMode("http:503");
    await startTraffic(page);
    await waitForBadge(page, "failing");
    await stopTraffic(page);
    const sentence = (await badgeState(page)).sentence;

    // The worker saves its state at most once a second; MV3 stops idle workers after 30 s.
    await page.waitForTimeout(1_500);
    assert.ok(await stopServiceWorker(world), "the worker stopped");

    // The dapp's reads still reach the wallet (now healthy again) while the worker is down.
    await world.wallet.setMode("ok");
    const read = await page.evaluate(() => window.dapp.blockNumber());
    assert.ok(!read.error, JSON.stringify(read));

    // The next message wakes the worker; it restores the engine's memory of this tab.
    const { popup, status } = await tabStatus(world, page);
    const wallet = status.wallets.find((w) => w.wallet === "org.lifeline.testwallet");
    assert.ok(wallet, JSON.stringify(status));
    assert.ok(
      wallet.errors.filter(Boolean).length >= 3,
      `failures remembered: ${JSON.stringify(wallet)}`,
    );
    assert.match(sentence, /endpoint unavailable/);
    await popup.close();
    await page.close();
  });
});

describe("Protect mode", () => {
  let world;

  before(async () => {
    world = await startWorld({ settings: { mode: "protect" } });
  });

  after(() => world?.stop());

  test("a read the wallet leaves hanging is answered by the fallback before any time-out", async () => {
    const page = await openDapp(world);
    await page.evaluate(() => window.dapp.readAll());
    await waitForEngine(world, page);
    const healthy = await page.evaluate(() => window.dapp.readAll());
    await world.wallet.setMode("hang");
    world.fallback.resetStats();
    const started = Date.now();
    const hedged = await page.evaluate(() => window.dapp.readAll());
    const took = Date.now() - started;
    assert.deepEqual(hedged, healthy, "the same answers, from the fallback");
    // Hedged after ~100 ms. Without a hedge on a healthy-looking wallet they would wait until
    // the engine calls the wallet degraded (a read unanswered for slowRequestMs, 1.5 s).
    assert.ok(took < 1_000, `answered after ${took} ms`);
    assert.ok(world.fallback.stats().requests >= 3, JSON.stringify(world.fallback.stats()));
    // The fallback answered those very reads: the wallet's time-outs for them run from
    // slowRequestMs (1.5 s), not the full 3 s, so reads stop going out twice that much sooner.
    const rerouted = (await waitForBadge(page, "rerouting", 10_000)) - started;
    assert.ok(rerouted < 2_800, `rerouted ${rerouted} ms into the hang`);
    await world.wallet.setMode("ok");
    await page.close();
  });

  test("a wallet whose request cannot be replaced (Brave-style) is protected too", async () => {
    const page = await openDapp(world, { locked: true });
    try {
      const seen = await page.evaluate(() => {
        const d = Object.getOwnPropertyDescriptor(window.testWallets[0], "request");
        return {
          locked: d.writable === false && d.configurable === false,
          wrapped: window.ethereum[Symbol.for("rpc-lifeline.extension")] === true,
          request: typeof window.ethereum.request,
          isWallet: window.ethereum.info?.rdns,
        };
      });
      assert.deepEqual(seen, {
        locked: true,
        wrapped: true,
        request: "function",
        isWallet: "org.lifeline.testwallet",
      });
      await page.evaluate(() => window.dapp.readAll());
      await waitForEngine(world, page);
      const healthy = await page.evaluate(() => window.dapp.readAll());
      await world.wallet.setMode("hang");
      world.fallback.resetStats();
      const started = Date.now();
      const hedged = await page.evaluate(() => window.dapp.readAll());
      const took = Date.now() - started;
      assert.deepEqual(hedged, healthy, "the same answers, from the fallback");
      assert.ok(took < 1_000, `answered after ${took} ms`);
      assert.ok(world.fallback.stats().requests >= 3, JSON.stringify(world.fallback.stats()));
    } finally {
      await world.wallet.setMode("ok");
      await page.close();
    }
  });

  test("no host permissions: a fallback that sends no CORS headers is still reached", async () => {
    const granted = await world.serviceWorker.evaluate(() => chrome.permissions.getAll());
    assert.deepEqual(granted.origins, ["<all_urls>"], "only the content scripts' match");
    const plain = await startFaultProxy({ upstream: world.anvil.url, cors: false });
    try {
      await world.serviceWorker.evaluate((v) => chrome.storage.local.set(v), {
        userChains: [anvilChain([plain.url])],
      });
      const page = await openDapp(world);
      await page.evaluate(() => window.dapp.readAll());
      await waitForEngine(world, page);
      const healthy = await page.evaluate(() => window.dapp.readAll());
      await world.wallet.setMode("hang");
      const hedged = await page.evaluate(() => window.dapp.readAll());
      assert.deepEqual(hedged, healthy);
      assert.ok(plain.stats().byMethod.eth_chainId >= 1, JSON.stringify(plain.stats()));
      assert.ok(plain.stats().byMethod.eth_call >= 1, JSON.stringify(plain.stats()));
      await world.wallet.setMode("ok");
      await page.close();
    } finally {
      await world.serviceWorker.evaluate((v) => chrome.storage.local.set(v), {
        userChains: [anvilChain([world.fallback.url])],
      });
      await plain.stop();
    }
  });

  test("while the wallet hangs, reads are served by the verified fallback and the page never sees it", async () => {
    const page = await openDapp(world);
    const healthy = await page.evaluate(() => window.dapp.readAll());
    await world.wallet.setMode("hang");
    await startTraffic(page);
    await waitForBadge(page, "rerouting", 20_000);
    await stopTraffic(page);
    const { sentence } = await badgeState(page);
    assert.match(
      sentence,
      /\(time-outs\)\. Reads on this page are now served by 127\.0\.0\.1 \(\d+ ms\)\.$/,
    );
    world.fallback.resetStats();
    const started = Date.now();
    const rerouted = await page.evaluate(() => window.dapp.readAll());
    assert.deepEqual(rerouted, healthy, "the same answers, from the fallback");
    assert.ok(Date.now() - started < 2_000, "no wait on the hung wallet");
    assert.ok(world.fallback.stats().requests >= 3, JSON.stringify(world.fallback.stats()));
    // Signing is never rerouted: it goes to the (hung) wallet and stays pending there.
    const signing = await page.evaluate(() =>
      Promise.race([
        window.dapp.sign("x"),
        new Promise((r) => setTimeout(() => r("pending"), 1500)),
      ]),
    );
    assert.equal(signing, "pending");
    await screenshot(page, "badge-rerouting");
    const expanded = (value) => badgeUntil(page, (badge) => badge.expanded === value);
    await clickBadge(page);
    await expanded("true");
    await screenshot(page, "badge-panel");
    await page.keyboard.press("Escape");
    await expanded("false");
    await page.keyboard.press("Enter"); // the pill kept the focus: the keyboard opens it too
    await expanded("true");
    await page.keyboard.press("Escape");
    await expanded("false");
    await world.wallet.setMode("ok");
    await page.close();
  });
});
