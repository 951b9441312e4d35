// The Firefox build for real: dist/firefox installed as a temporary add-on in Debian's
// firefox-esr (headless) through geckodriver's WebDriver API, against the same rig as the
// Chromium tests (anvil, fault proxies, the viem test dapp, all on 127.0.0.1).
// Smoke: the wrapper is on window.ethereum, the badge appears, and in Protect mode a read is
// rerouted to the verified fallback while the wallet's RPC hangs.
//
// Needs /usr/bin/firefox-esr (apt-get install firefox-esr) and geckodriver
// (cargo install geckodriver); skipped with a reason when either is missing, unless
// FIREFOX_REQUIRED=1 (set by `make test-firefox`), which makes a missing one a failure.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, startAnvil } from "../rig/anvil.js";
import { CHAIN_ID } from "../rig/chain.js";
import { startFaultProxy } from "../rig/fault-proxy.js";
import { startStaticServer } from "../rig/static-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const EXTENSION_DIR = join(ROOT, "dist/firefox");
const FIREFOX = "/usr/bin/firefox-esr";
const GECKODRIVER = [join(homedir(), ".cargo/bin/geckodriver"), "/usr/bin/geckodriver"].find(
  existsSync,
);
const ADDON_ID = "rpc-lifeline@lifeline.invalid";
/** A fixed moz-extension:// host, so the test can open the extension's own pages. */
const ADDON_UUID = "3f0c5b7e-6a2d-4e0b-9a51-4c1f2e9d7a10";
const missing = !existsSync(FIREFOX)
  ? `${FIREFOX} not found (apt-get install firefox-esr)`
  : !GECKODRIVER
    ? "geckodriver not found (cargo install geckodriver)"
    : !existsSync(join(EXTENSION_DIR, "manifest.json"))
      ? "no dist/firefox: run make build"
      : null;
const skip = missing && process.env.FIREFOX_REQUIRED !== "1" ? missing : false;

/** A minimal W3C WebDriver client over geckodriver's HTTP API. */
function webdriver(base) {
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(90_000),
    });
    const json = await res.json();
    if (!res.ok || json.value?.error) {
      throw new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    }
    return json.value;
  };
  return { call };
}

