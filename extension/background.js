// RPC Lifeline's background service worker (an ES module): hosts the engine (Rust → WASM),
// relays between it and the tabs' content scripts, keeps settings, and persists health so a
// stopped worker forgets nothing. Every handler fails open: on any error a fallback request
// is answered served:false and the page keeps its wallet's own answer.
import { HOP_DEADLINES } from "./contract.js";
import "./messages.js";
import init, { Lifeline } from "./pkg/rpc_lifeline.js";
import {
  effectiveSettings,
  loadBundled,
  loadManaged,
  loadUserChains,
  loadUserSettings,
  lockedBy,
  mergeChains,
} from "./registry.js";
import { createRequestLog } from "./request-log.js";

const M = globalThis.LifelineMessages;
const api = globalThis.browser ?? globalThis.chrome;

/** Longest a fallback read may take here: the engine's fallbackBudgetMs (4 s) plus a margin. */
const SERVE_DEADLINE_MS = HOP_DEADLINES.workerMs;
/** Tick cadence while tabs are connected (the engine's tickIntervalMs default). */
const TICK_INTERVAL_MS = 250;
/** Health is written to storage at most this often, and only when something changed. */
const PERSIST_INTERVAL_MS = 1000;
/** Health saved in storage.local (no storage.session) is trusted only this long. */
const SAVED_STATE_MAX_AGE_MS = 10 * 60_000;
/** Page request ids remembered per port between requestStarted and requestFinished. */
const MAX_IDS_PER_PORT = 1024;
const STATE_KEY = "lifelineState";
const ENGINE_SETTING_KEYS = ["mode", "siteModes", "engineSettings"];
/** Keys in storage.local whose change rebuilds the registry. */
const REGISTRY_KEYS = ["userChains"];
const TOOLBAR = {
  healthy: { text: "", color: "#15803d" },
  degraded: { text: "!", color: "#b45309" },
  failing: { text: "×", color: "#b91c1c" },
  rerouting: { text: "↺", color: "#1d4ed8" },
};
const RANK = { healthy: 0, degraded: 1, rerouting: 2, failing: 3 };

/** @type {Lifeline | null} */
let lifeline = null;
let settings = { mode: "protect", siteModes: {}, engineSettings: {} };
/** The registry the engine was last built with, as JSON. */
let registryJson = "";
/** The administrator's policy (storage.managed), parsed; its values win over the user's. */
let managed = { policy: {}, ignored: [] };
const chainNames = new Map();
// Installed before the engine can send anything, so every request to an endpoint is logged.
const requestLog = createRequestLog({ storage: api.storage.local });
requestLog.install();
/**
 * view id → { browserTab, frameKey?, ports: Set<PortContext>, origin?, modeSent?, policies,
 * badges, fixes }, where the three maps hold the engine's latest action per "wallet\nchainId",
 * replayed to new ports. A view is what the engine calls a tab: a browser tab's top frame
 * (its id is the tab's) and, apart from it, each other origin framed in that tab, so a
 * cross-origin frame's reports, verdicts, badge and fix never reach the top frame's.
 */
const tabs = new Map();
/** "browserTab\nframe origin" → the view id of a cross-origin frame (ids from FRAME_VIEW_BASE). */
const frameViews = new Map();
const FRAME_VIEW_BASE = 2 ** 31;
const MAX_VIEW_ID = 2 ** 32 - 1;
const MAX_FRAME_VIEWS = 8;
let nextFrameView = FRAME_VIEW_BASE;
// Engine request ids must be unique per tab across frames and worker restarts.
let nextRequestId = Date.now() * 1000;

// --- start-up: no top-level await (Chromium kills a worker that has one) ----------------------

const ready = start().catch((error) => {
  lifeline = null;
  console.warn("RPC Lifeline: engine unavailable, pages talk to their wallets directly.", error);
});

async function start() {
  await init();
  managed = await loadManaged(api);
  const [stored, chains, saved] = await Promise.all([
    loadSettings(),
    loadChains(),
    loadSaved(),
    requestLog.load(),
  ]);
  settings = stored;
  for (const chain of chains) chainNames.set(chain.chainId, chain.name);
  registryJson = JSON.stringify(chains);
  lifeline = createEngine(chains, saved);
  await forgetClosedTabs();
  scheduleTick();
}

