// Types of the embeddable RPC Lifeline module (embed.js). The engine's own types (ChainSpec,
// Action, TabStatus, …) come from the wasm-pack output, rpc_lifeline.d.ts.
import type {
  Action,
  BadgeState,
  ChainSpec,
  Lifeline,
  Mode,
  Observed,
  Policy,
  TabStatus,
  Tracking,
} from "./rpc_lifeline.js";

export type {
  Action,
  BadgeState,
  ChainSpec,
  Lifeline,
  Mode,
  Observed,
  Policy,
  TabStatus,
  Tracking,
};

/** An EIP-1193 provider: `window.ethereum`, an EIP-6963 provider, WalletConnect's… */
export interface EIP1193Provider {
  request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: each EIP-1193 event has its own payload type
  on?(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: each EIP-1193 event has its own payload type
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

/** One of the dapp's own fallback endpoints. */
export interface Fallback {
  /** https, or http to localhost / 127.0.0.1 only. */
  url: string;
  /**
   * The operator's tracking policy, as chainlist records it. By default only `"none"`
   * endpoints are used (change with `settings.allowedTracking`).
   */
  tracking: Tracking;
}

/** A chain the bundled list does not know (or that you want to name yourself). */
export interface ChainInfo {
  chainId: number;
  name: string;
  shortName?: string;
  nativeCurrency: { name: string; symbol: string; decimals: number };
  blockExplorerUrls?: string[];
}

/** The engine's thresholds (see the README's settings table); unknown keys are refused. */
export interface Settings {
  mode?: Mode;
  requestTimeoutMs?: number;
  slowRequestMs?: number;
  openAfterConsecutiveFailures?: number;
  openErrorRate?: number;
  errorRateMinSamples?: number;
  windowSize?: number;
  windowMs?: number;
  cooldownMs?: number;
  maxCooldownMs?: number;
  closeAfterSuccesses?: number;
  hedgeFloorMs?: number;
  hedgeP95Factor?: number;
  hedgeMaxMs?: number;
  maxHeadLagBlocks?: number;
  candidatesPerChain?: number;
  probeIntervalHealthyMs?: number;
  probeIntervalDegradedMs?: number;
  probeTimeoutMs?: number;
  fallbackBudgetMs?: number;
  maxBodyBytes?: number;
  allowedTracking?: Tracking[];
  tickIntervalMs?: number;
  maxWalletsPerTab?: number;
  maxInFlightPerTab?: number;
}

export interface AttachOptions {
  /** The provider to protect. Its wallet methods (signing, accounts…) are never touched. */
  provider: EIP1193Provider;
  /**
   * The chain `fallbacks` belong to: a chain id from the bundled list (name and currency are
   * looked up in chains.json next to the module) or a ChainInfo.
   */
  chain?: number | ChainInfo;
  /**
   * Your fallback endpoints for `chain`. Without them, a bundled chain's public endpoints
   * are used.
   */
  fallbacks?: Fallback[];
  /** Instead of `chain` + `fallbacks`: a whole registry, for dapps on several chains. */
  chains?: ChainSpec[];
  /** The wallet's identity in the engine (e.g. its EIP-6963 rdns). Default "injected". */
  wallet?: string;
  /** "protect" (default): badge + hedged and rerouted reads; "suggest"; "observe". */
  mode?: Mode;
  /** Engine thresholds, for the rare page that needs other ones. */
  settings?: Settings;
  /**
   * Where the badge goes: a `<lifeline-badge>` element of yours, "floating" (bottom-right,
   * like the extension's), "none", or "auto" (default): the first unbound
   * `<lifeline-badge>` in the document, else a floating one.
   */
  badge?: HTMLElement | "auto" | "floating" | "none";
  /** Where to fetch the WASM module from; default: rpc_lifeline_bg.wasm next to embed.js. */
  wasmUrl?: string | URL;
}

/** What the badge shows (also the `state` event's detail). */
export interface BadgeModel {
  state: BadgeState | "standby";
  sentence: string;
  chainId?: number;
  chainName?: string;
  wallet?: string;
  walletCount?: number;
  fix?: { offered: boolean; status?: "pending" | "added" | "declined" | "refused"; text?: string };
}

/** One page request, as the `request` event reports it at each step. */
export interface RequestEntry {
  id: number;
  method: string;
  chainId: number;
  read: boolean;
  /** The engine's policy when the request started. */
  policy: Policy["mode"];
  startedAt: number;
  wallet: {
    state: "pending" | "ok" | "error" | "skipped";
    at?: number;
    ms?: number;
    error?: Observed;
  };
  fallback: null | {
    state: "pending" | "served" | "declined";
    reason: "walletError" | "hedge" | "reroute";
    at: number;
    ms?: number;
    /** The endpoint that served the read. */
    endpoint?: string;
    /** Why the engine did not serve it. */
    why?: string;
  };
  servedBy: "wallet" | "fallback" | null;
  outcome: "pending" | "ok" | "error";
  totalMs?: number;
}

export interface LifelineEventMap {
  /** The engine is running (detail: the registry it runs on). */
  ready: CustomEvent<{ chains: ChainSpec[] }>;
  /** The wallet's chain became known or changed. */
  chain: CustomEvent<{ chainId: number }>;
  /** Every engine action: policy, badge, probe, suggestFix. */
  action: CustomEvent<Action>;
  /** A page request changed (started, answered, served by a fallback…). */
  request: CustomEvent<RequestEntry>;
  /** A fallback read finished (served or declined). */
  fallback: CustomEvent<NonNullable<RequestEntry["fallback"]> & { method: string }>;
  /** The engine checked a fallback endpoint. */
  probe: CustomEvent<{ url: string; method: "eth_chainId" | "eth_blockNumber"; ms: number }>;
  /** The badge's model changed. */
  state: CustomEvent<BadgeModel | null>;
}

export interface LifelineAttachment extends EventTarget {
  /** The provider to give your dapp code (the original one when `steppedBack`). */
  readonly provider: EIP1193Provider;
  /** True when the RPC Lifeline extension already protects `provider`: this copy does nothing. */
  readonly steppedBack: boolean;
  /** Resolves true once the engine runs, false if it could not start (the page fails open). */
  readonly ready: Promise<boolean>;
  /** The wallet's chain, once known. */
  readonly chainId: number | undefined;
  /** What the badge shows now. */
  readonly state: BadgeModel | null;
  /** The engine's view: state, sentence, latency samples, p50/p95 of the wallet. */
  status(): TabStatus | null;
  setMode(mode: Mode): void;
  /** Asks the wallet to add the engine's suggested working RPC (EIP-3085). */
  addChainToWallet(): void;
  /** Stops the engine; the provider passes everything straight through from then on. */
  detach(): void;
  addEventListener<K extends keyof LifelineEventMap>(
    type: K,
    listener: (event: LifelineEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

/** Puts RPC Lifeline around a provider. Synchronous; the engine starts in the background. */
export function attachLifeline(options: AttachOptions): LifelineAttachment;

/** Whether the RPC Lifeline extension already wraps this provider. */
export function extensionProtects(provider: unknown): boolean;

/** The marker the extension's in-page wrapper answers on every provider it wraps. */
export const EXTENSION_MARK: unique symbol;

/** Loads the WASM engine once per page; resolves to the Lifeline class (for custom hosts). */
export function loadEngine(wasmUrl?: string | URL): Promise<typeof Lifeline>;

/** The bundled, validated chain list (chains.json next to the module). */
export function loadBundledChains(url?: string | URL): Promise<ChainSpec[]>;

/** The `<lifeline-badge>` custom element. */
export interface LifelineBadgeElement extends HTMLElement {
  lifeline: LifelineAttachment | null;
  show(model: BadgeModel | null): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "lifeline-badge": LifelineBadgeElement;
  }
}
