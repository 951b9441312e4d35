// The options page: the user's endpoints per chain (add, remove, reorder, import a chain file),
// mode, privacy, the log of requests sent to endpoints, and export/import of all settings.
// The user's values live in storage.local (the background rebuilds the engine when they
// change); what the administrator set through policy comes from the background, shown locked.
import "./messages.js";

const M = globalThis.LifelineMessages;
const api = globalThis.browser ?? globalThis.chrome;

/** How long an endpoint may take to answer eth_chainId before it is not saved. */
const CHECK_TIMEOUT_MS = 5000;
/** Longest answer to eth_chainId worth reading. */
const CHECK_MAX_CHARS = 10_000;
/** The user's keys in storage.local that make up "all settings" (export and import). */
const SETTINGS_KEYS = [
  "mode",
  "siteModes",
  "engineSettings",
  "userChains",
  "badgeWhenHealthy",
  "hiddenSites",
];
const NEW_CHAIN = "new";
/** A starting worker is asked this many times, this far apart, before the page gives up. */
const ASK_ATTEMPTS = 5;
const ASK_RETRY_MS = 400;
/** Time the background takes to read a changed managed policy before the page asks. */
const MANAGED_SETTLE_MS = 300;
const TRACKING_LABEL = {
  none: "no tracking",
  limited: "limited tracking",
  yes: "tracking",
  unspecified: "tracking unknown",
};
const MANAGED_TEXT = "Set by your organisation";

const $ = (id) => document.getElementById(id);
/** The background's last answer to optionsState. */
let state = null;
let selectedChain = null;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function say(id, text, kind = "info") {
  const node = $(id);
  node.textContent = text;
  node.dataset.kind = kind;
}

const ask = (msg) => api.runtime.sendMessage(msg);

// --- reading and writing the user's values --------------------------------------------------

async function readUserChains() {
  const { userChains } = await api.storage.local.get("userChains");
  if (!Array.isArray(userChains)) return [];
  return userChains.filter((chain) => M.parseUserChains([chain]) !== null);
}

/** Saves the user's chains after the engine said it accepts them; throws its reason if not. */
async function writeUserChains(chains) {
  const kept = chains.filter((chain) => chain.rpcs.length > 0);
  const verdict = await ask({ type: M.OptionsToBackground.checkSettings, userChains: kept });
  if (!verdict?.ok) throw new Error(verdict?.error ?? "the extension did not answer");
  await api.storage.local.set({ userChains: kept });
}

// --- the chain id check ---------------------------------------------------------------------

/** Asks `url` for its chain id; resolves the number or throws a sentence saying why not. */
async function chainIdOf(url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CHECK_TIMEOUT_MS);
  let text;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      credentials: "omit",
      cache: "no-store",
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`it answered HTTP ${response.status}`);
    text = await response.text();
  } catch (error) {
    if (error?.name === "AbortError") {
      throw new Error(`it did not answer within ${CHECK_TIMEOUT_MS / 1000} s`);
    }
    if (error instanceof TypeError) throw new Error("it could not be reached");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  let body;
  try {
    if (text.length > CHECK_MAX_CHARS) throw new Error("too long");
    body = JSON.parse(text);
  } catch {
    throw new Error("its answer is not JSON-RPC");
  }
  if (body?.error) {
    throw new Error(`it answered an error: ${String(body.error.message ?? "").slice(0, 120)}`);
  }
  if (typeof body?.result !== "string" || !/^0x[0-9a-fA-F]{1,14}$/.test(body.result)) {
    throw new Error("its answer is not a chain id");
  }
  return Number.parseInt(body.result, 16);
}

/** Null when `url` serves `chainId`, else the sentence to show. */
async function chainIdProblem(url, chainId) {
  try {
    const served = await chainIdOf(url);
    return served === chainId ? null : `it serves chain ${served}, not chain ${chainId}`;
  } catch (error) {
    return error.message;
  }
}

const URL_RULE =
  "Use an https:// URL (http:// only for 127.0.0.1 or localhost) without a user name or " +
  "password, at most 512 characters.";

// --- rendering ------------------------------------------------------------------------------

const chainLabel = (chain) => `${chain.name} (${chain.chainId})`;
const chainById = (id) => state?.chains.find((c) => c.chainId === id);

