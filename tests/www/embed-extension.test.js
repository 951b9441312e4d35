// The embed with the RPC Lifeline extension (dist/chrome) loaded: the page's own copy sees
// the extension's mark on the provider and steps back, visibly; the extension protects the
// page alone (one badge with a verdict, one set of decisions) and reads keep working.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { badgeUntil } from "../e2e/badge.js";
import { openPage, screenshot, startWorld } from "./world.js";

describe("embed with the extension installed", () => {
  let world;

  before(async () => {
    world = await startWorld({ extension: true });
  });

  after(async () => {
    await world?.stop();
  });

  test("the page's copy steps back and says so; the extension's badge takes over", async () => {
    const page = await openPage(world, "/embed.html");
    await page.waitForFunction(() => window.embedExample?.lifeline, null, { timeout: 15_000 });
    const facts = await page.evaluate(() => {
      const { lifeline } = window.embedExample;
      return {
        steppedBack: lifeline.steppedBack,
        untouched: lifeline.provider === window.ethereum,
        marked: window.ethereum[Symbol.for("rpc-lifeline.extension")] === true,
        protectedBy: document.body.dataset.protectedBy,
      };
    });
    assert.deepEqual(facts, {
      steppedBack: true,
      untouched: true,
      marked: true,
      protectedBy: "extension",
    });
    // Visibly: the page's badge is grey, "Extension active", with the reason in its panel.
    const pageBadge = await page.evaluate(() => ({ ...document.querySelector("#badge").dataset }));
    assert.equal(pageBadge.state, "standby");
    assert.match(pageBadge.sentence, /extension is installed .* steps back/);
    assert.equal(
      await page.evaluate(
        () => document.querySelector("#badge").shadowRoot.querySelector(".label").textContent,
      ),
      "Extension active",
    );
    // The extension's own badge shows up with the page's first requests, and the page reads.
    await badgeUntil(page, (badge) => badge.state !== undefined, 15_000);
    await page.waitForFunction(() =>
      document.querySelector("#example-block").textContent.startsWith("#"),
    );
    // Only the extension wraps the wallet: no engine was started in the page.
    const wasmRequests = await page.evaluate(
      () => performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm")).length,
    );
    assert.equal(wasmRequests, 0);

    // The wallet's RPC fails: the extension handles it; the page's copy stays out of it.
    await page.click('#demo-actions button[data-mode="http:503"]');
    await badgeUntil(page, (badge) => badge.state !== "healthy", 20_000);
    assert.equal(
      await page.evaluate(() => document.querySelector("#badge").dataset.state),
      "standby",
    );
    await page.evaluate(() =>
      document.querySelector("#badge").shadowRoot.querySelector(".pill").click(),
    );
    await screenshot(page, "www-embed-extension", { whole: true });
    await page.click('#demo-actions button[data-mode="ok"]');
    assert.deepEqual(page.problems, []);
  });
});
