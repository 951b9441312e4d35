// `make package`: the store packages are complete, versioned from Cargo.toml, and the checks
// refuse remote code, a loosened CSP and unjustified permissions.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { inflateRawSync } from "node:zlib";
import {
  CSP,
  cargoVersion,
  checkExtension,
  listFiles,
  packageBrowser,
  ROOT,
} from "../../scripts/package.js";

const DIST = join(ROOT, "dist");
const work = mkdtempSync(join(tmpdir(), "lifeline-package-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Reads a zip's entries back through its central directory: name → Buffer. */
function unzip(bytes) {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, "end of central directory");
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const out = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(bytes.readUInt32LE(at), 0x02014b50);
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30);
    const comment = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.toString("utf8", at + 46, at + 46 + nameLength);
    const dataAt = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(dataAt, dataAt + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    at += 46 + nameLength + extra + comment;
  }
  return out;
}

/** A copy of dist/chrome to break in one way. */
function copyOfChrome(name) {
  const dir = join(work, name);
  cpSync(join(DIST, "chrome"), dir, { recursive: true });
  return dir;
}
function editManifest(dir, edit) {
  const file = join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
}

describe("store packages", { skip: !existsSync(join(DIST, "chrome/manifest.json")) }, () => {
  const version = cargoVersion();

  for (const browser of ["chrome", "firefox"]) {
    test(`${browser}: every file, Cargo.toml's version, the CSP, no key`, () => {
      const out = join(work, "out");
      const { file, bytes } = packageBrowser({ browser, distDir: DIST, outDir: out, version });
      assert.equal(file, join(out, `rpc-lifeline-${browser}-${version}.zip`));
      const entries = unzip(readFileSync(file));
      assert.deepEqual([...entries.keys()], listFiles(join(DIST, browser)));
      for (const [name, data] of entries) {
        if (name === "manifest.json") continue;
        assert.ok(data.equals(readFileSync(join(DIST, browser, name))), name);
      }
      const manifest = JSON.parse(entries.get("manifest.json").toString("utf8"));
      assert.equal(manifest.version, version);
      assert.equal(manifest.content_security_policy.extension_pages, CSP);
      assert.equal(manifest.key, undefined, "no development key in a store package");
      assert.ok(entries.get("pkg/rpc_lifeline_bg.wasm").length > 100_000);
      assert.ok(bytes < 1024 * 1024, `${bytes} bytes`);
      // Deterministic: the same input gives the same bytes.
      const again = packageBrowser({
        browser,
        distDir: DIST,
        outDir: join(work, "again"),
        version,
      });
      assert.ok(readFileSync(again.file).equals(readFileSync(file)));
    });
  }

  test("refuses a remote script, eval, an inline script and a missing script", () => {
    const dir = copyOfChrome("remote");
    writeFileSync(
      join(dir, "popup.html"),
      '<script src="https://cdn.example/x.js"></script><script>alert(1)</script>',
    );
    writeFileSync(join(dir, "evil.js"), 'import x from "https://cdn.example/m.js"; eval("1");');
    writeFileSync(join(dir, "evil2.js"), 'await import("//cdn.example/m.js"); setTimeout("x()")');
    editManifest(dir, (m) => m.content_scripts[1].js.push("missing.js"));
    const { problems } = checkExtension(dir, { browser: "chrome", version });
    const text = problems.join("\n");
    for (const expected of [
      "popup.html: <script src> of a remote URL",
      "popup.html: inline script",
      "evil.js: import of a remote URL",
      "evil.js: eval",
      "evil2.js: dynamic import of a remote URL",
      "evil2.js: a string passed to a timer",
      "manifest names missing.js",
    ]) {
      assert.ok(text.includes(expected), `${expected} in:\n${text}`);
    }
  });

  test("refuses a loosened CSP, an unjustified permission and a wrong version", () => {
    const dir = copyOfChrome("broken/chrome");
    editManifest(dir, (m) => {
      m.content_security_policy = {
        extension_pages: "script-src 'self' 'unsafe-eval'; object-src 'self'",
        sandbox: "sandbox allow-scripts",
      };
      m.permissions.push("tabs", "webRequest");
      m.host_permissions = ["http://*/*"];
      m.externally_connectable = { matches: ["https://*/*"] };
      m.version = "9.9.9";
    });
    const { problems } = checkExtension(dir, { browser: "chrome", version });
    const text = problems.join("\n");
    for (const expected of [
      "content_security_policy.extension_pages must be exactly",
      "content_security_policy.sandbox",
      'permission "tabs"',
      'permission "webRequest"',
      'host_permissions "http://*/*"',
      "externally_connectable",
      `manifest version 9.9.9 is not Cargo.toml's ${version}`,
    ]) {
      assert.ok(text.includes(expected), `${expected} in:\n${text}`);
    }
    assert.throws(
      () =>
        packageBrowser({
          browser: "chrome",
          distDir: join(work, "broken"),
          outDir: join(work, "x"),
          version,
        }),
      /not store-ready/,
    );
  });

  test("the built extension passes as it is", () => {
    for (const browser of ["chrome", "firefox"]) {
      const { problems } = checkExtension(join(DIST, browser), { browser, version });
      assert.deepEqual(problems, [], browser);
    }
  });
});
