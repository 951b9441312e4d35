// RPC Lifeline's content script (ISOLATED world, document_start, every frame).
//
// Relays inpage.js' reports and fallback requests to the background over a runtime port,
// treating every page message as hostile (schema, size cap, rate limit: messages.js), and
// draws the in-page badge in the top frame. Loaded after messages.js in the same
// content_scripts entry, which defines globalThis.LifelineMessages.
(() => {
  const M = globalThis.LifelineMessages;
  const api = globalThis.browser ?? globalThis.chrome;
  if (!M || !api?.runtime?.connect) return;

  const origin = location.origin;
  const httpDocument = location.protocol === "https:" || location.protocol === "http:";
  if (!httpDocument || origin === "null" || self.origin !== origin) return;

  /** Answer a pending fallback with served:false after this long (inpage.js gives up at 5 s). */
  const FALLBACK_DEADLINE_MS = 4700;
  /** How long the badge waits for the wallet to answer wallet_addEthereumChain. */
  const ADD_CHAIN_DEADLINE_MS = 5 * 60_000;

  const limiter = M.createRateLimiter(M.PAGE_RATE);
  const counters = { invalid: 0 };
  let port = null;
  /** fallback id → timer */
  const pendingFallbacks = new Map();

  // --- page ↔ content -----------------------------------------------------------------------

  function postToPage(msg) {
    try {
      window.postMessage({ target: M.TARGET_INPAGE, ...msg }, origin);
    } catch {
      // the page is gone or unreachable: nothing to tell
    }
  }

  function answerFallback(id, fields) {
    const timer = pendingFallbacks.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    pendingFallbacks.delete(id);
    postToPage({ type: M.ContentToPage.fallbackResult, id, ...fields });
  }

  function failAllFallbacks() {
    for (const id of [...pendingFallbacks.keys()]) answerFallback(id, { served: false });
  }

  window.addEventListener(
    "message",
    (event) => {
      if (event.source !== window || event.origin !== origin) return;
      const data = event.data;
      if (!data || typeof data !== "object" || data.target !== M.TARGET_CONTENT) return;
      event.stopImmediatePropagation();
      if (!limiter.take(performance.now())) {
        // A dropped fallback still gets its answer, so the page never waits for nothing.
        if (data.type === "fallback" && Number.isSafeInteger(data.id)) {
          postToPage({ type: M.ContentToPage.fallbackResult, id: data.id, served: false });
        }
        return;
      }
      const msg = M.parsePageMessage(data);
      if (!msg) {
        counters.invalid += 1;
        return;
      }
      try {
        onPageMessage(msg);
      } catch {
        // fail open
      }
    },
    true,
  );

  function onPageMessage(msg) {
    const { target: _target, ...body } = msg;
    switch (body.type) {
      case M.PageToContent.hello:
        postToPage({ type: M.ContentToPage.ready });
        connect();
        break;
      case M.PageToContent.requestStarted:
      case M.PageToContent.requestFinished:
        badge.noteActivity(body.wallet, body.chainId);
        send(body);
        break;
      case M.PageToContent.fallback:
        if (pendingFallbacks.has(body.id)) return;
        pendingFallbacks.set(
          body.id,
          setTimeout(() => answerFallback(body.id, { served: false }), FALLBACK_DEADLINE_MS),
        );
        if (!send(body)) answerFallback(body.id, { served: false });
        break;
      case M.PageToContent.addChainResult:
        badge.onAddChainResult(body);
        break;
      default:
        break;
    }
  }
  // The page may have started before us and missed our answer to its hello.
  postToPage({ type: M.ContentToPage.ready });

  // --- content ↔ background -----------------------------------------------------------------

  /** The port to the background, (re)built on demand: the service worker comes and goes. */
  function connect() {
    if (port) return port;
    try {
      port = api.runtime.connect({ name: M.PORT_NAME });
    } catch {
      // The extension was reloaded or removed: this script is orphaned. Fail open.
      port = null;
      return null;
    }
    const current = port;
    current.onMessage.addListener((raw) => {
      try {
        onBackgroundMessage(raw);
      } catch {
        // fail open
      }
    });
    current.onDisconnect.addListener(() => {
      void api.runtime.lastError;
      if (port === current) port = null;
      failAllFallbacks();
    });
    return current;
  }

  function send(msg) {
    const p = connect();
    if (!p) return false;
    try {
      p.postMessage(msg);
      return true;
    } catch {
      port = null;
      return false;
    }
  }

  function onBackgroundMessage(raw) {
    const msg = M.parseBackgroundMessage(raw);
    if (!msg) return;
    switch (msg.type) {
      case M.BackgroundToContent.policy:
        postToPage({
          type: M.ContentToPage.policy,
          wallet: msg.wallet,
          chainId: msg.chainId,
          policy: msg.policy,
        });
        break;
      case M.BackgroundToContent.badge:
        badge.onBadge(msg);
        break;
      case M.BackgroundToContent.suggestFix:
        badge.onSuggestFix(msg);
        break;
      case M.BackgroundToContent.fallbackResult: {
        const fields = { served: msg.served };
        if (msg.served && msg.response) fields.response = msg.response;
        else fields.served = false;
        answerFallback(msg.id, fields);
        break;
      }
      default:
        break;
    }
  }

  // --- the badge ------------------------------------------------------------------------------

  // Kept here so the badge is immune to page CSS: it lives only in the closed shadow root.
  const BADGE_CSS = `
    :host { all: initial; }
    .wrap {
      --healthy: #15803d; --degraded: #b45309; --failing: #b91c1c; --rerouting: #1d4ed8;
      --accent: var(--healthy);
      font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #111827; display: flex; flex-direction: column; align-items: flex-end; gap: 8px;
    }
    .wrap[data-state="degraded"] { --accent: var(--degraded); }
    .wrap[data-state="failing"] { --accent: var(--failing); }
    .wrap[data-state="rerouting"] { --accent: var(--rerouting); }
    button { font: inherit; cursor: pointer; }
    button:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
    .pill {
      display: inline-flex; align-items: center; gap: 6px; padding: 6px 12px;
      border-radius: 999px; border: 1px solid var(--accent); background: #fff; color: #111827;
      box-shadow: 0 2px 8px rgb(0 0 0 / 0.18); font-weight: 600;
    }
    .wrap:not(.discreet) .pill { background: var(--accent); color: #fff; }
    .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--accent); }
    .wrap:not(.discreet) .dot { background: #fff; }
    .wrap.discreet .pill { opacity: 0.72; padding: 4px 9px; font-size: 12px; font-weight: 500; }
    .wrap.discreet .pill:hover, .wrap.discreet .pill:focus-visible { opacity: 1; }
    .panel {
      width: min(340px, calc(100vw - 32px)); box-sizing: border-box; padding: 12px 14px;
      background: #fff; border: 1px solid #d1d5db; border-top: 4px solid var(--accent);
      border-radius: 10px; box-shadow: 0 8px 24px rgb(0 0 0 / 0.2);
    }
    .panel[hidden] { display: none; }
    .head { display: flex; justify-content: space-between; align-items: center; }
    .close { border: 0; background: none; font-size: 18px; line-height: 1; padding: 2px 6px; color: #374151; }
    .sentence { margin: 8px 0; font-size: 14px; }
    .facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 0 0 10px; }
    .facts dt { color: #4b5563; }
    .facts dd { margin: 0; overflow-wrap: anywhere; }
    .fix {
      display: block; width: 100%; margin: 0 0 8px; padding: 8px 10px; border-radius: 6px;
      border: 0; background: #1d4ed8; color: #fff; font-weight: 600;
    }
    .fix[hidden], .fix-result[hidden] { display: none; }
    .fix[aria-disabled="true"] { opacity: 0.6; cursor: progress; }
    .fix-result { margin: 0 0 8px; }
    .hide { border: 1px solid #d1d5db; background: #f9fafb; border-radius: 6px; padding: 4px 10px; color: #374151; }
    .live {
      position: absolute; width: 1px; height: 1px; overflow: hidden;
      clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
    }
    @media (prefers-color-scheme: dark) {
      .wrap { color: #f3f4f6; }
      .panel, .pill { background: #1f2937; color: #f3f4f6; border-color: #4b5563; }
      .facts dt, .close { color: #d1d5db; }
      .hide { background: #374151; color: #f3f4f6; border-color: #4b5563; }
    }
    @media (prefers-reduced-motion: no-preference) {
      .pill { transition: opacity 120ms ease; }
    }
  `;

  const badge = createBadge();

  function createBadge() {
    const isTop = window.top === window;
    const RANK = { healthy: 0, degraded: 1, rerouting: 2, failing: 3 };
    const LABEL = {
      healthy: "RPC OK",
      degraded: "RPC slow",
      failing: "RPC failing",
      rerouting: "RPC rerouted",
    };
    const STATE_WORDS = {
      healthy: "Healthy",
      degraded: "Degraded: slow or some errors",
      failing: "Failing",
      rerouting: "Failing: reads are served by a backup RPC",
    };
    /** "wallet\nchainId" → { wallet, chainId, at } seen in this frame's own reports */
    const activity = new Map();
    /** "wallet\nchainId" → badge message from the background, with `at` */
    const verdicts = new Map();
    /** "wallet\nchainId" → EIP-3085 params */
    const fixes = new Map();
    const settings = { badgeWhenHealthy: "discreet", hidden: false };
    let ui = null;
    let open = false;
    let shown = null;
    let nextAddId = 1;
    /** { id, key, timer } while the wallet is asked; then { key, outcome, text } */
    let fix = null;

    const keyOf = (wallet, chainId) => `${wallet}\n${chainId}`;

    if (isTop && api.storage?.local) {
      api.storage.local
        .get(["badgeWhenHealthy", "hiddenSites"])
        .then((stored) => {
          applySettings(stored);
          render();
        })
        .catch(() => {});
      api.storage.onChanged?.addListener((changes, area) => {
        if (area !== "local") return;
        if (!("badgeWhenHealthy" in changes) && !("hiddenSites" in changes)) return;
        api.storage.local
          .get(["badgeWhenHealthy", "hiddenSites"])
          .then((stored) => {
            applySettings(stored);
            render();
          })
          .catch(() => {});
      });
    }

    function applySettings(stored) {
      settings.badgeWhenHealthy = stored?.badgeWhenHealthy === "hidden" ? "hidden" : "discreet";
      const hiddenSites = Array.isArray(stored?.hiddenSites) ? stored.hiddenSites : [];
      settings.hidden = hiddenSites.includes(origin);
    }

    /** The page's chain, and the worst verdict among the wallets active on it. */
    function current() {
      let chainId;
      let latest = -1;
      for (const a of activity.values()) {
        if (a.at > latest) {
          latest = a.at;
          chainId = a.chainId;
        }
      }
      if (chainId === undefined) {
        for (const v of verdicts.values()) {
          if (v.at > latest) {
            latest = v.at;
            chainId = v.chainId;
          }
        }
      }
      if (chainId === undefined) return null;
      const wallets = new Set();
      for (const a of activity.values()) if (a.chainId === chainId) wallets.add(a.wallet);
      for (const v of verdicts.values()) if (v.chainId === chainId) wallets.add(v.wallet);
      let pick = null;
      for (const wallet of wallets) {
        const v = verdicts.get(keyOf(wallet, chainId));
        const candidate = v ?? {
          wallet,
          chainId,
          chainName: [...verdicts.values()].find((x) => x.chainId === chainId)?.chainName,
          state: "healthy",
          sentence: "No problems seen with your wallet's RPC.",
          mode: "protect",
          at: activity.get(keyOf(wallet, chainId))?.at ?? 0,
        };
        if (
          !pick ||
          RANK[candidate.state] > RANK[pick.state] ||
          (RANK[candidate.state] === RANK[pick.state] && candidate.at > pick.at)
        ) {
          pick = candidate;
        }
      }
      return pick && { ...pick, walletCount: wallets.size };
    }

    function build() {
      const host = document.createElement("rpc-lifeline-badge");
      host.style.cssText = [
        "all: initial",
        "position: fixed",
        "right: 16px",
        "bottom: 16px",
        "z-index: 2147483647",
        "display: block",
        "width: auto",
        "height: auto",
        "margin: 0",
        "padding: 0",
        "border: 0",
        "transform: none",
        "pointer-events: auto",
        "contain: layout style",
      ]
        .map((rule) => `${rule} !important`)
        .join(";");
      const root = host.attachShadow({ mode: "closed" });
      const style = document.createElement("style");
      style.textContent = BADGE_CSS;
      const wrap = el("div", { class: "wrap" });
      const panel = el("div", {
        class: "panel",
        id: "panel",
        role: "region",
        "aria-labelledby": "title",
        hidden: "",
      });
      const head = el("div", { class: "head" });
      const title = el("strong", { id: "title" }, "RPC Lifeline");
      const close = el("button", { type: "button", class: "close", "aria-label": "Close" }, "×");
      head.append(title, close);
      const sentence = el("p", { class: "sentence" });
      const facts = el("dl", { class: "facts" });
      const stateValue = el("dd");
      const chainValue = el("dd");
      const walletValue = el("dd");
      facts.append(
        el("dt", {}, "State"),
        stateValue,
        el("dt", {}, "Chain"),
        chainValue,
        el("dt", {}, "Wallet"),
        walletValue,
      );
      const fixButton = el(
        "button",
        { type: "button", class: "fix", hidden: "" },
        "Add a working RPC to your wallet",
      );
      const fixResult = el("p", {
        class: "fix-result",
        hidden: "",
        tabindex: "-1",
        "aria-live": "polite",
      });
      const hide = el("button", { type: "button", class: "hide" }, "Hide on this site");
      panel.append(head, sentence, facts, fixButton, fixResult, hide);
      const pill = el("button", {
        type: "button",
        class: "pill",
        "aria-expanded": "false",
        "aria-controls": "panel",
      });
      const dot = el("span", { class: "dot", "aria-hidden": "true" });
      const label = el("span", { class: "label" });
      pill.append(dot, label);
      const live = el("div", { class: "live", role: "status", "aria-live": "polite" });
      wrap.append(panel, pill, live);
      root.append(style, wrap);

      pill.addEventListener("click", () => setOpen(!open));
      close.addEventListener("click", () => setOpen(false, true));
      wrap.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && open) {
          event.stopPropagation();
          setOpen(false, true);
        }
      });
      fixButton.addEventListener("click", askWallet);
      hide.addEventListener("click", hideOnSite);
      return {
        host,
        root,
        wrap,
        panel,
        pill,
        label,
        live,
        sentence,
        stateValue,
        chainValue,
        walletValue,
        fixButton,
        fixResult,
      };
    }

    function el(tag, attrs = {}, text) {
      const node = document.createElement(tag);
      for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
      if (text !== undefined) node.textContent = text;
      return node;
    }

    function setOpen(value, focusPill) {
      open = value;
      render();
      if (ui && focusPill) ui.pill.focus();
    }

    function render() {
      if (!isTop) return;
      shown = current();
      if (!shown && !ui) return;
      if (!ui) {
        try {
          ui = build();
        } catch {
          return;
        }
      }
      const { host } = ui;
      if (!host.isConnected) (document.documentElement ?? document).append(host);
      const hidden =
        !shown ||
        settings.hidden ||
        (shown.state === "healthy" && settings.badgeWhenHealthy === "hidden");
      host.style.setProperty("display", hidden ? "none" : "block", "important");
      if (!shown) return;
      const chainName = shown.chainName ?? `chain ${shown.chainId}`;
      host.dataset.state = shown.state;
      host.dataset.chain = String(shown.chainId);
      host.dataset.wallet = shown.wallet;
      host.dataset.sentence = shown.sentence;
      host.dataset.expanded = String(open);
      const discreet = shown.state === "healthy";
      ui.wrap.dataset.state = shown.state;
      ui.wrap.classList.toggle("discreet", discreet);
      ui.label.textContent = LABEL[shown.state];
      ui.pill.setAttribute("aria-expanded", String(open));
      ui.pill.setAttribute("aria-label", `RPC Lifeline: ${LABEL[shown.state]} on ${chainName}`);
      const liveText = `${LABEL[shown.state]} on ${chainName}.`;
      if (ui.live.textContent !== liveText) ui.live.textContent = liveText;
      ui.panel.hidden = !open;
      ui.sentence.textContent = shown.sentence;
      ui.stateValue.textContent = STATE_WORDS[shown.state];
      ui.chainValue.textContent = `${chainName} (${shown.chainId})`;
      ui.walletValue.textContent =
        shown.walletCount > 1 ? `${shown.wallet} (worst of ${shown.walletCount})` : shown.wallet;
      renderFix();
    }

    function renderFix() {
      const key = keyOf(shown.wallet, shown.chainId);
      const offered = fixes.has(key) && shown.mode !== "observe";
      const ours = fix && fix.key === key ? fix : null;
      const hadFocus = ui.root.activeElement === ui.fixButton;
      ui.fixButton.hidden = !offered || Boolean(ours?.outcome === "added");
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
      ui.fixButton.setAttribute("aria-disabled", String(Boolean(ours && !ours.outcome)));
      ui.fixResult.hidden = !ours;
      ui.fixResult.textContent = ours ? ours.text : "";
      ui.host.dataset.fix = ours ? (ours.outcome ?? "pending") : offered ? "offered" : "none";
      // Focus must not fall out of the panel when the button it was on goes away.
      if (hadFocus && ui.fixButton.hidden && !ui.fixResult.hidden) ui.fixResult.focus();
    }

    function askWallet() {
      if (!shown) return;
      const key = keyOf(shown.wallet, shown.chainId);
      const params = fixes.get(key);
      if (!params || (fix && !fix.outcome)) return;
      const id = nextAddId++;
      const timer = setTimeout(() => {
        if (fix?.id === id) {
          fix = { key, outcome: "refused", text: "Your wallet did not answer." };
          render();
        }
      }, ADD_CHAIN_DEADLINE_MS);
      fix = { id, key, timer, text: "Waiting for your wallet…" };
      postToPage({
        type: M.ContentToPage.addChain,
        id,
        wallet: shown.wallet,
        chainId: shown.chainId,
        params,
      });
      render();
    }

    function onAddChainResult(msg) {
      if (!fix || fix.outcome || fix.id !== msg.id) return;
      clearTimeout(fix.timer);
      const { key } = fix;
      if (msg.ok) {
        fix = { key, outcome: "added", text: "Added. Your wallet now has a working RPC." };
      } else if (msg.code === 4001) {
        fix = { key, outcome: "declined", text: "You declined in your wallet." };
      } else {
        const why = msg.message ? `: ${msg.message}` : ".";
        fix = { key, outcome: "refused", text: `Your wallet refused${why}` };
      }
      render();
    }

    function hideOnSite() {
      settings.hidden = true;
      setOpen(false);
      api.storage?.local
        ?.get("hiddenSites")
        .then((stored) => {
          const list = Array.isArray(stored?.hiddenSites) ? stored.hiddenSites : [];
          if (!list.includes(origin)) list.push(origin);
          return api.storage.local.set({ hiddenSites: list });
        })
        .catch(() => {});
    }

    return {
      noteActivity(wallet, chainId) {
        if (!isTop) return;
        const key = keyOf(wallet, chainId);
        const known = activity.has(key);
        activity.set(key, { wallet, chainId, at: performance.now() });
        if (!known || shown?.chainId !== chainId) render();
      },
      onBadge(msg) {
        if (!isTop) return;
        verdicts.set(keyOf(msg.wallet, msg.chainId), { ...msg, at: performance.now() });
        render();
      },
      onSuggestFix(msg) {
        if (!isTop) return;
        fixes.set(keyOf(msg.wallet, msg.chainId), msg.params);
        render();
      },
      onAddChainResult,
    };
  }
})();
