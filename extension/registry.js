// The endpoint registry the engine is built from, and the settings it runs with: the bundled
// defaults (chains.json, generated at build time), the user's own endpoints and settings
// (storage.local), and what an administrator set through browser policy (storage.managed).
// Managed values win over the user's; no I/O happens here except reading those three.
import "./messages.js";

const M = globalThis.LifelineMessages;

/** Where an endpoint in the merged registry came from, in the order the engine tries them. */
export const Origins = Object.freeze({ managed: "managed", user: "user", bundled: "bundled" });

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** The administrator's policy; `{ policy: {}, ignored: [] }` where the browser has none. */
export async function loadManaged(api) {
  try {
    // Firefox rejects when no managed storage manifest is installed: that means "no policy".
    const raw = await api.storage.managed?.get();
    const parsed = M.parseManagedPolicy(raw ?? {});
    if (parsed.ignored.length) {
      console.warn("RPC Lifeline: managed policy keys not understood", parsed.ignored);
    }
    return parsed;
  } catch {
    return { policy: {}, ignored: [] };
  }
}

/** The user's mode, per-site modes and engine settings as stored, sanitised. */
export async function loadUserSettings(api) {
  const stored = await api.storage.local.get(["mode", "siteModes", "engineSettings"]);
  const siteModes = {};
  if (isPlainObject(stored.siteModes)) {
    for (const [site, mode] of Object.entries(stored.siteModes)) {
      if (M.Modes.includes(mode)) siteModes[site] = mode;
    }
  }
  return {
    mode: M.Modes.includes(stored.mode) ? stored.mode : "protect",
    siteModes,
    engineSettings: isPlainObject(stored.engineSettings) ? stored.engineSettings : {},
  };
}

/**
 * The settings in force. A managed `mode` also voids the user's per-site overrides: an
 * administrator who chose "observe" everywhere must not find a site rerouting anyway.
 */
export function effectiveSettings(user, policy) {
  const siteModes = policy.mode ? {} : { ...user.siteModes };
  Object.assign(siteModes, policy.siteModes ?? {});
  const engineSettings = { ...user.engineSettings };
  if (policy.allowedTracking) engineSettings.allowedTracking = [...policy.allowedTracking];
  return { mode: policy.mode ?? user.mode, siteModes, engineSettings };
}

/** What the user cannot change because the administrator set it. */
export function lockedBy(policy) {
  return {
    mode: policy.mode !== undefined,
    siteModes: Object.keys(policy.siteModes ?? {}),
    allowedTracking: policy.allowedTracking !== undefined,
    userEndpoints: policy.allowUserEndpoints === false,
    bundledEndpoints: policy.useBundledEndpoints === false,
  };
}

/** The bundled registry shipped in the extension (see scripts/build-extension.js). */
export async function loadBundled(api) {
  const response = await fetch(api.runtime.getURL("chains.json"));
  const json = await response.json();
  const bundled = Array.isArray(json) ? json : json?.chains;
  if (!Array.isArray(bundled)) throw new Error("chains.json has no chains");
  return bundled;
}

/** The user's chains from storage.local `userChains`; each invalid one is dropped alone. */
export async function loadUserChains(api) {
  const { userChains } = await api.storage.local.get("userChains");
  if (!Array.isArray(userChains)) return [];
  return userChains.filter((chain) => {
    const ok = M.parseUserChains([chain]) !== null;
    if (!ok) console.warn("RPC Lifeline: user chain ignored", chain?.chainId);
    return ok;
  });
}

/**
 * Merges the three sources. Per chain the engine tries endpoints in list order: managed
 * first, then the user's, then the bundled ones (a URL is kept at its first place only).
 * Names and currencies come from the managed entry, else the bundled one, else the user's.
 * `accepts(chain)` is the engine's own verdict on a chain; one it refuses is left out
 * rather than costing the user the whole registry.
 * Returns `chains` for the engine and `view`, the same with each endpoint's origin.
 */
export function mergeChains({ bundled, user, policy, accepts }) {
  const byId = new Map();
  const add = (chain, origin, asMetadata) => {
    let entry = byId.get(chain.chainId);
    if (!entry) {
      entry = { spec: { ...chain, rpcs: [] }, rpcs: { managed: [], user: [], bundled: [] } };
      byId.set(chain.chainId, entry);
    } else if (asMetadata) {
      entry.spec = { ...chain, rpcs: [] };
    }
    entry.rpcs[origin] = chain.rpcs ?? [];
  };
  for (const chain of bundled) {
    add(policy.useBundledEndpoints === false ? { ...chain, rpcs: [] } : chain, Origins.bundled);
  }
  if (policy.allowUserEndpoints !== false) {
    for (const chain of user) if (accepts(chain)) add(chain, Origins.user, false);
  }
  for (const chain of policy.endpoints ?? []) {
    if (accepts(chain)) add(chain, Origins.managed, true);
    else console.warn("RPC Lifeline: managed chain ignored", chain.chainId);
  }
  const chains = [];
  const view = [];
  for (const { spec, rpcs } of byId.values()) {
    const seen = new Set();
    const listed = [];
    for (const origin of [Origins.managed, Origins.user, Origins.bundled]) {
      for (const rpc of rpcs[origin]) {
        if (seen.has(rpc.url)) continue;
        seen.add(rpc.url);
        listed.push({ rpc, origin });
      }
    }
    chains.push({ ...spec, rpcs: listed.map(({ rpc }) => rpc) });
    view.push({
      chainId: spec.chainId,
      name: spec.name,
      nativeCurrency: spec.nativeCurrency,
      rpcs: listed.map(({ rpc, origin }) => ({ url: rpc.url, tracking: rpc.tracking, origin })),
    });
  }
  return { chains, view };
}