function createEngine(chains, saved) {
  if (saved) {
    try {
      const engine = Lifeline.restore(engineSettings(), chains, saved.engine);
      restoreTabs(saved.tabs);
      if (Number.isSafeInteger(saved.nextFrameView) && saved.nextFrameView <= MAX_VIEW_ID) {
        nextFrameView = Math.max(nextFrameView, saved.nextFrameView);
      }
      if (Number.isSafeInteger(saved.nextRequestId) && saved.nextRequestId > nextRequestId) {
        nextRequestId = saved.nextRequestId;
      }
      return engine;
    } catch (error) {
      console.warn("RPC Lifeline: saved state not usable, starting fresh.", error);
      tabs.clear();
      frameViews.clear();
    }
  }
  try {
    return new Lifeline(engineSettings(), chains);
  } catch (error) {
    // Settings the engine rejects must not cost the user the extension.
    console.warn("RPC Lifeline: stored engine settings rejected, using defaults.", error);
    const fallback = { mode: settings.mode };
    if (managed.policy.allowedTracking) fallback.allowedTracking = managed.policy.allowedTracking;
    return new Lifeline(fallback, chains);
  }
}

/** The registry the engine runs on: managed, user and bundled endpoints (see registry.js). */
async function loadChains() {
  return (await loadRegistry()).chains;
}

async function loadRegistry() {
  const [bundled, user] = await Promise.all([loadBundled(api), loadUserChains(api)]);
  return mergeChains({ bundled, user, policy: managed.policy, accepts: engineAccepts });
}

/** Whether the engine would accept these settings and chains: null, or its reason not to. */
function engineRefusal(engineSettings, chains) {
  try {
    new Lifeline(engineSettings, chains).free();
    return null;
  } catch (error) {
    return String(error?.message ?? error).slice(0, 300);
  }
}

const engineAccepts = (chain) => engineRefusal(undefined, [chain]) === null;

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

async function loadSettings() {
  return effectiveSettings(await loadUserSettings(api), managed.policy);
}

function engineSettings() {
  return { ...settings.engineSettings, mode: settings.mode };
}

const stateArea = () => api.storage.session ?? api.storage.local;

async function loadSaved() {
  try {
    const stored = await stateArea().get(STATE_KEY);
    const saved = stored?.[STATE_KEY];
    if (!isPlainObject(saved) || typeof saved.engine !== "string") return null;
    const age = Date.now() - saved.savedAt;
    if (!api.storage.session && !(age >= 0 && age < SAVED_STATE_MAX_AGE_MS)) return null;
    return saved;
  } catch {
    return null;
  }
}

/** Tabs closed while the worker was stopped are forgotten now. */
async function forgetClosedTabs() {
  if (!tabs.size) return;
  try {
    const open = new Set((await api.tabs.query({})).map((t) => t.id));
    const gone = new Set([...tabs.values()].map((e) => e.browserTab).filter((t) => !open.has(t)));
    for (const tab of gone) closeBrowserTab(tab);
  } catch {
    // no tabs API: they are forgotten when closed instead
  }
}

// --- per-tab caches -------------------------------------------------------------------------

function tabEntry(tab, browserTab = tab) {
  let entry = tabs.get(tab);
  if (!entry) {
    entry = {
      browserTab,
      frameKey: undefined,
      ports: new Set(),
      origin: undefined,
      modeSent: undefined,
      policies: new Map(),
      badges: new Map(),
      fixes: new Map(),
      // One budget for every frame of the view: many frames of one origin cannot multiply it.
      limiter: M.createRateLimiter(M.VIEW_RATE),
    };
    tabs.set(tab, entry);
  }
  return entry;
}

const keyOf = (action) => `${action.wallet}\n${action.chainId}`;

function serializeTabs() {
  return [...tabs].map(([tab, e]) => ({
    tab,
    browserTab: e.browserTab,
    frameKey: e.frameKey,
    origin: e.origin,
    policies: [...e.policies.values()],
    badges: [...e.badges.values()],
    fixes: [...e.fixes.values()],
  }));
}

