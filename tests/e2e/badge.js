// The extension's in-page badge as the user sees it. Its shadow root is closed and its host
// carries no attributes, so neither the page nor Playwright's selectors can read it: the test
// reaches the element inside the root through the DevTools protocol (which pierces closed
// roots) and reads it from a world of its own, one the page cannot see.
const probes = new WeakMap();

/** Every state change is noted in the test's world, timestamped on the page's clock. */
const NOTE_CHANGES = `function () {
  const log = (globalThis.__badgeLog ??= []);
  const note = () => log.push({ state: this.dataset.state, at: Date.now() });
  note();
  new MutationObserver(note).observe(this, { attributeFilter: ["data-state"] });
}`;

const find = (node, wanted) => {
  if (wanted(node)) return node;
  for (const child of [...(node.children ?? []), ...(node.shadowRoots ?? [])]) {
    const hit = find(child, wanted);
    if (hit) return hit;
  }
  return null;
};
const attribute = (node, name) => {
  const at = node.attributes?.indexOf(name) ?? -1;
  return at >= 0 ? node.attributes[at + 1] : undefined;
};

async function call(probe, functionDeclaration) {
  const { result, exceptionDetails } = await probe.cdp.send("Runtime.callFunctionOn", {
    objectId: probe.wrap,
    functionDeclaration,
    returnByValue: true,
  });
  if (exceptionDetails) throw new Error(exceptionDetails.text);
  return result.value;
}

/** The probe with the badge's element resolved, or null while the page shows no badge. */
function resolved(page) {
  let probe = probes.get(page);
  if (!probe) {
    probe = { cdp: page.context().newCDPSession(page), wrap: null, world: null, pending: null };
    probes.set(page, probe);
  }
  // One resolution at a time: two would note every change twice.
  probe.pending ??= resolve(probe).finally(() => {
    probe.pending = null;
  });
  return probe.pending;
}

async function resolve(probe) {
  if (probe.cdp instanceof Promise) probe.cdp = await probe.cdp;
  if (
    probe.wrap &&
    (await call(probe, "function () { return this.isConnected; }").catch(() => false))
  ) {
    return probe;
  }
  probe.wrap = null;
  const { root } = await probe.cdp.send("DOM.getDocument", { depth: -1, pierce: true });
  const host = find(root, (n) => n.localName === "rpc-lifeline-badge" && n.shadowRoots?.length);
  const wrap =
    host && find(host.shadowRoots[0], (n) => attribute(n, "class")?.split(" ").includes("wrap"));
  if (!wrap) return null;
  // The badge is found once per document, and each document needs a world of its own.
  const { frameTree } = await probe.cdp.send("Page.getFrameTree");
  const world = await probe.cdp.send("Page.createIsolatedWorld", {
    frameId: frameTree.frame.id,
    worldName: "lifeline-test",
  });
  probe.world = world.executionContextId;
  const { object } = await probe.cdp.send("DOM.resolveNode", {
    backendNodeId: wrap.backendNodeId,
    executionContextId: probe.world,
  });
  probe.wrap = object.objectId;
  await call(probe, NOTE_CHANGES);
  return probe;
}

/**
 * Starts noting the badge's states from the moment it appears (openDapp calls it). It runs
 * until the badge is found or the page closes; it never throws.
 */
export function watchBadge(page) {
  const poll = async () => {
    while (!page.isClosed()) {
      if (await resolved(page).catch(() => null)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  poll();
}

/**
 * What the badge shows: { state, sentence, chain, wallet, expanded, fix, text }, `text` being
 * everything the user can read in it (the pill, and the panel when open); or null.
 */
export async function badgeState(page) {
  const probe = await resolved(page);
  return probe && call(probe, "function () { return { ...this.dataset, text: this.innerText }; }");
}

/** Every state the badge showed, in order, as { state, at } (ms since epoch). */
export async function badgeLog(page) {
  const probe = await resolved(page);
  if (!probe) return [];
  const { result } = await probe.cdp.send("Runtime.evaluate", {
    expression: "globalThis.__badgeLog ?? []",
    contextId: probe.world,
    returnByValue: true,
  });
  return result.value;
}

/** When the badge first showed `state` at or after `since` (ms since epoch), or null. */
export async function firstSeen(page, state, since) {
  return (await badgeLog(page)).find((e) => e.state === state && e.at >= since)?.at ?? null;
}

/**
 * Waits until the badge matches `wanted`: a state, a list of states, or a test of what the
 * badge shows. Resolves to what it showed then; rejects after `timeout` ms with the last sight.
 */
export async function badgeUntil(page, wanted, timeout = 20_000) {
  const matches =
    typeof wanted === "function" ? wanted : (badge) => [wanted].flat().includes(badge.state);
  const deadline = Date.now() + timeout;
  let last = null;
  for (;;) {
    last = await badgeState(page).catch(() => null);
    if (last && matches(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`badge never matched in ${timeout} ms; last ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the badge shows `state`; resolves to the time it was seen. */
export async function waitForBadge(page, state, timeout = 20_000) {
  await badgeUntil(page, state, timeout);
  return Date.now();
}

/** Clicks the badge's pill where the user would (the host itself is a 0×0 point). */
export async function clickBadge(page) {
  await badgeUntil(page, () => true);
  const probe = await resolved(page);
  const [x, y] = await call(
    probe,
    `function () {
      const box = this.querySelector(".pill").getBoundingClientRect();
      return [box.x + box.width / 2, box.y + box.height / 2];
    }`,
  );
  await page.mouse.click(x, y);
}
