// The badge's look and its small UI behaviour (open/close, the fix button, the live region),
// shared by two hosts that own everything else:
//   - the extension's content script, which lists this classic script before content.js in
//     the manifest (content scripts cannot import), and
//   - the embeddable page module (www/lifeline/embed.js), which imports it for its effect.
// Both read `globalThis.LifelineBadgeView`. The host decides what to show (the model) and
// where the badge sits; this file only draws a model inside a shadow root it is given.
(() => {
  // Kept here so the badge is immune to page CSS: it lives only in the shadow root.
  const BADGE_CSS = `
    :host { all: initial; }
    .wrap {
      --healthy: #15803d; --degraded: #b45309; --failing: #b91c1c; --rerouting: #1d4ed8;
      --standby: #6b7280;
      --accent: var(--healthy);
      font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #111827; display: flex; flex-direction: column; align-items: flex-end; gap: 8px;
    }
    /* Floating, the host is a 0×0 point in the corner: its size tells a page nothing. */
    .wrap:not(.inline) { position: absolute; right: 0; bottom: 0; width: max-content; }
    .wrap.inline { position: relative; }
    .wrap.inline .panel {
      position: absolute; top: calc(100% + 8px); right: 0; z-index: 2147483646;
    }
    .wrap[data-state="degraded"] { --accent: var(--degraded); }
    .wrap[data-state="failing"] { --accent: var(--failing); }
    .wrap[data-state="rerouting"] { --accent: var(--rerouting); }
    .wrap[data-state="standby"] { --accent: var(--standby); }
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
    .facts [hidden] { display: none; }
    .fix {
      display: block; width: 100%; margin: 0 0 8px; padding: 8px 10px; border-radius: 6px;
      border: 0; background: #1d4ed8; color: #fff; font-weight: 600;
    }
    .fix[hidden], .fix-what[hidden], .fix-result[hidden], .hide[hidden] { display: none; }
    .fix-what { margin: 0 0 6px; font-size: 12px; color: #374151; overflow-wrap: anywhere; }
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

  const LABEL = Object.freeze({
    healthy: "RPC OK",
    degraded: "RPC slow",
    failing: "RPC failing",
    rerouting: "RPC rerouted",
    standby: "Extension active",
  });
  const STATE_WORDS = Object.freeze({
    healthy: "Healthy",
    degraded: "Degraded: slow or some errors",
    failing: "Failing",
    rerouting: "Failing: reads are served by a backup RPC",
    standby: "Stepped back: the RPC Lifeline extension protects this page",
  });

  /**
   * Pins a host element to the bottom-right corner whatever the page's CSS says, as a point:
   * the badge overflows it, so the host's box does not change with what the badge shows.
   */
  const FLOATING_HOST_STYLE = [
    "all: initial",
    "position: fixed",
    "right: 16px",
    "bottom: 16px",
    "z-index: 2147483647",
    "display: block",
    "width: 0",
    "height: 0",
    "margin: 0",
    "padding: 0",
    "border: 0",
    "transform: none",
    "pointer-events: auto",
    "contain: layout style",
  ]
    .map((rule) => `${rule} !important`)
    .join(";");

  /**
   * Draws the badge inside `root` (a shadow root owned by the caller) and returns its
   * controller. `onFix` runs when the user asks for the wallet fix; `onHide`, when given,
   * adds a button labelled `hideLabel`. `inline` opens the panel below the pill, over the
   * page, for a badge placed in the page's own layout rather than floating in a corner.
   *
   * `render(model)` shows a model:
   *   { state, sentence, chainId?, chainName?, wallet?, walletCount?,
   *     fix?: { offered: boolean, status?: "pending"|"added"|"declined"|"refused", text?: string,
   *             url?: string, wallet?: string } }
   * and mirrors it on the dataset of the element inside the root (state, chain, wallet,
   * sentence, expanded, fix). `mirrorOnHost` mirrors it on the host as well, for a badge the
   * page owns (the embed); the extension's badge leaves its host bare, so a page sees nothing
   * of the verdict or of a host name.
   */
  function mountBadge(
    root,
    { onFix, onHide, hideLabel = "Hide on this site", inline = false, mirrorOnHost = false },
  ) {
    const doc = root.ownerDocument ?? document;
    const el = (tag, attrs = {}, text) => {
      const node = doc.createElement(tag);
      for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
      if (text !== undefined) node.textContent = text;
      return node;
    };
    const style = el("style");
    style.textContent = BADGE_CSS;
    const wrap = el("div", { class: inline ? "wrap inline" : "wrap" });
    const panel = el("div", {
      class: "panel",
      id: "panel",
      role: "region",
      "aria-labelledby": "title",
      hidden: "",
    });
    const head = el("div", { class: "head" });
    const close = el("button", { type: "button", class: "close", "aria-label": "Close" }, "×");
    head.append(el("strong", { id: "title" }, "RPC Lifeline"), close);
    const sentence = el("p", { class: "sentence" });
    const facts = el("dl", { class: "facts" });
    const fact = (name) => {
      const dt = el("dt", {}, name);
      const dd = el("dd");
      facts.append(dt, dd);
      return { dt, dd };
    };
    const stateFact = fact("State");
    const chainFact = fact("Chain");
    const walletFact = fact("Wallet");
    const fixButton = el(
      "button",
      { type: "button", class: "fix", hidden: "" },
      "Add a working RPC to your wallet",
    );
    const fixWhat = el("p", { class: "fix-what", hidden: "" });
    const fixResult = el("p", {
      class: "fix-result",
      hidden: "",
      tabindex: "-1",
      "aria-live": "polite",
    });
    const hide = el("button", { type: "button", class: "hide" }, hideLabel);
    hide.hidden = !onHide;
    panel.append(head, sentence, facts, fixWhat, fixButton, fixResult, hide);
    const pill = el("button", {
      type: "button",
      class: "pill",
      "aria-expanded": "false",
      "aria-controls": "panel",
    });
    const label = el("span", { class: "label" });
    pill.append(el("span", { class: "dot", "aria-hidden": "true" }), label);
    const live = el("div", { class: "live", role: "status", "aria-live": "polite" });
    wrap.append(panel, pill, live);
    root.append(style, wrap);

    let open = false;
    let model = null;

    const setOpen = (value, focusPill) => {
      open = value;
      if (model) render(model);
      if (focusPill) pill.focus();
    };
    pill.addEventListener("click", () => setOpen(!open));
    close.addEventListener("click", () => setOpen(false, true));
    wrap.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && open) {
        event.stopPropagation();
        setOpen(false, true);
      }
    });
    fixButton.addEventListener("click", () => onFix?.());
    hide.addEventListener("click", () => onHide?.());

    const setFact = ({ dt, dd }, text) => {
      dt.hidden = text === undefined;
      dd.hidden = text === undefined;
      dd.textContent = text ?? "";
    };

    const mirrored = mirrorOnHost ? [wrap, root.host] : [wrap];
    const mirror = (fields) => {
      for (const node of mirrored) {
        for (const [name, value] of Object.entries(fields)) {
          if (value === undefined) delete node.dataset[name];
          else node.dataset[name] = value;
        }
      }
    };

    function render(next) {
      model = next;
      const text = LABEL[model.state] ?? model.state;
      const chainName =
        model.chainId === undefined ? undefined : (model.chainName ?? `chain ${model.chainId}`);
      mirror({
        state: model.state,
        chain: model.chainId === undefined ? undefined : String(model.chainId),
        wallet: model.wallet,
        sentence: model.sentence,
        expanded: String(open),
      });
      wrap.classList.toggle("discreet", model.state === "healthy" || model.state === "standby");
      label.textContent = text;
      pill.setAttribute("aria-expanded", String(open));
      const where = chainName ? ` on ${chainName}` : "";
      pill.setAttribute("aria-label", `RPC Lifeline: ${text}${where}`);
      const liveText = `${text}${where}.`;
      if (live.textContent !== liveText) live.textContent = liveText;
      panel.hidden = !open;
      sentence.textContent = model.sentence;
      setFact(stateFact, STATE_WORDS[model.state]);
      setFact(chainFact, chainName && `${chainName} (${model.chainId})`);
      setFact(
        walletFact,
        model.wallet !== undefined && model.walletCount > 1
          ? `${model.wallet} (worst of ${model.walletCount})`
          : model.wallet,
      );
      renderFix(model.fix ?? { offered: false });
    }

    function renderFix({ offered, status, text, url, wallet }) {
      const hadFocus = root.activeElement === fixButton;
      fixButton.hidden = !offered || status === "added";
      fixWhat.hidden = fixButton.hidden || url === undefined;
      fixWhat.textContent = fixWhat.hidden
        ? ""
        : `Sends ${url} to ${wallet ? `the wallet ${wallet}` : "your wallet"}, which asks you first.`;
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
      fixButton.setAttribute("aria-disabled", String(status === "pending"));
      fixResult.hidden = !status;
      fixResult.textContent = status ? (text ?? "") : "";
      mirror({ fix: status ?? (offered ? "offered" : "none") });
      // Focus must not fall out of the panel when the button it was on goes away.
      if (hadFocus && fixButton.hidden && !fixResult.hidden) fixResult.focus();
    }

    return {
      render,
      setOpen,
      get open() {
        return open;
      },
    };
  }

  globalThis.LifelineBadgeView = Object.freeze({
    mountBadge,
    LABEL,
    STATE_WORDS,
    FLOATING_HOST_STYLE,
  });
})();