function restoreTabs(saved) {
  if (!Array.isArray(saved)) return;
  for (const t of saved) {
    if (!Number.isSafeInteger(t?.tab)) continue;
    const browserTab = Number.isSafeInteger(t.browserTab) ? t.browserTab : t.tab;
    const entry = tabEntry(t.tab, browserTab);
    if (typeof t.origin === "string") entry.origin = t.origin;
    if (typeof t.frameKey === "string" && t.tab !== browserTab) {
      entry.frameKey = t.frameKey;
      frameViews.set(t.frameKey, t.tab);
    }
    for (const [list, map] of [
      [t.policies, entry.policies],
      [t.badges, entry.badges],
      [t.fixes, entry.fixes],
    ]) {
      if (Array.isArray(list)) for (const a of list) map.set(keyOf(a), a);
    }
  }
}

function closeTab(tab) {
  const entry = tabs.get(tab);
  if (entry?.frameKey) frameViews.delete(entry.frameKey);
  tabs.delete(tab);
  if (lifeline) runActions(lifeline.handle({ type: "tabClosed", tab }, Date.now()));
}

/** Closes every view of a browser tab: its top frame's and its cross-origin frames'. */
function closeBrowserTab(browserTab) {
  for (const [view, e] of [...tabs]) if (e.browserTab === browserTab) closeTab(view);
}

// --- engine actions -------------------------------------------------------------------------

function runActions(actions) {
  if (!Array.isArray(actions) || actions.length === 0) return;
  const toolbarTabs = new Set();
  for (const action of actions) {
    try {
      runAction(action, toolbarTabs);
    } catch (error) {
      console.warn("RPC Lifeline: action failed", action?.type, error);
    }
  }
  for (const tab of toolbarTabs) updateToolbar(tab);
  markDirty();
  scheduleTick();
}

function runAction(action, toolbarTabs) {
  switch (action.type) {
    case "policy":
      tabEntry(action.tab).policies.set(keyOf(action), action);
      postToTab(action.tab, policyMessage(action));
      break;
    case "badge":
      tabEntry(action.tab).badges.set(keyOf(action), action);
      postToTab(action.tab, badgeMessage(action));
      toolbarTabs.add(action.tab);
      break;
    case "suggestFix":
      tabEntry(action.tab).fixes.set(keyOf(action), action);
      postToTab(action.tab, fixMessage(action));
      break;
    case "probe":
      requestLog.noteProbe(action);
      runProbe(action);
      break;
    default:
      break;
  }
}

async function runProbe(action) {
  try {
    runActions(await lifeline.runProbe(BigInt(action.probeId)));
  } catch {
    // an unanswered probe is the engine's to time out
  }
}

const policyMessage = (a) => ({
  type: M.BackgroundToContent.policy,
  wallet: a.wallet,
  chainId: a.chainId,
  policy: a.policy,
});

function badgeMessage(a) {
  const msg = {
    type: M.BackgroundToContent.badge,
    wallet: a.wallet,
    chainId: a.chainId,
    state: a.state,
    sentence: a.sentence,
    mode: modeOfTab(a.tab),
  };
  const chainName = chainNames.get(a.chainId);
  if (chainName) msg.chainName = chainName;
  return msg;
}

const fixMessage = (a) => ({
  type: M.BackgroundToContent.suggestFix,
  wallet: a.wallet,
  chainId: a.chainId,
  params: a.params,
});

function modeOfTab(tab) {
  const origin = tabs.get(tab)?.origin;
  return (origin && settings.siteModes[origin]) || settings.mode;
}

function postToTab(tab, msg) {
  const entry = tabs.get(tab);
  if (!entry) return;
  for (const ctx of entry.ports) safePost(ctx.port, msg);
}

function safePost(port, msg) {
  try {
    port.postMessage(msg);
  } catch {
    // the port is closing; its onDisconnect cleans up
  }
}