describe("Firefox (firefox-esr, dist/firefox)", { skip }, () => {
  const stops = [];
  let wd;
  let session;
  let anvil;
  let wallet;
  let fallback;
  let server;

  const sessionCall = (method, path, body) => wd.call(method, `/session/${session}${path}`, body);
  /**
   * Runs an async function body in the current page and resolves to what it returns. Values
   * cross as JSON text: page objects seen through Firefox's Xray wrappers do not serialise.
   */
  const run = async (body, ...args) =>
    JSON.parse(
      await sessionCall("POST", "/execute/async", {
        script: `const done = arguments[arguments.length - 1];
          (async (...args) => { ${body} })(...Array.from(arguments).slice(0, -1))
            .then((v) => done(JSON.stringify(v ?? null)), (e) => done(JSON.stringify({ thrown: String(e) })));`,
        args,
      }),
    );

  const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
  const SHADOW = "shadow-6066-11e4-a52e-4f735466cecf";
  /**
   * What the extension's badge shows, or null while there is none. The page cannot read it
   * (the host is bare, its root closed); WebDriver reaches into the closed root as a user would.
   */
  const badge = async () => {
    const hosts = await sessionCall("POST", "/elements", {
      using: "css selector",
      value: "rpc-lifeline-badge",
    });
    if (hosts.length === 0) return null;
    const root = await sessionCall("GET", `/element/${hosts[0][ELEMENT]}/shadow`);
    const wrap = await sessionCall("POST", `/shadow/${root[SHADOW]}/element`, {
      using: "css selector",
      value: ".wrap",
    });
    const field = (name) => sessionCall("GET", `/element/${wrap[ELEMENT]}/attribute/data-${name}`);
    return { state: await field("state"), sentence: await field("sentence") };
  };

  before(async () => {
    anvil = await startAnvil();
    stops.push(() => anvil.stop());
    wallet = await startFaultProxy({ upstream: anvil.url });
    stops.push(() => wallet.stop());
    fallback = await startFaultProxy({ upstream: anvil.url });
    stops.push(() => fallback.stop());
    server = await startStaticServer();
    stops.push(() => server.stop());

    const port = await freePort();
    const profileRoot = mkdtempSync(join(tmpdir(), "lifeline-firefox-"));
    stops.push(async () => rmSync(profileRoot, { recursive: true, force: true }));
    // WebDriver may not open moz-extension:// pages (to write the extension's storage), and
    // an enterprise policy from browser.policies.alternatePath did not reach storage.managed;
    // so the test chain and its fallback come with a copy of dist/firefox whose bundled
    // registry (chains.json) also lists chain 31337 with our fallback, in Protect mode (the
    // default).
    const extensionDir = join(profileRoot, "extension");
    cpSync(EXTENSION_DIR, extensionDir, { recursive: true });
    const chains = JSON.parse(readFileSync(join(extensionDir, "chains.json"), "utf8"));
    chains.push({
      chainId: CHAIN_ID,
      name: "Anvil",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      blockExplorerUrls: [],
      rpcs: [{ url: fallback.url, tracking: "none" }],
    });
    writeFileSync(join(extensionDir, "chains.json"), JSON.stringify(chains));
    const driver = spawn(GECKODRIVER, ["--port", String(port), "--binary", FIREFOX], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TMPDIR: profileRoot, MOZ_HEADLESS: "1" },
    });
    let driverLog = "";
    driver.stderr.on("data", (d) => {
      driverLog = (driverLog + d).slice(-4000);
    });
    stops.push(async () => {
      driver.kill();
    });
    wd = webdriver(`http://127.0.0.1:${port}`);
    for (let i = 0; ; i++) {
      try {
        await wd.call("GET", "/status");
        break;
      } catch (error) {
        if (i > 100) throw new Error(`geckodriver did not start: ${error.message}\n${driverLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const created = await wd.call("POST", "/session", {
      capabilities: {
        alwaysMatch: {
          browserName: "firefox",
          "moz:firefoxOptions": {
            binary: FIREFOX,
            args: ["-headless"],
            prefs: {
              "extensions.webextensions.uuids": JSON.stringify({ [ADDON_ID]: ADDON_UUID }),
              "dom.security.https_only_mode": false,
              "browser.shell.checkDefaultBrowser": false,
              "datareporting.policy.dataSubmissionEnabled": false,
              "app.update.disabledForTesting": true,
            },
          },
          timeouts: { script: 60_000, pageLoad: 30_000 },
        },
      },
    });
    session = created.sessionId;
    stops.push(() => wd.call("DELETE", `/session/${session}`).catch(() => {}));
    const installed = await sessionCall("POST", "/moz/addon/install", {
      path: extensionDir,
      temporary: true,
    });
    assert.equal(installed, ADDON_ID);
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  });

  test("wrapper, badge, and one read rerouted while the wallet hangs", async (t) => {
    const started = Date.now();
    await sessionCall("POST", "/url", {
      url: `${server.url}/dapp.html?${new URLSearchParams({ rpc: wallet.url })}`,
    });
    const healthy = await run(`
      // Polled: a page promise awaited through an Xray wrapper before it settles never does.
      for (let i = 0; i < 200 && !window.dapp; i++) await new Promise((r) => setTimeout(r, 50));
      const wrapped = window.ethereum[Symbol.for("rpc-lifeline.extension")] === true;
      const reads = await window.dapp.readAll();
      return { wrapped, reads };
    `);
    assert.equal(healthy.thrown, undefined, healthy.thrown);
    assert.equal(healthy.wrapped, true, "window.ethereum is wrapped by the extension");
    for (const [k, v] of Object.entries(healthy.reads)) {
      assert.ok(!v?.error, `${k}: ${JSON.stringify(v)}`);
    }
    let shown = null;
    for (let i = 0; i < 100 && shown?.state !== "healthy"; i++) {
      shown = await badge().catch((error) => ({ error: String(error) }));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(shown?.state, "healthy", JSON.stringify(shown));

    // The wallet's RPC hangs: the badge turns, and a read is served by the fallback.
    await wallet.setMode("hang");
    fallback.resetStats();
    await run(`
      const reads = ["blockNumber", "balance", "call"];
      let turn = 0;
      window.__traffic = setInterval(() => window.dapp[reads[turn++ % 3]](), 300);
    `);
    const seen = [];
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && seen.at(-1) !== "rerouting") {
      const state = (await badge())?.state;
      if (seen.at(-1) !== state) seen.push(state);
      await new Promise((r) => setTimeout(r, 250));
    }
    await run("clearInterval(window.__traffic);");
    t.diagnostic(
      `badge states: ${seen.join(" → ")}; fallback saw ${JSON.stringify(fallback.stats())}`,
    );
    t.diagnostic((await badge())?.sentence);
    const rerouted = await run(`
      const t0 = performance.now();
      const read = await Promise.race([
        window.dapp.blockNumber(),
        new Promise((r) => setTimeout(() => r({ error: "no answer in 15 s" }), 15_000)),
      ]);
      return { read, ms: Math.round(performance.now() - t0) };
    `);
    rerouted.seen = seen;
    t.diagnostic(`rerouted read in ${rerouted.ms} ms`);
    assert.equal(rerouted.thrown, undefined, rerouted.thrown);
    assert.equal(rerouted.seen.at(-1), "rerouting", JSON.stringify(rerouted));
    assert.ok(!rerouted.read?.error, JSON.stringify(rerouted.read));
    assert.ok(BigInt(rerouted.read) >= 0n);
    assert.ok(
      (fallback.stats().byMethod.eth_blockNumber ?? 0) > 0,
      `the fallback served reads: ${JSON.stringify(fallback.stats())}`,
    );
    t.diagnostic(`Firefox smoke in ${Date.now() - started} ms`);
    await wallet.setMode("ok");
  });
});

// `web-ext lint` on dist/firefox: no errors (warnings are printed).
describe("web-ext lint (dist/firefox)", {
  skip: existsSync(join(EXTENSION_DIR, "manifest.json")) ? false : "no dist/firefox",
}, () => {
  test("no errors", () => {
    const bin = join(ROOT, "node_modules/.bin/web-ext");
    const out = spawnSync(bin, ["lint", "-s", EXTENSION_DIR, "--output", "json", "--no-input"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    const report = JSON.parse(out.stdout);
    for (const w of report.warnings) console.log(`web-ext lint warning: ${w.code}: ${w.message}`);
    assert.deepEqual(
      report.errors.map((e) => `${e.code}: ${e.message} (${e.file})`),
      [],
      "web-ext lint errors",
    );
  });
});