async function refresh() {
  let next = null;
  // A worker that is (re)starting has no listener yet: ask again shortly.
  for (let attempt = 0; attempt < ASK_ATTEMPTS && !next; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, ASK_RETRY_MS));
    try {
      next = await ask({ type: M.OptionsToBackground.optionsState });
    } catch {
      next = null;
    }
  }
  if (!next?.ok) {
    $("engine-down").hidden = false;
    return;
  }
  state = next;
  $("engine-down").hidden = state.engine;
  $("managed-notice").hidden = Object.keys(state.managed).length === 0;
  renderMode();
  renderPrivacy();
  renderChains();
  renderEndpoints();
}

function renderMode() {
  const locked = state.locked.mode;
  for (const input of document.querySelectorAll('input[name="mode"]')) {
    input.checked = input.value === state.mode;
    input.disabled = locked;
  }
  $("mode-managed").hidden = !locked;
  const list = $("site-modes");
  list.replaceChildren();
  const sites = Object.entries(state.siteModes).sort(([a], [b]) => a.localeCompare(b));
  if (sites.length === 0) {
    list.append(el("li", { class: "muted small" }, "None: every site uses the mode above."));
  }
  for (const [site, mode] of sites) {
    const row = el("li", { class: "row", "data-site": site });
    row.append(el("span", { class: "url" }, site), el("span", { class: "tag" }, mode));
    if (state.locked.siteModes.includes(site)) {
      row.append(el("span", { class: "managed-tag" }, MANAGED_TEXT));
    } else {
      const remove = el("button", { type: "button", "aria-label": `Remove ${site}` }, "Remove");
      remove.addEventListener("click", () => setMode(null, site));
      row.append(remove);
    }
    list.append(row);
  }
}

async function setMode(mode, site) {
  const msg = { type: M.PopupToBackground.setMode, mode };
  if (site !== undefined) msg.site = site;
  await ask(msg);
  await refresh();
}

function renderPrivacy() {
  const locked = state.locked.allowedTracking;
  for (const input of document.querySelectorAll('input[name="tracking"]')) {
    input.checked = state.allowedTracking.includes(input.value);
    input.disabled = locked;
  }
  $("privacy-managed").hidden = !locked;
  $("privacy-none").hidden = state.allowedTracking.length > 0;
}

async function savePrivacy() {
  const allowedTracking = [...document.querySelectorAll('input[name="tracking"]:checked')].map(
    (input) => input.value,
  );
  const { engineSettings } = await api.storage.local.get("engineSettings");
  const next = { ...(isPlainObject(engineSettings) ? engineSettings : {}), allowedTracking };
  await api.storage.local.set({ engineSettings: next });
  await refresh();
}

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function renderChains() {
  const select = $("chain");
  const chains = [...state.chains].sort((a, b) => a.name.localeCompare(b.name));
  if (selectedChain === null || (selectedChain !== NEW_CHAIN && !chainById(selectedChain))) {
    const withUser = chains.find((c) => c.rpcs.some((r) => r.origin === "user"));
    selectedChain = withUser?.chainId ?? chainById(1)?.chainId ?? chains[0]?.chainId ?? NEW_CHAIN;
  }
  select.replaceChildren(
    ...chains.map((c) => el("option", { value: String(c.chainId) }, chainLabel(c))),
    el("option", { value: NEW_CHAIN }, "Another chain…"),
  );
  select.value = String(selectedChain);
}

function renderEndpoints() {
  const locked = state.locked.userEndpoints;
  $("user-endpoints-managed").hidden = !locked;
  $("bundled-off").hidden = !state.locked.bundledEndpoints;
  for (const node of $("add-endpoint").elements) node.disabled = locked;
  for (const node of $("import-chain").elements) node.disabled = locked;
  $("new-chain").hidden = selectedChain !== NEW_CHAIN;

  const list = $("endpoints");
  const bundledList = $("bundled-endpoints");
  list.replaceChildren();
  bundledList.replaceChildren();
  const chain = selectedChain === NEW_CHAIN ? null : chainById(selectedChain);
  const rpcs = chain?.rpcs ?? [];
  const own = rpcs.filter((r) => r.origin !== "bundled");
  const bundled = rpcs.filter((r) => r.origin === "bundled");
  const userUrls = own.filter((r) => r.origin === "user").map((r) => r.url);
  if (own.length === 0) {
    list.append(el("li", { class: "muted small" }, "No endpoints of your own for this chain yet."));
  }
  for (const rpc of own) list.append(endpointRow(rpc, userUrls));
  for (const rpc of bundled) bundledList.append(endpointRow(rpc, userUrls));
  $("bundled-count").textContent = String(bundled.length);
}