/** Everything the engine last said about this tab, for a frame that just connected. */
function replay(ctx) {
  const entry = tabs.get(ctx.tab);
  if (!entry) return;
  for (const a of entry.policies.values()) safePost(ctx.port, policyMessage(a));
  for (const a of entry.badges.values()) safePost(ctx.port, badgeMessage(a));
  for (const a of entry.fixes.values()) safePost(ctx.port, fixMessage(a));
}

/** The toolbar shows the top frame's verdicts only: a framed origin cannot paint it. */
function updateToolbar(tab) {
  const entry = tabs.get(tab);
  if (!entry || entry.browserTab !== tab) return;
  let worst = "healthy";
  for (const b of entry?.badges.values() ?? []) if (RANK[b.state] > RANK[worst]) worst = b.state;
  const look = TOOLBAR[worst];
  try {
    api.action.setBadgeText({ tabId: tab, text: look.text })?.catch?.(() => {});
    api.action.setBadgeBackgroundColor({ tabId: tab, color: look.color })?.catch?.(() => {});
  } catch {
    // the tab is gone
  }
}

/** The engine knows a tab only once it saw a request: send its per-site mode after that. */
function syncTabMode(tab) {
  const entry = tabs.get(tab);
  if (!entry || !lifeline) return;
  const mode = (entry.origin && settings.siteModes[entry.origin]) || null;
  if (entry.modeSent === mode) return;
  entry.modeSent = mode;
  runActions(lifeline.handle({ type: "tabMode", tab, mode }, Date.now()));
}

// --- ticks and persistence ------------------------------------------------------------------

let tickTimer;
let tickDue = Infinity;

function scheduleTick() {
  if (!lifeline) return;
  const now = Date.now();
  let due = Infinity;
  try {
    const next = lifeline.nextTimeout();
    if (typeof next === "number" && Number.isFinite(next)) due = next;
  } catch {
    // treat as nothing pending
  }
  const connected = [...tabs.values()].some((e) => e.ports.size > 0);
  if (connected) due = Math.min(due, now + TICK_INTERVAL_MS);
  if (!Number.isFinite(due)) return;
  if (tickTimer !== undefined && tickDue <= due) return;
  clearTimeout(tickTimer);
  tickDue = due;
  tickTimer = setTimeout(onTick, Math.max(0, due - now));
}

function onTick() {
  tickTimer = undefined;
  tickDue = Infinity;
  guard(() => runActions(lifeline?.handle({ type: "tick" }, Date.now())));
  scheduleTick();
}

let dirty = false;
let persistTimer;

function markDirty() {
  dirty = true;
  if (persistTimer === undefined) persistTimer = setTimeout(persist, PERSIST_INTERVAL_MS);
}

async function persist() {
  persistTimer = undefined;
  if (!dirty || !lifeline) return;
  dirty = false;
  try {
    const saved = {
      savedAt: Date.now(),
      engine: lifeline.exportState(),
      tabs: serializeTabs(),
      nextRequestId,
      nextFrameView,
    };
    await stateArea().set({ [STATE_KEY]: saved });
  } catch (error) {
    console.warn("RPC Lifeline: could not save state", error);
  }
}

// --- content script ports -------------------------------------------------------------------

api.runtime.onConnect.addListener((port) => guard(() => onConnect(port)));

