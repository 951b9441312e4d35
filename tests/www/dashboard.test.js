// The endpoint dashboard (dist/www/dashboard.html) in headless Chromium: the engine probes
// three local endpoints from the page (a healthy one, one on the wrong chain, one slow) and
// the page ranks them and says why; "Add to wallet" asks the page's wallet (EIP-3085).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startPageServer } from "../../scripts/www-server.js";
import { startFaultProxy } from "../rig/fault-proxy.js";
import { openPage, screenshot, startWorld } from "./world.js";

const rows = (page) =>
  page.$$eval("#rows tr[data-url]", (trs) =>
    trs.map((tr) => ({
      url: tr.dataset.url,
      rank: Number(tr.dataset.rank),
      tier: Number(tr.dataset.tier),
      pick: tr.dataset.pick === "true",
      why: tr.querySelector(".why").textContent,
      cells: [...tr.children].map((td) => td.textContent.trim()),
    })),
  );

describe("endpoint dashboard", () => {
  let world;
  let healthy;
  let wrongChain;
  let slow;

  before(async () => {
    world = await startWorld({ backups: 0 });
    healthy = await startFaultProxy({ upstream: world.anvil.url });
    wrongChain = await startFaultProxy({ upstream: world.anvil.url });
    await wrongChain.setMode("wrongchain");
    slow = await startFaultProxy({ upstream: world.anvil.url });
    await slow.setMode("slow:300");
  });

  after(async () => {
    for (const proxy of [healthy, wrongChain, slow]) await proxy?.stop();
    await world?.stop();
  });

  test("ranks three local endpoints and explains the low ones", async () => {
    // A wallet in the page, so "Add to wallet" has someone to ask.
    await world.context.addInitScript(() => {
      window.__addChainCalls = [];
      window.ethereum = {
        request: async (args) => {
          window.__addChainCalls.push(args);
          return null;
        },
      };
    });
    const query = new URLSearchParams({ chain: "31337", every: "1000", start: "" });
    // Listed worst-first, so the order shown is the dashboard's own.
    for (const proxy of [wrongChain, slow, healthy]) query.append("rpc", `${proxy.url} none`);
    const page = await openPage(world, `/dashboard.html?${query}`, { height: 1100 });

    // Ranked: healthy, then slow, then the wrong chain; each with enough checks behind it.
    await page.waitForFunction(
      ({ order }) => {
        const trs = [...document.querySelectorAll("#rows tr[data-url]")];
        const urls = trs.map((tr) => tr.dataset.url);
        const enough = trs[1]?.querySelector("td:nth-child(5)")?.textContent.split("/")[1] >= 3;
        return JSON.stringify(urls) === JSON.stringify(order) && enough;
      },
      { order: [healthy.url, slow.url, wrongChain.url] },
      { timeout: 20_000, polling: 200 },
    );
    const [first, second, third] = await rows(page);
    assert.equal(first.tier, 0);
    assert.match(first.why, /Fastest endpoint on the right chain/);
    assert.match(second.why, /Slower: median 3\d\d ms/);
    assert.match(third.why, /Answers for chain 1 \(Ethereum Mainnet\), not 31337/);
    assert.match(third.cells[6], /reports 1/);
    assert.match(first.cells[6], /31337/);
    assert.equal(first.cells[7], "No tracking");

    // The engine's own pick, asked through serveRead, is the healthy endpoint.
    await page.waitForFunction(
      (url) => document.querySelector(`#rows tr[data-url="${url}"]`)?.dataset.pick === "true",
      healthy.url,
      { timeout: 10_000 },
    );
    assert.match(await page.textContent("#pick"), /would answer reads from 127\.0\.0\.1:\d+/);

    // The chart has a line per answering endpoint, a few seconds long for the picture.
    await page.waitForFunction(
      (url) =>
        document.querySelectorAll("#chart polyline").length >= 2 &&
        document
          .querySelector(`#rows tr[data-url="${url}"] td:nth-child(5)`)
          .textContent.split("/")[1] >= 25,
      healthy.url,
      { timeout: 30_000, polling: 250 },
    );
    await screenshot(page, "www-dashboard", { whole: true });

    // Add to wallet: EIP-3085 with this endpoint, never for the wrong chain.
    assert.equal(
      await page.$eval(`#rows tr[data-url="${wrongChain.url}"] button`, (b) => b.disabled),
      true,
    );
    await page.click(`#rows tr[data-url="${healthy.url}"] button`);
    await page.waitForFunction(() => window.__addChainCalls.length === 1);
    const [call] = await page.evaluate(() => window.__addChainCalls);
    assert.equal(call.method, "wallet_addEthereumChain");
    assert.deepEqual(call.params[0].rpcUrls, [healthy.url]);
    assert.equal(call.params[0].chainId, "0x7a69");
    await page.waitForFunction(
      () => document.querySelector(".add-result")?.textContent === "Added.",
    );
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test("a bundled chain fills in its endpoints; a refused URL is named", async () => {
    const page = await openPage(world, "/dashboard.html");
    await page.waitForFunction(() => document.querySelectorAll("#chain option").length > 1);
    await page.selectOption("#chain", "1");
    const lines = (await page.inputValue("#endpoints")).split("\n");
    assert.equal(lines.length, 16, "the engine's cap per chain");
    assert.ok(
      lines.slice(0, 10).every((l) => l.endsWith(" none")),
      "non-tracking first",
    );
    assert.match(await page.textContent("#setup-note"), /has \d+ public endpoints/);

    await page.selectOption("#chain", "custom");
    await page.fill("#chain-id", "31337");
    await page.fill("#endpoints", "http://example.com/rpc none");
    await page.click("#start");
    await page.waitForSelector("#setup-error:not([hidden])");
    assert.match(await page.textContent("#setup-error"), /not allowed: use https/);
    assert.deepEqual(page.problems, []);
  });

  test("on any static server: the dashboard runs, the playground says how to start the demo", async () => {
    const plain = await startPageServer({});
    try {
      const page = await openPage({ ...world, url: plain.url }, "/dashboard.html");
      await page.waitForFunction(() => document.querySelectorAll("#chain option").length === 13);
      await page.goto(`${plain.url}/`);
      await page.waitForSelector("#no-demo:not([hidden])");
      assert.match(await page.textContent("#no-demo"), /make demo/);
      // The only failed load is the demo's own config, which a static server does not have.
      assert.deepEqual(page.problems, []);
      assert.equal(page.networkErrors.length, 1);
      await page.close();
    } finally {
      await plain.stop();
    }
  });
});
