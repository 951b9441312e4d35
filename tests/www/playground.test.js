// The playground (dist/www/index.html) in headless Chromium against the demo's servers:
// breaking the wallet's RPC from the page's own buttons turns the badge amber, red or blue,
// the timeline shows reads answered by a backup, and healing brings everything back.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openPage, screenshot, startWorld } from "./world.js";

/** Every state the page's badge took, with the page's clock. */
async function recordBadge(page) {
  await page.evaluate(() => {
    window.__badgeLog = [];
    const badge = document.querySelector("lifeline-badge");
    const note = () => window.__badgeLog.push({ state: badge.dataset.state, at: Date.now() });
    new MutationObserver(note).observe(badge, { attributeFilter: ["data-state"] });
    note();
  });
}

const badgeStatesSince = (page, since) =>
  page.evaluate((t) => window.__badgeLog.filter((e) => e.at >= t).map((e) => e.state), since);

function waitForBadge(page, state, timeout = 20_000) {
  return page.waitForFunction(
    (wanted) => document.querySelector("lifeline-badge")?.dataset.state === wanted,
    state,
    { timeout, polling: 50 },
  );
}

/** Waits for a timeline entry started after `since` that `servedBy` answered; returns it. */
async function waitForServed(page, servedBy, since, timeout = 15_000) {
  const handle = await page.waitForFunction(
    ({ servedBy, since }) =>
      [...window.playground.state.entries.values()].find(
        (e) => e.startedAt >= since && e.servedBy === servedBy && e.outcome === "ok",
      ),
    { servedBy, since },
    { timeout, polling: 100 },
  );
  return handle.jsonValue();
}

const pageNow = (page) => page.evaluate(() => Date.now());

async function breakWallet(page, mode) {
  await page.click(`#faults button[data-mode="${mode}"]`);
  await page.waitForFunction((m) => document.body.dataset.fault === m, mode, { timeout: 5000 });
}

describe("playground", () => {
  let world;
  let page;

  before(async () => {
    world = await startWorld();
    page = await openPage(world, "/");
    await page.waitForFunction(() => window.playground?.lifeline, null, { timeout: 15_000 });
    await page.evaluate(() => window.playground.lifeline.ready);
  });

  after(async () => {
    await world?.stop();
  });

  test("loads without errors, healthy, the dapp reading through the wallet", async () => {
    const since = await pageNow(page);
    await waitForBadge(page, "healthy");
    const entry = await waitForServed(page, "wallet", since);
    assert.equal(entry.wallet.state, "ok");
    await page.waitForFunction(() => document.querySelector("#block").textContent.startsWith("#"));
    // The engine checked both backups' chain ids, and said so.
    await page.waitForFunction(
      () =>
        window.playground.state.decisions.filter((d) => d.what.startsWith("Checked")).length >= 2,
    );
    await recordBadge(page);
    // A few seconds of traffic on the timeline for the picture.
    await page.waitForFunction(() => window.playground.state.entries.size >= 6, null, {
      timeout: 15_000,
    });
    await screenshot(page, "www-playground", { whole: true });
    assert.deepEqual(page.problems, []);
    assert.deepEqual(page.networkErrors, []);
  });

  test("hang: amber, then blue; reads answered by a backup; healing returns to green", async () => {
    const since = await pageNow(page);
    await breakWallet(page, "hang");
    await waitForBadge(page, "rerouting", 20_000);
    const states = await badgeStatesSince(page, since);
    assert.ok(states.includes("degraded"), `amber before blue: ${states}`);
    const served = await waitForServed(page, "fallback", since);
    assert.ok(
      world.config.fallbacks.some((f) => f.url === served.fallback.endpoint),
      `served by a backup: ${served.fallback.endpoint}`,
    );
    // The dapp kept working: its block number still moves.
    await page.waitForFunction(
      () => document.querySelector("#dapp-health").textContent === "working",
    );
    await page.waitForFunction(
      () => document.querySelector('#requests tr[data-served-by="fallback"]') !== null,
    );
    await screenshot(page, "www-playground-hang", { whole: true });

    const healed = await pageNow(page);
    await breakWallet(page, "ok");
    await waitForBadge(page, "healthy", 25_000);
    await waitForServed(page, "wallet", healed);
  });

  test("HTTP 503: blue at once, every read still answered", async () => {
    const since = await pageNow(page);
    await breakWallet(page, "http:503");
    await waitForBadge(page, "rerouting", 15_000);
    const served = await waitForServed(page, "fallback", since);
    assert.equal(served.wallet.state === "error" || served.wallet.state === "skipped", true);
    const failedReads = await page.evaluate(() => window.playground.state.dapp.failed);
    assert.equal(failedReads, 0, "the dapp never saw an error");
    // What the engine decided, in words, for someone who has never heard of EIP-1193.
    const decisions = await page.evaluate(() =>
      window.playground.state.decisions.map((d) => d.what),
    );
    assert.ok(
      decisions.some((d) => /Reroute: reads go straight to a backup/.test(d)),
      decisions,
    );
    // A few rescued reads on the timeline for the picture.
    await page.waitForFunction(
      (t) =>
        [...window.playground.state.entries.values()].filter(
          (e) => e.startedAt >= t && e.servedBy === "fallback",
        ).length >= 5,
      since,
      { timeout: 15_000 },
    );
    await screenshot(page, "www-playground-rerouting", { whole: true });
    await breakWallet(page, "ok");
    await waitForBadge(page, "healthy", 25_000);
  });

  test("Observe only: the same outage shows red and the dapp sees the errors", async () => {
    await page.click('#modes label:has(input[value="observe"])');
    const since = await pageNow(page);
    await breakWallet(page, "http:503");
    await waitForBadge(page, "failing", 15_000);
    await page.waitForFunction(
      (t) =>
        [...window.playground.state.entries.values()].some(
          (e) => e.startedAt >= t && e.outcome === "error" && e.servedBy === "wallet",
        ),
      since,
    );
    await page.waitForFunction(
      () => document.querySelector("#dapp-health").textContent === "showing an error",
    );
    await breakWallet(page, "ok");
    await page.click('#modes label:has(input[value="protect"])');
    await waitForBadge(page, "healthy", 25_000);
    assert.deepEqual(page.problems, [], "no console errors besides the broken server's own");
  });
});
