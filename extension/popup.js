// The toolbar popup: the current tab's wallets and their RPC health, and the mode switch.
import "./messages.js";

const M = globalThis.LifelineMessages;
const api = globalThis.browser ?? globalThis.chrome;

/** How often the open popup refreshes its view. */
const REFRESH_MS = 2000;
const STATE_LABEL = {
  healthy: "Healthy",
  degraded: "Degraded",
  failing: "Failing",
  rerouting: "Rerouted",
};
const SVG_NS = "http://www.w3.org/2000/svg";
const CHART = { width: 300, height: 64, pad: 4 };

const $ = (id) => document.getElementById(id);
let tabId = null;
let site = null;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** Latency polyline with red marks where a sample was an infrastructure failure. */
function chart(latencies, errors) {
  const { width, height, pad } = CHART;
  const n = latencies.length;
  const max = Math.max(50, ...latencies);
  const x = (i) => (n <= 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1));
  const y = (ms) => height - pad - (Math.min(ms, max) / max) * (height - 2 * pad - 8);
  const errorCount = errors.filter((e) => e === 1).length;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart",
    role: "img",
    "aria-label": `Last ${n} requests: up to ${Math.round(max)} ms, ${errorCount} failures.`,
  });
  root.append(svg("line", { x1: 0, x2: width, y1: height - pad, y2: height - pad, class: "axis" }));
  if (n === 1) {
    root.append(svg("circle", { cx: width / 2, cy: y(latencies[0]), r: 2.5, class: "point" }));
  } else if (n > 1) {
    const points = latencies.map((ms, i) => `${x(i).toFixed(1)},${y(ms).toFixed(1)}`).join(" ");
    root.append(svg("polyline", { points, class: "latency" }));
  }
  errors.forEach((e, i) => {
    if (e === 1) {
      root.append(svg("line", { x1: x(i), x2: x(i), y1: pad, y2: height - pad, class: "error" }));
    }
  });
  const label = svg("text", { x: width - pad, y: 12, "text-anchor": "end", class: "max" });
  label.textContent = `${Math.round(max)} ms`;
  root.append(label);
  return root;
}

function renderWallets(res) {
  const box = $("wallets");
  box.replaceChildren();
  if (!res?.ok) {
    box.append(el("p", { class: "muted" }, "RPC Lifeline is not running on this tab."));
    return;
  }
  if (!res.engine) {
    box.append(
      el("p", { class: "warn" }, "The engine could not start: pages use their wallets directly."),
    );
    return;
  }
  const wallets = res.status?.wallets ?? [];
  if (wallets.length === 0) {
    box.append(el("p", { class: "muted" }, "No wallet requests seen on this tab yet."));
    return;
  }
  for (const w of wallets) {
    const card = el("article", { class: "wallet", "data-state": w.state });
    const head = el("div", { class: "wallet-head" });
    head.append(
      el("span", { class: "chain" }, `${w.chainName || "Chain"} (${w.chainId})`),
      el("span", { class: "state" }, STATE_LABEL[w.state] ?? w.state),
    );
    const latency = Array.isArray(w.latencyMs) ? w.latencyMs.filter(Number.isFinite) : [];
    const errors = Array.isArray(w.errors) ? w.errors : [];
    const stats = [];
    if (Number.isFinite(w.p50Ms)) stats.push(`median ${Math.round(w.p50Ms)} ms`);
    if (Number.isFinite(w.p95Ms)) stats.push(`95th percentile ${Math.round(w.p95Ms)} ms`);
    stats.push(`${errors.filter((e) => e === 1).length} failures in ${latency.length}`);
    card.append(
      head,
      el("p", { class: "sentence" }, w.sentence),
      el("p", { class: "muted small" }, `Wallet: ${w.wallet}`),
      chart(latency, errors),
      el("p", { class: "muted small" }, stats.join(" · ")),
    );
    box.append(card);
  }
}