function endpointRow(rpc, userUrls) {
  const row = el("li", { class: "row", "data-url": rpc.url, "data-origin": rpc.origin });
  row.append(
    el("span", { class: "url" }, rpc.url),
    el("span", { class: "tag" }, TRACKING_LABEL[rpc.tracking] ?? rpc.tracking),
  );
  if (!state.allowedTracking.includes(rpc.tracking)) {
    row.append(el("span", { class: "unused" }, "not used: see Privacy"));
  }
  if (rpc.origin === "managed") {
    row.append(el("span", { class: "managed-tag" }, MANAGED_TEXT));
  } else if (rpc.origin === "user") {
    const index = userUrls.indexOf(rpc.url);
    const buttons = [
      ["up", "↑", `Move ${rpc.url} up`, index > 0],
      ["down", "↓", `Move ${rpc.url} down`, index < userUrls.length - 1],
      ["remove", "Remove", `Remove ${rpc.url}`, true],
    ];
    for (const [action, text, label, enabled] of buttons) {
      const button = el("button", { type: "button", class: action, "aria-label": label }, text);
      button.disabled = !enabled || state.locked.userEndpoints;
      button.addEventListener("click", () => editEndpoint(action, rpc.url));
      row.append(button);
    }
  }
  return row;
}

// --- editing endpoints ----------------------------------------------------------------------

async function editEndpoint(action, url) {
  const chains = await readUserChains();
  const chain = chains.find((c) => c.chainId === selectedChain);
  if (!chain) return;
  const i = chain.rpcs.findIndex((r) => r.url === url);
  if (i < 0) return;
  if (action === "remove") {
    chain.rpcs.splice(i, 1);
  } else {
    const j = action === "up" ? i - 1 : i + 1;
    if (j < 0 || j >= chain.rpcs.length) return;
    [chain.rpcs[i], chain.rpcs[j]] = [chain.rpcs[j], chain.rpcs[i]];
  }
  try {
    await writeUserChains(chains);
    say("endpoint-status", action === "remove" ? `Removed ${url}.` : "Order saved.", "ok");
  } catch (error) {
    say("endpoint-status", `Not saved: ${error.message}`, "error");
  }
  await refresh();
}

/** The chain the add form is for: an existing one, or the new one its fields describe. */
function formChain() {
  if (selectedChain !== NEW_CHAIN) {
    const chain = chainById(selectedChain);
    return chain
      ? { chainId: chain.chainId, name: chain.name, nativeCurrency: chain.nativeCurrency }
      : null;
  }
  const id = $("new-chain-id").value.trim();
  const name = $("new-chain-name").value.trim();
  const symbol = $("new-chain-symbol").value.trim();
  const chainId = /^[0-9]{1,16}$/.test(id) ? Number(id) : Number.NaN;
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new Error("Enter the chain id.");
  if (chainById(chainId)) throw new Error(`Chain ${chainId} is in the list: choose it above.`);
  if (!name) throw new Error("Enter the chain's name.");
  if (!symbol) throw new Error("Enter the currency symbol (e.g. ETH).");
  return { chainId, name, nativeCurrency: { name: symbol, symbol, decimals: 18 } };
}

async function addEndpoint(event) {
  event.preventDefault();
  const url = $("endpoint-url").value.trim();
  const tracking = $("endpoint-tracking").value;
  let target;
  try {
    target = formChain();
  } catch (error) {
    say("endpoint-status", error.message, "error");
    return;
  }
  if (!target) return;
  if (!M.isEndpointUrl(url)) {
    say("endpoint-status", URL_RULE, "error");
    return;
  }
  if (!M.TrackingPolicies.includes(tracking)) {
    say("endpoint-status", "Choose what this endpoint records (tracking).", "error");
    return;
  }
  const chains = await readUserChains();
  let chain = chains.find((c) => c.chainId === target.chainId);
  if (chain?.rpcs.some((r) => r.url === url)) {
    say("endpoint-status", `${url} is already in your list for ${target.name}.`, "error");
    return;
  }
  say("endpoint-status", `Checking that ${url} serves chain ${target.chainId}…`);
  const problem = await chainIdProblem(url, target.chainId);
  if (problem) {
    say("endpoint-status", `Not saved: ${problem}.`, "error");
    return;
  }
  if (!chain) {
    chain = { ...target, blockExplorerUrls: [], rpcs: [] };
    chains.push(chain);
  }
  chain.rpcs.push({ url, tracking });
  try {
    await writeUserChains(chains);
  } catch (error) {
    say("endpoint-status", `Not saved: ${error.message}`, "error");
    return;
  }
  selectedChain = target.chainId;
  $("endpoint-url").value = "";
  $("endpoint-tracking").value = "";
  say("endpoint-status", `Added ${url}: it serves chain ${target.chainId}.`, "ok");
  await refresh();
}