function originOf(url) {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

function onConnect(port) {
  if (port.name !== M.PORT_NAME) return;
  const sender = port.sender;
  // The tab comes from the browser's record of who connected, never from a message.
  const tab = sender?.tab?.id;
  if (sender?.id !== api.runtime.id || !Number.isSafeInteger(tab) || tab < 0) {
    port.disconnect();
    return;
  }
  const frameId = sender.frameId ?? 0;
  const frameKey = frameKeyOf(tab, frameId, sender);
  const view = viewOf(tab, frameKey);
  const entry = tabEntry(view, tab);
  const ctx = { port, tab: view, frameId, limiter: entry.limiter, requestIds: new Map() };
  // The site (for its per-site mode) is the top frame's, in every frame of the tab.
  const origin = frameId === 0 ? originOf(sender.url) : originOf(sender.tab?.url);
  if (origin && origin !== entry.origin) {
    entry.origin = origin;
    entry.modeSent = undefined;
  }
  if (view !== tab) entry.frameKey = frameKey;
  entry.ports.add(ctx);
  port.onMessage.addListener((raw) => guard(() => onPortMessage(ctx, raw)));
  port.onDisconnect.addListener(() => {
    void api.runtime.lastError;
    entry.ports.delete(ctx);
    // A cross-origin frame's view lives as long as one of its frames is connected.
    if (view !== tab && entry.ports.size === 0 && tabs.get(view) === entry) {
      ready.then(() => guard(() => entry.ports.size === 0 && closeTab(view)));
    }
  });
  ready.then(() => guard(() => replay(ctx)));
  scheduleTick();
}

/**
 * The engine view a frame reports to, from the browser's record of who connected (never from
 * a message): the tab's own for its top frame and same-origin frames, one per other origin.
 */
function viewOf(tab, key) {
  if (key === undefined) return tab;
  let view = frameViews.get(key);
  if (view === undefined) {
    view = nextFrameView;
    nextFrameView = nextFrameView >= MAX_VIEW_ID ? FRAME_VIEW_BASE : nextFrameView + 1;
    frameViews.set(key, view);
  }
  return view;
}

/**
 * undefined for the top frame and frames of its origin; else "tab\norigin", an opaque origin
 * (a sandboxed frame, whatever its URL) being one per frame. A tab gets MAX_FRAME_VIEWS of
 * these; frames past that share one more view, so frames cannot multiply a tab's share of
 * fallbacks and messages without bound.
 */
function frameKeyOf(tab, frameId, sender) {
  if (frameId === 0) return undefined;
  const origin =
    sender.origin === "null"
      ? undefined
      : typeof sender.origin === "string"
        ? sender.origin
        : originOf(sender.url);
  if (origin !== undefined && origin === originOf(sender.tab?.url)) return undefined;
  const key = `${tab}\n${origin ?? `opaque frame ${frameId}`}`;
  if (frameViews.has(key) || frameViewsOf(tab) < MAX_FRAME_VIEWS) return key;
  return `${tab}\nmore frames`;
}

function frameViewsOf(tab) {
  let count = 0;
  for (const key of frameViews.keys()) if (key.startsWith(`${tab}\n`)) count += 1;
  return count;
}

function onPortMessage(ctx, raw) {
  if (!ctx.limiter.take(Date.now())) {
    if (raw?.type === M.ContentToBackground.fallback && Number.isSafeInteger(raw.id)) {
      safePost(ctx.port, { type: M.BackgroundToContent.fallbackResult, id: raw.id, served: false });
    }
    return;
  }
  const msg = M.parseContentMessage(raw);
  if (!msg) return;
  ready
    .then(() => handleContentMessage(ctx, msg))
    .catch((error) => {
      console.warn("RPC Lifeline: message failed", msg.type, error);
      if (msg.type === M.ContentToBackground.fallback) {
        safePost(ctx.port, {
          type: M.BackgroundToContent.fallbackResult,
          id: msg.id,
          served: false,
        });
      }
    });
}

function engineRequestId(ctx, pageId, create) {
  let id = ctx.requestIds.get(pageId);
  if (id === undefined && create) {
    id = nextRequestId++;
    if (ctx.requestIds.size >= MAX_IDS_PER_PORT) {
      ctx.requestIds.delete(ctx.requestIds.keys().next().value);
    }
    ctx.requestIds.set(pageId, id);
  }
  return id;
}

async function handleContentMessage(ctx, msg) {
  if (msg.type === M.ContentToBackground.fallback) {
    await serveFallback(ctx, msg);
    return;
  }
  if (!lifeline) return;
  const { tab } = ctx;
  if (msg.type === M.ContentToBackground.walletGenesis) {
    const { wallet, chainId, hash } = msg;
    runActions(lifeline.handle({ type: "walletGenesis", tab, wallet, chainId, hash }, Date.now()));
    markDirty();
    return;
  }
  const base = { tab, wallet: msg.wallet, chainId: msg.chainId, method: msg.method };
  if (msg.type === M.ContentToBackground.requestStarted) {
    const requestId = engineRequestId(ctx, msg.requestId, true);
    runActions(lifeline.handle({ type: "requestStarted", ...base, requestId }, Date.now()));
  } else {
    const requestId = engineRequestId(ctx, msg.requestId, true);
    ctx.requestIds.delete(msg.requestId);
    const event = {
      type: "requestFinished",
      ...base,
      requestId,
      latencyMs: Math.round(msg.latencyMs),
      outcome: msg.outcome,
    };
    if (msg.blockNumber !== undefined) event.blockNumber = msg.blockNumber;
    runActions(lifeline.handle(event, Date.now()));
  }
  syncTabMode(tab);
  markDirty();
}

/** A served answer the content script would refuse as too big is not served at all. */
function fitsPage(response) {
  try {
    return JSON.stringify(response).length < M.Limits.resultJsonChars - 1024;
  } catch {
    return false;
  }
}

async function serveFallback(ctx, msg) {
  const reply = (fields) =>
    safePost(ctx.port, { type: M.BackgroundToContent.fallbackResult, id: msg.id, ...fields });
  if (!lifeline) {
    reply({ served: false, reason: "engine unavailable" });
    return;
  }
  const request = {
    tab: ctx.tab,
    wallet: msg.wallet,
    chainId: msg.chainId,
    method: msg.method,
    params: msg.params,
    reason: msg.reason,
  };
  if (msg.walletError) request.walletError = msg.walletError;
  // Which read a hedge races, so the engine can hold it against the wallet sooner.
  const requestId =
    msg.requestId === undefined ? undefined : engineRequestId(ctx, msg.requestId, false);
  if (requestId !== undefined) request.requestId = requestId;
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ served: false, reason: "too slow" }), SERVE_DEADLINE_MS);
  });
  let result;
  const logged = requestLog.serving(request);
  try {
    const serving = lifeline.serveRead(request);
    serving
      .then((r) => runActions(r?.actions))
      .catch(() => {})
      .finally(logged);
    result = await Promise.race([serving, deadline]);
  } catch (error) {
    logged();
    result = { served: false, reason: String(error?.message ?? "engine error") };
  } finally {
    clearTimeout(timer);
  }
  if (result?.served === true && isPlainObject(result.response) && fitsPage(result.response)) {
    reply({ served: true, response: result.response });
  } else {
    reply({ served: false, reason: String(result?.reason ?? "not served").slice(0, 200) });
  }
  markDirty();
}