function renderMode(res) {
  if (!res?.ok) return;
  const siteOnly = $("site-only");
  const effective = res.siteMode ?? res.globalMode;
  for (const input of document.querySelectorAll('input[name="mode"]')) {
    input.checked = input.value === effective;
  }
  $("site-only-row").hidden = !site;
  siteOnly.checked = Boolean(res.siteMode);
  // The administrator's mode (managed policy) wins; the choice is shown, not offered.
  const locked = res.modeManaged === true;
  for (const input of document.querySelectorAll("#mode input, #site-only")) input.disabled = locked;
  $("mode-managed").hidden = !locked;
}

async function renderBadgeSetting() {
  const { badgeWhenHealthy } = await api.storage.local.get("badgeWhenHealthy");
  $("badge-healthy").checked = badgeWhenHealthy !== "hidden";
}

async function renderHidden() {
  const button = $("show-badge");
  if (!site) {
    button.hidden = true;
    return;
  }
  const { hiddenSites } = await api.storage.local.get("hiddenSites");
  button.hidden = !(Array.isArray(hiddenSites) && hiddenSites.includes(site));
}

async function refresh() {
  if (tabId === null) return;
  let view;
  try {
    view = await api.runtime.sendMessage({ type: M.PopupToBackground.popupStatus, tab: tabId });
  } catch {
    view = null;
  }
  site = view?.site ?? null;
  $("site").textContent = site ?? "";
  $("site-name").textContent = site ?? "";
  renderWallets(view);
  renderMode(view);
  $("add-chain").hidden = view?.fixOffered !== true;
  const ignored = view?.ignoredMessages ?? 0;
  $("ignored").hidden = ignored === 0;
  $("ignored").textContent =
    `This page sent reports faster than allowed; ${ignored} were ignored and judged nothing.`;
  await renderHidden();
}

async function addChain() {
  const answer = await api.runtime.sendMessage({ type: M.PopupToBackground.addChain, tab: tabId });
  $("add-chain-note").hidden = answer?.ok !== true;
}

async function setMode(mode) {
  const msg = { type: M.PopupToBackground.setMode, mode };
  if ($("site-only").checked && site) msg.site = site;
  await api.runtime.sendMessage(msg);
  await refresh();
}

const activeTabs = () => api.tabs.query({ active: true, currentWindow: true });

async function main() {
  // `popup.html?tab=N` shows tab N: browser tests open the popup as an ordinary page.
  const asked = Number(new URLSearchParams(location.search).get("tab"));
  const [tab] = Number.isSafeInteger(asked) && asked > 0 ? [{ id: asked }] : await activeTabs();
  tabId = Number.isSafeInteger(tab?.id) ? tab.id : null;
  $("mode").addEventListener("change", (event) => {
    if (event.target.name === "mode") setMode(event.target.value);
  });
  $("site-only").addEventListener("change", async (event) => {
    if (!site) return;
    if (event.target.checked) {
      const selected = document.querySelector('input[name="mode"]:checked')?.value ?? "protect";
      await api.runtime.sendMessage({ type: M.PopupToBackground.setMode, mode: selected, site });
    } else {
      await api.runtime.sendMessage({ type: M.PopupToBackground.setMode, mode: null, site });
    }
    await refresh();
  });
  $("badge-healthy").addEventListener("change", (event) =>
    api.storage.local.set({ badgeWhenHealthy: event.target.checked ? "discreet" : "hidden" }),
  );
  await renderBadgeSetting();
  $("add-chain").addEventListener("click", addChain);
  $("show-badge").addEventListener("click", async () => {
    const { hiddenSites } = await api.storage.local.get("hiddenSites");
    const list = Array.isArray(hiddenSites) ? hiddenSites.filter((s) => s !== site) : [];
    await api.storage.local.set({ hiddenSites: list });
    await renderHidden();
  });
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

main();
