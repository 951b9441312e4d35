// Managed configuration through a real Chromium policy file: the development build's fixed id
// names the extension under 3rdparty.extensions, the service worker applies the policy (it
// wins over the user's values), the options page shows it as set by the organisation, and
// the engine sends its probes to the organisation's endpoint. The policy file is removed
// afterwards whatever happens. It is read by every Chromium on this machine: run this file
// alone (`make test-js` runs test files one at a time).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, rm, rmdir, stat, writeFile } from "node:fs/promises";
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
  FIREFOX_DIST,
  openOptions,
  requireBuiltExtension,
  waitFor,
} from "./options-page.js";

const POLICY_DIRS = ["/etc/chromium", "/etc/chromium/policies", "/etc/chromium/policies/managed"];
const POLICY_FILE = "/etc/chromium/policies/managed/rpc-lifeline-test.json";
const MANAGED_SITE = "https://app.example";

let anvil;
let orgNode;
let server;
let browser;
let page;
let policy;
const createdDirs = [];

async function writePolicy(values) {
  for (const dir of POLICY_DIRS) {
    const exists = await stat(dir).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(dir);
      createdDirs.push(dir);
    }
  }
  const file = { "3rdparty": { extensions: { [EXTENSION_ID]: values } } };
  await writeFile(POLICY_FILE, JSON.stringify(file, null, 2)).catch((error) => {
    throw new Error(`cannot write the policy file ${POLICY_FILE} (run as root): ${error.message}`);
  });
}

async function removePolicy() {
  await rm(POLICY_FILE, { force: true });
  for (const dir of createdDirs.reverse()) await rmdir(dir).catch(() => {});
}

before(async () => {
  requireBuiltExtension();
  await buildPages();
  anvil = await startAnvil();
  orgNode = await startFaultProxy({ upstream: anvil.url });
  server = await startStaticServer();
  policy = {
    mode: "observe",
    siteModes: { [MANAGED_SITE]: "suggest" },
    allowedTracking: ["none", "limited"],
    allowUserEndpoints: false,
    useBundledEndpoints: false,
    endpoints: [
      {
        chainId: CHAIN_ID,
        name: "Org Anvil",
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcs: [{ url: orgNode.url, tracking: "none" }],
      },
    ],
  };
  await writePolicy(policy);
  browser = await launchBrowser({ extensionDir: CHROME_DIST });
  page = await openOptions(browser.context, browser.extensionId);
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await removePolicy();
    await server?.stop();
    await orgNode?.stop();
    await anvil?.stop();
  }
});

describe("managed configuration", () => {
  test("the development build has the documented fixed id; Firefox's manifest has no key", () => {
    assert.equal(browser.extensionId, EXTENSION_ID);
    const firefox = JSON.parse(readFileSync(join(FIREFOX_DIST, "manifest.json"), "utf8"));
    assert.equal(firefox.key, undefined);
    assert.equal(firefox.storage, undefined);
  });

  test("the service worker reads the policy from managed storage", async () => {
    const managed = await browser.serviceWorker.evaluate(() => chrome.storage.managed.get());
    assert.deepEqual(managed, policy);
  });

  test("managed values win over the user's", async () => {
    // A user who set other values before.
    await page.evaluate(() =>
      chrome.storage.local.set({
        mode: "protect",
        siteModes: { "https://other.example": "protect" },
        engineSettings: { allowedTracking: ["none"] },
        userChains: [
          {
            chainId: 31337,
            name: "Mine",
            nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
            rpcs: [{ url: "http://127.0.0.1:9", tracking: "none" }],
          },
        ],
      }),
    );
    const state = await waitFor(async () => {
      const s = await ask(page, { type: "optionsState" });
      return s.chains.length > 0 && s;
    }, "options state");
    assert.equal(state.mode, "observe");
    assert.deepEqual(state.siteModes, { [MANAGED_SITE]: "suggest" });
    assert.deepEqual(state.allowedTracking, ["none", "limited"]);
    assert.deepEqual(state.ignoredPolicies, []);
    assert.deepEqual(state.locked, {
      mode: true,
      siteModes: [MANAGED_SITE],
      allowedTracking: true,
      userEndpoints: true,
      bundledEndpoints: true,
    });
    const anvilChain = state.chains.find((c) => c.chainId === CHAIN_ID);
    assert.equal(anvilChain.name, "Org Anvil");
    assert.deepEqual(anvilChain.rpcs, [{ url: orgNode.url, tracking: "none", origin: "managed" }]);
    // Bundled endpoints are off: no chain has any left.
    assert.deepEqual(
      state.chains.filter((c) => c.chainId !== CHAIN_ID && c.rpcs.length > 0),
      [],
    );

    const popup = await ask(page, { type: "popupStatus", tab: 1 });
    assert.equal(popup.globalMode, "observe");
    assert.equal(popup.modeManaged, true);
    assert.deepEqual(await ask(page, { type: "setMode", mode: "protect" }), {
      ok: false,
      error: "set by your organisation",
    });
  });

  test("the options page shows the managed values as set by the organisation", async () => {
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#chain option").length > 1);
    assert.equal(await page.isVisible("#managed-notice"), true);

    assert.equal(await page.isVisible("#mode-managed"), true);
    assert.equal(await page.isChecked("input[name=mode][value=observe]"), true);
    assert.equal(await page.isDisabled("input[name=mode][value=protect]"), true);
    const managedSite = page.locator(`#site-modes li[data-site="${MANAGED_SITE}"]`);
    assert.match(await managedSite.textContent(), /suggest.*Set by your organisation/);

    assert.equal(await page.isVisible("#privacy-managed"), true);
    assert.deepEqual(
      await page.$$eval("input[name=tracking]:checked", (inputs) => inputs.map((i) => i.value)),
      ["none", "limited"],
    );
    assert.equal(await page.isDisabled("input[name=tracking][value=yes]"), true);

    await page.selectOption("#chain", String(CHAIN_ID));
    const row = page.locator(`#endpoints li[data-url="${orgNode.url}"]`);
    assert.equal(await row.getAttribute("data-origin"), "managed");
    assert.match(await row.textContent(), /Set by your organisation/);
    assert.equal(await page.locator("#endpoints li[data-origin=user]").count(), 0);
    assert.equal(await page.isVisible("#user-endpoints-managed"), true);
    assert.equal(await page.isVisible("#bundled-off"), true);
    assert.equal(await page.isDisabled("#endpoint-url"), true);
    assert.equal(await page.isDisabled("#chain-file"), true);
    assert.deepEqual(page.errors, []);
  });

  test("the engine probes the organisation's endpoint", async () => {
    const dapp = await browser.context.newPage();
    await dapp.goto(`${server.url}/dapp.html?rpc=${encodeURIComponent(anvil.url)}`);
    await dapp.evaluate(() => window.dappReady);
    assert.equal((await dapp.evaluate(() => window.dapp.readAll())).chainId, CHAIN_ID);
    const entries = await waitFor(async () => {
      const { entries } = await ask(page, { type: "requestLog" });
      return entries.some((e) => e.why === "verify chain id") && entries;
    }, "a probe of the organisation's endpoint");
    assert.ok(orgNode.stats().byMethod.eth_chainId >= 1);
    // Only the organisation's node was contacted: the user's endpoint is ignored.
    assert.deepEqual([...new Set(entries.map((e) => e.url))], [orgNode.url]);
    await dapp.close();
  });
});