// --- tabs, settings, popup ------------------------------------------------------------------

api.tabs?.onRemoved?.addListener((tab) => ready.then(() => guard(() => closeBrowserTab(tab))));

api.storage.onChanged.addListener((changes, area) => {
  const policyChanged = area === "managed";
  const registryChanged = area === "local" && REGISTRY_KEYS.some((k) => k in changes);
  const settingsChanged = area === "local" && ENGINE_SETTING_KEYS.some((k) => k in changes);
  if (!policyChanged && !registryChanged && !settingsChanged) return;
  ready.then(async () => {
    if (policyChanged) managed = await loadManaged(api);
    if (policyChanged || registryChanged) await applyRegistry();
    if (policyChanged || settingsChanged) await applySettings();
  });
});

/** New endpoints: rebuild the engine around its current health. */
async function applyRegistry() {
  try {
    const chains = await loadChains();
    // A rebuild drops probes in flight: skip it when nothing changed (e.g. a change made
    // while the worker was starting, which start() already read).
    const json = JSON.stringify(chains);
    if (json === registryJson && lifeline) return;
    registryJson = json;
    for (const chain of chains) chainNames.set(chain.chainId, chain.name);
    const engine = lifeline?.exportState();
    lifeline = createEngine(chains, engine ? { engine, tabs: null } : null);
  } catch (error) {
    console.warn("RPC Lifeline: new endpoints not applied", error);
  }
}