// --- importing an ethereum-lists chain file -------------------------------------------------

async function readJsonFile(input) {
  const file = input.files?.[0];
  if (!file) throw new Error("Choose a file first.");
  if (file.size > M.Limits.importJsonChars) throw new Error("The file is too large.");
  try {
    return JSON.parse(await file.text());
  } catch {
    throw new Error("The file is not JSON.");
  }
}

/**
 * An ethereum-lists chain (`_data/chains/eip155-N.json`): `rpc` holds URL strings (chainlist's
 * `{url, tracking}` objects are read too). URLs that need an API key (`${...}`), websockets
 * and anything the engine would refuse are skipped with their reason.
 */
function chainFromFile(json, defaultTracking) {
  if (!isPlainObject(json)) throw new Error("This is not a chain file.");
  const { chainId, name, shortName, nativeCurrency, rpc, explorers } = json;
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new Error("It has no valid chainId.");
  if (typeof name !== "string" || !name.trim()) throw new Error("It has no name.");
  if (!Array.isArray(rpc)) throw new Error("It has no rpc list.");
  const urls = [];
  const skipped = [];
  for (const entry of rpc.slice(0, M.Limits.rpcsPerChain)) {
    const url = typeof entry === "string" ? entry : entry?.url;
    const tracking = M.TrackingPolicies.includes(entry?.tracking)
      ? entry.tracking
      : defaultTracking;
    if (typeof url !== "string") continue;
    if (url.includes("${")) skipped.push(`${url} (needs an API key)`);
    else if (!M.isEndpointUrl(url)) skipped.push(`${url} (not https)`);
    else if (!urls.some((u) => u.url === url)) urls.push({ url, tracking });
  }
  const chain = {
    chainId,
    name: name.trim().slice(0, M.Limits.chainNameChars),
    nativeCurrency,
    blockExplorerUrls: Array.isArray(explorers)
      ? explorers
          .map((e) => e?.url)
          .filter((u) => typeof u === "string" && u.startsWith("https://"))
      : [],
    rpcs: [],
  };
  if (typeof shortName === "string") chain.shortName = shortName.slice(0, M.Limits.chainNameChars);
  if (M.parseUserChains([chain]) === null) {
    throw new Error("Its name, nativeCurrency or explorers are not valid.");
  }
  return { chain, urls, skipped };
}

async function importChainFile(event) {
  event.preventDefault();
  let parsed;
  try {
    parsed = chainFromFile(await readJsonFile($("chain-file")), $("chain-file-tracking").value);
  } catch (error) {
    say("chain-file-status", error.message, "error");
    return;
  }
  const { chain, urls, skipped } = parsed;
  if (urls.length === 0) {
    say(
      "chain-file-status",
      `No usable endpoint in the file. Skipped: ${skipped.join(", ")}`,
      "error",
    );
    return;
  }
  say("chain-file-status", `Checking ${urls.length} endpoint(s) of ${chainLabel(chain)}…`);
  const problems = await Promise.all(urls.map(({ url }) => chainIdProblem(url, chain.chainId)));
  const passed = urls.filter((_, i) => problems[i] === null);
  urls.forEach(({ url }, i) => {
    if (problems[i]) skipped.push(`${url} (${problems[i]})`);
  });
  const chains = await readUserChains();
  let target = chains.find((c) => c.chainId === chain.chainId);
  if (!target) {
    target = chain;
    chains.push(target);
  }
  const added = passed.filter(({ url }) => !target.rpcs.some((r) => r.url === url));
  target.rpcs.push(...added);
  const skippedText = skipped.length ? ` Skipped: ${skipped.join("; ")}.` : "";
  if (added.length === 0) {
    say("chain-file-status", `Nothing imported.${skippedText}`, "error");
    return;
  }
  try {
    await writeUserChains(chains);
  } catch (error) {
    say("chain-file-status", `Not saved: ${error.message}`, "error");
    return;
  }
  selectedChain = chain.chainId;
  const unused = added.filter(({ tracking }) => !state?.allowedTracking.includes(tracking));
  const privacyText = unused.length
    ? ` ${unused.length} of them will be used only if you allow their tracking policy under Privacy.`
    : "";
  say(
    "chain-file-status",
    `Imported ${added.length} endpoint(s) for ${chainLabel(chain)}.${privacyText}${skippedText}`,
    "ok",
  );
  await refresh();
}

