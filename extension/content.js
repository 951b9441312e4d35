// RPC Lifeline's content script (ISOLATED world, document_start, every frame).
//
// Relays inpage.js' reports and fallback requests to the background over a runtime port,
// treating every page message as hostile (schema, size cap, rate limit: messages.js), and
// draws the in-page badge in the top frame. Loaded after messages.js and badge-view.js in the
// same content_scripts entry, which define globalThis.LifelineMessages and the badge's look
// (globalThis.LifelineBadgeView, shared with the embeddable page module in www/lifeline/).
import { HOP_DEADLINES } from "./contract.js";

(() => {
  const M = globalThis.LifelineMessages;
  const View = globalThis.LifelineBadgeView;
  const api = globalThis.browser ?? globalThis.chrome;
  if (!M || !View || !api?.runtime?.connect) return;

  const origin = location.origin;
  const httpDocument = location.protocol === "https:" || location.protocol === "http:";
  if (!httpDocument || origin === "null" || self.origin !== origin) return;

  /** Answer a pending fallback with served:false after this long (before inpage.js gives up). */
  const FALLBACK_DEADLINE_MS = HOP_DEADLINES.contentMs;
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
      case M.PageToContent.walletGenesis:
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
      case M.BackgroundToContent.askAddChain:
        badge.askFromPopup();
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

  const badge = createBadge();

  function createBadge() {
    const isTop = window.top === window;
    const RANK = { healthy: 0, degraded: 1, rerouting: 2, failing: 3 };
    /** "wallet\nchainId" → { wallet, chainId, at } seen in this frame's own reports */
    const activity = new Map();
    /** "wallet\nchainId" → badge message from the background, with `at` */
    const verdicts = new Map();
    /** "wallet\nchainId" → EIP-3085 params */
    const fixes = new Map();
    const settings = { badgeWhenHealthy: "discreet", hidden: false };
    /** { host, view } once built; the look and the panel live in badge-view.js. */
    let ui = null;
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

    /** Builds the badge's host (pinned bottom-right) and the shared view inside it. */
    function build() {
      const host = document.createElement("rpc-lifeline-badge");
      host.style.cssText = View.FLOATING_HOST_STYLE;
      const view = View.mountBadge(host.attachShadow({ mode: "closed" }), {
        onFix: askWallet,
        onHide: hideOnSite,
      });
      return { host, view };
    }

    function setOpen(value) {
      ui?.view.setOpen(value);
      render();
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
      ui.view.render({ ...shown, fix: fixModel() });
    }

    /** The wallet-fix part of the view's model, for the verdict shown. */
    function fixModel() {
      const key = keyOf(shown.wallet, shown.chainId);
      const ours = fix && fix.key === key ? fix : null;
      return {
        offered: fixes.has(key) && shown.mode !== "observe",
        // What the user is shown before pressing: the exact URL, and the wallet it goes to.
        url: fixes.get(key)?.rpcUrls?.[0],
        wallet: shown.wallet,
        status: ours ? (ours.outcome ?? "pending") : undefined,
        text: ours?.text,
      };
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
      /** The popup's fix button: the same request as the panel's, shown in the open panel. */
      askFromPopup() {
        if (!isTop) return;
        render();
        setOpen(true);
        askWallet();
      },
    };
  }
})();