async function applySettings() {
  try {
    settings = await loadSettings();
    if (!lifeline) return;
    runActions(
      lifeline.handle({ type: "settingsChanged", settings: engineSettings() }, Date.now()),
    );
    for (const [tab, entry] of tabs) {
      entry.modeSent = undefined;
      syncTabMode(tab);
      for (const ctx of entry.ports) replay(ctx);
    }
  } catch (error) {
    console.warn("RPC Lifeline: settings not applied", error);
  }
}

api.runtime.onMessage.addListener((raw, sender, sendResponse) => {
  // Only the extension's own pages (popup, options, also when opened in a tab), never a
  // content script: those carry the page's URL.
  const ownPage =
    sender?.id === api.runtime.id &&
    typeof sender.url === "string" &&
    sender.url.startsWith(api.runtime.getURL(""));
  if (!ownPage) return false;
  const popup = M.parsePopupRequest(raw);
  const msg = popup ?? M.parseOptionsRequest(raw);
  if (!msg) return false;
  ready
    .then(() => (popup ? handlePopup(msg) : handleOptions(msg)))
    .then(sendResponse, (error) => sendResponse({ ok: false, error: String(error?.message) }));
  return true;
});

async function handlePopup(msg) {
  if (msg.type === M.PopupToBackground.popupStatus) {
    const site = tabs.get(msg.tab)?.origin ?? null;
    let status = null;
    try {
      status = lifeline?.status(msg.tab) ?? null;
    } catch {
      status = null;
    }
    return {
      ok: true,
      engine: lifeline !== null,
      status,
      site,
      globalMode: settings.mode,
      siteMode: (site && settings.siteModes[site]) || null,
      modeManaged: isModeManaged(site ?? undefined),
      fixOffered: (tabs.get(msg.tab)?.fixes.size ?? 0) > 0,
      // What the page's frames sent past their budget, and how many other origins it frames.
      ignoredMessages: tabs.get(msg.tab)?.limiter.dropped ?? 0,
      frameViews: frameViewsOf(msg.tab),
    };
  }
  if (msg.type === M.PopupToBackground.addChain) {
    // The tab asks its wallet with the fix it already holds; the popup sends no parameters.
    const offered = (tabs.get(msg.tab)?.fixes.size ?? 0) > 0;
    if (offered) postToTab(msg.tab, { type: M.BackgroundToContent.askAddChain });
    return { ok: offered };
  }
  if (isModeManaged(msg.site)) return { ok: false, error: "set by your organisation" };
  if (msg.site !== undefined) {
    const { siteModes } = await loadUserSettings(api);
    if (msg.mode === null) delete siteModes[msg.site];
    else siteModes[msg.site] = msg.mode;
    await api.storage.local.set({ siteModes });
  } else {
    await api.storage.local.set({ mode: msg.mode });
  }
  return { ok: true };
}

/** Whether the administrator fixed the mode (for `site`, when given). */
function isModeManaged(site) {
  const locks = lockedBy(managed.policy);
  return locks.mode || (site !== undefined && locks.siteModes.includes(site));
}

async function handleOptions(msg) {
  switch (msg.type) {
    case M.OptionsToBackground.optionsState: {
      // Read afresh: the page asks right after it wrote, before onChanged reached us.
      const [{ view }, current] = await Promise.all([loadRegistry(), loadSettings()]);
      return {
        ok: true,
        engine: lifeline !== null,
        chains: view,
        mode: current.mode,
        siteModes: current.siteModes,
        allowedTracking: current.engineSettings.allowedTracking ?? ["none"],
        managed: managed.policy,
        ignoredPolicies: managed.ignored,
        locked: lockedBy(managed.policy),
      };
    }
    case M.OptionsToBackground.requestLog:
      return { ok: true, entries: requestLog.entries() };
    case M.OptionsToBackground.clearRequestLog:
      await requestLog.clear();
      return { ok: true };
    case M.OptionsToBackground.checkSettings: {
      const error = engineRefusal(msg.engineSettings, msg.userChains ?? []);
      return error ? { ok: false, error } : { ok: true };
    }
    default:
      return { ok: false, error: "unknown request" };
  }
}

function guard(fn) {
  try {
    return fn();
  } catch (error) {
    console.warn("RPC Lifeline: handler failed", error);
    return undefined;
  }
}
