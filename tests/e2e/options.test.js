// The options page in Chromium, against a real anvil behind fault-injecting proxies: import of
// an ethereum-lists chain file, adding an endpoint (its chain id checked; one on another chain
// refused), reordering and removing, privacy, export and re-import of all settings, and the
// log of requests sent to endpoints after a dapp page used its wallet.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startAnvil } from "../rig/anvil.js";
import { buildPages } from "../rig/build-pages.js";
import { CHAIN_ID } from "../rig/chain.js";
import { startFaultProxy } from "../rig/fault-proxy.js";
import { startStaticServer } from "../rig/static-server.js";
import { launchBrowser } from "./browser.js";
import {
  ask,
  CHROME_DIST,
  EXTENSION_ID,
  openOptions,
  requireBuiltExtension,
  stored,
  waitFor,
} from "./options-page.js";

let anvil;
let good;
let wrongChain;
let walletRpc;
let server;
let browser;
let page;
let files;

before(async () => {
  requireBuiltExtension();
  await buildPages();
  files = await mkdtemp(join(tmpdir(), "lifeline-options-"));
  anvil = await startAnvil();
  good = await startFaultProxy({ upstream: anvil.url });
  wrongChain = await startFaultProxy({ upstream: anvil.url });
  await wrongChain.setMode("wrongchain");
  walletRpc = await startFaultProxy({ upstream: anvil.url });
  server = await startStaticServer();
  browser = await launchBrowser({ extensionDir: CHROME_DIST });
  assert.equal(browser.extensionId, EXTENSION_ID);
  page = await openOptions(browser.context, browser.extensionId);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  for (const proxy of [good, wrongChain, walletRpc]) await proxy?.stop();
  await anvil?.stop();
  if (files) await rm(files, { recursive: true, force: true });
});

const status = (id) => page.locator(`#${id}`).textContent();
const userChains = async () => (await stored(page, "userChains")).userChains ?? [];
const userUrls = async () => (await userChains()).find((c) => c.chainId === CHAIN_ID)?.rpcs;
const shownUrls = () =>
  page.$$eval("#endpoints li[data-origin=user]", (rows) => rows.map((r) => r.dataset.url));

async function waitForStatus(id, pattern) {
  await page.waitForFunction(
    ([node, source]) => new RegExp(source).test(document.getElementById(node).textContent),
    [id, pattern.source],
    { timeout: 15_000 },
  );
  return status(id);
}