// --- the request log ------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });

async function renderLog() {
  let res;
  try {
    res = await ask({ type: M.OptionsToBackground.requestLog });
  } catch {
    res = null;
  }
  const entries = res?.ok ? res.entries : [];
  const rows = entries.map((e) => {
    const row = el("tr", { "data-why": e.why });
    const chain = e.chainId === null ? "" : (chainById(e.chainId)?.name ?? String(e.chainId));
    row.append(
      el("td", { class: "when" }, timeFormat.format(new Date(e.at))),
      el("td", { class: "url" }, e.url),
      el("td", {}, chain),
      el("td", {}, e.method),
      el("td", { class: "why" }, e.why),
      el("td", {}, `${e.result} · ${e.ms} ms`),
    );
    return row;
  });
  $("log-rows").replaceChildren(...rows);
  $("log-empty").hidden = rows.length > 0;
}

// --- export and import of all settings ------------------------------------------------------

async function exportSettings() {
  const stored = await api.storage.local.get(SETTINGS_KEYS);
  const settings = {};
  for (const key of SETTINGS_KEYS) if (stored[key] !== undefined) settings[key] = stored[key];
  const file = {
    format: M.SETTINGS_FORMAT,
    version: 1,
    exportedAt: new Date().toISOString(),
    settings,
  };
  const blob = new Blob([`${JSON.stringify(file, null, 2)}\n`], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: "rpc-lifeline-settings.json" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  say("settings-status", "Settings exported.", "ok");
}

async function importSettings() {
  let file;
  try {
    file = M.parseSettingsFile(await readJsonFile($("settings-file")));
  } catch (error) {
    say("settings-status", error.message, "error");
    return;
  }
  if (!file) {
    say("settings-status", "This is not an RPC Lifeline settings file, or it is damaged.", "error");
    return;
  }
  const { settings } = file;
  const check = { type: M.OptionsToBackground.checkSettings };
  if (settings.engineSettings) check.engineSettings = settings.engineSettings;
  if (settings.userChains) check.userChains = settings.userChains;
  const verdict = await ask(check);
  if (!verdict?.ok) {
    say("settings-status", `Not imported: ${verdict?.error ?? "no answer"}`, "error");
    return;
  }
  // A restore: what the file does not set goes back to its default.
  const absent = SETTINGS_KEYS.filter((key) => settings[key] === undefined);
  await api.storage.local.remove(absent);
  await api.storage.local.set(settings);
  $("settings-file").value = "";
  say("settings-status", "Settings imported.", "ok");
  selectedChain = null;
  await refresh();
}

// --- start ----------------------------------------------------------------------------------

function main() {
  $("mode").addEventListener("change", (event) => {
    if (event.target.name === "mode") setMode(event.target.value);
  });
  $("privacy").addEventListener("change", savePrivacy);
  $("chain").addEventListener("change", (event) => {
    const value = event.target.value;
    selectedChain = value === NEW_CHAIN ? NEW_CHAIN : Number(value);
    say("endpoint-status", "");
    renderEndpoints();
  });
  $("add-endpoint").addEventListener("submit", addEndpoint);
  $("import-chain").addEventListener("submit", importChainFile);
  $("export-settings").addEventListener("click", exportSettings);
  $("settings-file").addEventListener("change", importSettings);
  $("clear-log").addEventListener("click", async () => {
    await ask({ type: M.OptionsToBackground.clearRequestLog });
    await renderLog();
  });
  let logTimer;
  api.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && "requestLog" in changes) {
      clearTimeout(logTimer);
      logTimer = setTimeout(renderLog, 200);
    }
    if (area === "local" && SETTINGS_KEYS.some((k) => k in changes)) refresh();
    // The background reads the new policy first.
    if (area === "managed") setTimeout(refresh, MANAGED_SETTLE_MS);
  });
  refresh().then(renderLog);
}

main();