describe("options page", () => {
  test("imports an ethereum-lists chain file, checking every endpoint's chain id", async () => {
    const chainFile = join(files, "eip155-31337.json");
    await writeFile(
      chainFile,
      JSON.stringify({
        name: "Anvil",
        chain: "ETH",
        chainId: CHAIN_ID,
        networkId: CHAIN_ID,
        shortName: "anvil",
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        // ethereum-lists marks URLs that need an API key with a `${...}` placeholder.
        rpc: [good.url, wrongChain.url, `https://rpc.example/$\{API_KEY}`, "wss://ws.example"],
        explorers: [],
        infoURL: "https://example.org",
      }),
    );
    await page.setInputFiles("#chain-file", chainFile);
    await page.selectOption("#chain-file-tracking", "none");
    await page.click("#import-chain button[type=submit]");
    const text = await waitForStatus("chain-file-status", /Imported|Nothing|Not saved/);
    assert.match(text, /Imported 1 endpoint\(s\) for Anvil \(31337\)/);
    assert.match(text, new RegExp(`${wrongChain.url} \\(it serves chain 1, not chain 31337\\)`));
    assert.match(text, /needs an API key/);
    assert.deepEqual(await userUrls(), [{ url: good.url, tracking: "none" }]);
    // The page re-renders when the background has rebuilt its registry: wait for the chain.
    await page.waitForFunction(
      (id) => document.querySelector("#chain")?.value === id,
      String(CHAIN_ID),
      { timeout: 5_000 },
    );
    assert.deepEqual(await shownUrls(), [good.url]);
  });

  test("adds an endpoint only after its chain id matched", async () => {
    await page.selectOption("#chain", String(CHAIN_ID));

    await page.fill("#endpoint-url", "http://example.com:8545");
    await page.selectOption("#endpoint-tracking", "none");
    await page.click("#add-endpoint button[type=submit]");
    assert.match(await status("endpoint-status"), /Use an https:\/\/ URL/);

    await page.fill("#endpoint-url", wrongChain.url.replace("127.0.0.1", "localhost"));
    await page.click("#add-endpoint button[type=submit]");
    const refused = await waitForStatus("endpoint-status", /Not saved|Added/);
    assert.match(refused, /Not saved: it serves chain 1, not chain 31337/);
    assert.equal((await userUrls()).length, 1);

    const local = `http://localhost:${anvil.port}`;
    await page.fill("#endpoint-url", local);
    await page.selectOption("#endpoint-tracking", "none");
    await page.click("#add-endpoint button[type=submit]");
    assert.match(await waitForStatus("endpoint-status", /Not saved|Added/), /Added .*31337/);
    assert.deepEqual(
      (await userUrls()).map((r) => r.url),
      [good.url, local],
    );
    await page.waitForFunction(
      () => document.querySelectorAll("#endpoints li[data-origin=user]").length === 2,
    );
    assert.deepEqual(await shownUrls(), [good.url, local]);
  });

  test("a new chain is checked against the chain id the user gave", async () => {
    await page.selectOption("#chain", "new");
    await page.fill("#new-chain-id", "31338");
    await page.fill("#new-chain-name", "Not Anvil");
    await page.fill("#new-chain-symbol", "NA");
    await page.fill("#endpoint-url", good.url);
    await page.selectOption("#endpoint-tracking", "none");
    await page.click("#add-endpoint button[type=submit]");
    const refused = await waitForStatus("endpoint-status", /Not saved|Added/);
    assert.match(refused, /Not saved: it serves chain 31337, not chain 31338/);
    assert.equal((await userChains()).length, 1);
    await page.selectOption("#chain", String(CHAIN_ID));
  });

  test("reorders and removes the user's endpoints", async () => {
    const local = `http://localhost:${anvil.port}`;
    await page.click(`#endpoints li[data-url="${good.url}"] button.down`);
    await waitFor(async () => (await userUrls())[0].url === local, "moved down");
    await page.waitForFunction(
      (url) => document.querySelector("#endpoints li[data-origin=user]")?.dataset.url === url,
      local,
    );
    assert.deepEqual(await shownUrls(), [local, good.url]);

    await page.click(`#endpoints li[data-url="${good.url}"] button.up`);
    await waitFor(async () => (await userUrls())[0].url === good.url, "moved up");

    await page.click(`#endpoints li[data-url="${local}"] button.remove`);
    await waitFor(async () => (await userUrls()).length === 1, "removed");
    await page.waitForFunction(
      () => document.querySelectorAll("#endpoints li[data-origin=user]").length === 1,
    );
    assert.deepEqual(await shownUrls(), [good.url]);
  });

  test("changes which tracking policies may be used", async () => {
    assert.deepEqual(
      await page.$$eval("input[name=tracking]:checked", (inputs) => inputs.map((i) => i.value)),
      ["none"],
    );
    await page.check("input[name=tracking][value=limited]");
    await waitFor(
      async () =>
        (await stored(page, "engineSettings")).engineSettings?.allowedTracking?.join() ===
        "none,limited",
      "limited allowed",
    );
    const state = await ask(page, { type: "optionsState" });
    assert.deepEqual(state.allowedTracking, ["none", "limited"]);
    await page.uncheck("input[name=tracking][value=limited]");
    await waitFor(
      async () =>
        (await stored(page, "engineSettings")).engineSettings?.allowedTracking?.join() === "none",
      "limited no longer allowed",
    );
  });

  test("exports all settings as one file and imports them back", async () => {
    await page.check("input[name=mode][value=suggest]");
    await waitFor(async () => (await stored(page, "mode")).mode === "suggest", "mode saved");
    const before = await stored(page, ["mode", "engineSettings", "userChains"]);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#export-settings"),
    ]);
    const exported = join(files, "settings.json");
    await download.saveAs(exported);
    const file = JSON.parse(await readFile(exported, "utf8"));
    assert.equal(file.format, "rpc-lifeline-settings");
    assert.equal(file.version, 1);
    assert.deepEqual(file.settings.userChains, before.userChains);
    assert.equal(file.settings.mode, "suggest");

    // Change everything, then restore from the file.
    await page.check("input[name=mode][value=observe]");
    await page.click(`#endpoints li[data-url="${good.url}"] button.remove`);
    await waitFor(async () => (await userChains()).length === 0, "endpoint removed");

    await page.setInputFiles("#settings-file", exported);
    assert.match(await waitForStatus("settings-status", /imported|Not|not/), /Settings imported/);
    assert.deepEqual(await stored(page, ["mode", "engineSettings", "userChains"]), before);
    await page.waitForFunction(
      () => document.querySelectorAll("#endpoints li[data-origin=user]").length === 1,
    );
    assert.equal(await page.isChecked("input[name=mode][value=suggest]"), true);

    const damaged = join(files, "damaged.json");
    await writeFile(damaged, JSON.stringify({ ...file, settings: { mode: "turbo" } }));
    await page.setInputFiles("#settings-file", damaged);
    assert.match(
      await waitForStatus("settings-status", /not an RPC/),
      /not an RPC Lifeline settings file/,
    );
    assert.equal((await stored(page, "mode")).mode, "suggest");
  });

  test("logs every request sent to an endpoint: when, where and why", async () => {
    await ask(page, { type: "setMode", mode: "protect" });
    const dapp = await browser.context.newPage();
    await dapp.goto(`${server.url}/dapp.html?rpc=${encodeURIComponent(walletRpc.url)}`);
    await dapp.evaluate(() => window.dappReady);
    const reads = await dapp.evaluate(() => window.dapp.readAll());
    assert.equal(reads.chainId, CHAIN_ID);

    const log = () => ask(page, { type: "requestLog" }).then((r) => r.entries);
    // The chain is in use now: the engine verifies our endpoint, then follows its head.
    await waitFor(
      async () =>
        (await log()).some((e) => e.url === good.url && e.why === "verify chain id") &&
        (await log()).some((e) => e.url === good.url && e.why === "check head"),
      "probes logged",
    );

    // The wallet's RPC fails: reads are served by our endpoint, and logged as such.
    await walletRpc.setMode("http:503");
    const served = await waitFor(async () => {
      const n = await dapp.evaluate(() => window.dapp.blockNumber());
      const entry = (await log()).find((e) => e.why === "wallet error");
      return typeof n === "string" && entry;
    }, "a read served from our endpoint after the wallet failed");
    assert.equal(served.url, good.url);
    assert.equal(served.chainId, CHAIN_ID);
    assert.equal(served.method, "eth_blockNumber");
    assert.equal(served.result, "HTTP 200");

    const entries = await log();
    for (const entry of entries) {
      assert.deepEqual(Object.keys(entry).sort(), [
        "at",
        "chainId",
        "method",
        "ms",
        "result",
        "url",
        "why",
      ]);
      assert.ok(Math.abs(Date.now() - entry.at) < 60_000);
    }
    // The page shows it too (it listens for the saved log).
    await page.waitForFunction(
      () => document.querySelector("#log-rows tr[data-why='wallet error']"),
      null,
      {
        timeout: 10_000,
      },
    );
    const firstRow = await page.$$eval("#log-rows tr", (rows) => rows.map((r) => r.textContent));
    assert.ok(firstRow.some((text) => text.includes(good.url) && text.includes("verify chain id")));

    // Head checks go on (every 5 s while the wallet fails); the one-off chain id check is gone.
    await page.click("#clear-log");
    await waitFor(
      async () => !(await log()).some((e) => e.why === "verify chain id"),
      "log cleared",
    );
    await page.waitForFunction(
      () => !document.querySelector("#log-rows tr[data-why='verify chain id']"),
    );
    await dapp.close();
    assert.deepEqual(page.errors, []);
  });
});
