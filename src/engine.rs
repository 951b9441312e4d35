//! The decision state machine. Events go in through [`Engine::handle`] with the current
//! time; actions come out of [`Engine::poll_action`]. The engine reads no clock and does no
//! I/O: the host performs probes and fallback reads and reports what came back.
//!
//! When to poll: after every call to `handle`, `begin_fallback` or `fallback_answered`,
//! drain `poll_action` until it returns `None`. `poll_timeout` says when the next `Tick`
//! is wanted; its answer may change after any of those calls.

use crate::badge::{BadgeState, Verdict};
use crate::head_truth::{self, Report};
use crate::health::{Circuit, EndpointHealth, Head};
use crate::method::{MethodClass, carries_account_data, classify_method};
use crate::outcome::{Failure, FailureKind, Observed, Outcome, classify};
use crate::registry::{ChainId, ChainSpec, Endpoint, Registry, RegistryError, Verification};
use crate::settings::{InvalidSetting, Mode, Settings};
use crate::suggest::{AddChainParams, add_chain_params};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, VecDeque};

pub type TabId = u32;

/// Longest wallet identity (an EIP-6963 rdns) or method name accepted from a page.
pub const MAX_NAME_LEN: usize = 64;
/// Open tabs tracked at once; beyond this the least recently active is forgotten.
const MAX_TABS: usize = 512;
/// Fallback reads in progress at once across all tabs.
const MAX_FALLBACKS: usize = 1024;
/// How long "has recovered" stays in the badge sentence.
const RECOVERED_NOTICE_MS: u64 = 30_000;
/// Timed-out reads are remembered this many time-outs long so a late answer is not
/// counted twice.
const LATE_ANSWER_GRACE_FACTOR: u64 = 10;
/// A probed head may climb at most this many times the blocks the chain can have made since
/// the last look (slack for a learned interval that is a little off).
const PLAUSIBLE_GROWTH_FACTOR: u64 = 2;
/// A verified endpoint's chain id is asked again after this long: an endpoint may be
/// re-pointed at another network behind the same URL.
const CHAIN_RECHECK_MS: u64 = 600_000;
/// How long a failure, or a fallback answering for the wallet, keeps it suspect: reads that
/// carry account data may be hedged meanwhile.
const SUSPECT_MS: u64 = 10_000;
/// How long a fallback that failed one of a tab's reads is tried last for that tab (a flapping
/// endpoint that the probes have not caught yet would otherwise cost every read two requests),
/// and how many such endpoints a tab remembers.
const FAILED_FOR_TAB_MS: u64 = 5_000;
const MAX_FAILED_FOR_TAB: usize = 8;
/// Granularity of the published hedge delay.
const HEDGE_DELAY_STEP_MS: u64 = 10;

/// Milliseconds from JS arrive as floats (`performance.now()` differences); accept them and
/// clamp instead of failing on a fraction or a negative.
fn lenient_ms<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = f64::deserialize(d)?;
    Ok(if v.is_finite() && v > 0.0 { v.min(u64::MAX as f64) as u64 } else { 0 })
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Event {
    RequestStarted {
        tab: TabId,
        wallet: String,
        chain_id: ChainId,
        method: String,
        request_id: u64,
    },
    RequestFinished {
        tab: TabId,
        wallet: String,
        chain_id: ChainId,
        method: String,
        request_id: u64,
        #[serde(deserialize_with = "lenient_ms")]
        latency_ms: u64,
        outcome: Observed,
        #[serde(default)]
        block_number: Option<u64>,
    },
    TabClosed {
        tab: TabId,
    },
    /// The hash of block 0 as the tab's wallet answered it: the chain the wallet is on. It
    /// narrows which endpoints serve this wallet only; shared endpoint state is not touched.
    WalletGenesis {
        tab: TabId,
        wallet: String,
        chain_id: ChainId,
        hash: String,
    },
    /// A per-site mode for one tab, or `None` to follow the global setting.
    TabMode {
        tab: TabId,
        mode: Option<Mode>,
    },
    Tick,
    SettingsChanged {
        settings: Settings,
    },
    ProbeAnswered {
        probe_id: u64,
        #[serde(deserialize_with = "lenient_ms")]
        latency_ms: u64,
        outcome: Observed,
        /// The quantity the probe returned (chain id or block number) when it succeeded.
        #[serde(default)]
        value: Option<u64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Policy {
    /// Everything goes to the wallet, untouched.
    Pass,
    /// Reads go to the wallet; if it has not answered after `after_ms`, ask for a fallback.
    /// With `check_head` (the wallet's head looks frozen), an `eth_blockNumber` read is asked
    /// of both at once and the page gets the newer head: a frozen head is not yet proven stale,
    /// and a half-open trial must not show the page a head the wallet is still stuck on.
    /// Reads that carry account data are hedged only with `account_reads` (the wallet is
    /// suspect): while it is healthy, the user's addresses stay with the provider they chose.
    Hedge { after_ms: u64, check_head: bool, account_reads: bool },
    /// Reads go straight to a fallback (the wallet is asked only if that fails).
    Reroute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeMethod {
    #[serde(rename = "eth_chainId")]
    ChainId,
    /// The genesis block (`eth_getBlockByNumber("0x0")`): a chain id can be reused by a fork,
    /// a reset testnet or a local node; the first block cannot. Its answer is the block's
    /// fingerprint ([`crate::jsonrpc::block_fingerprint`]).
    #[serde(rename = "eth_getBlockByNumber")]
    Genesis,
    #[serde(rename = "eth_blockNumber")]
    BlockNumber,
}

impl ProbeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChainId => "eth_chainId",
            Self::Genesis => "eth_getBlockByNumber",
            Self::BlockNumber => "eth_blockNumber",
        }
    }

    /// The params, as JSON text: none carries anything about the user.
    pub fn params_json(self) -> &'static str {
        match self {
            Self::Genesis => r#"["0x0",false]"#,
            Self::ChainId | Self::BlockNumber => "[]",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Action {
    Policy { tab: TabId, wallet: String, chain_id: ChainId, policy: Policy },
    Badge { tab: TabId, wallet: String, chain_id: ChainId, state: BadgeState, sentence: String },
    Probe { probe_id: u64, chain_id: ChainId, url: String, method: ProbeMethod },
    SuggestFix { tab: TabId, wallet: String, chain_id: ChainId, params: AddChainParams },
}

/// Why a page asks for a fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FallbackReason {
    WalletError,
    Hedge,
    Reroute,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FallbackRequest {
    pub tab: TabId,
    pub wallet: String,
    pub chain_id: ChainId,
    pub method: String,
    pub reason: FallbackReason,
    #[serde(default)]
    pub wallet_error: Option<Observed>,
    /// The page read a hedge races (the id of its `RequestStarted`), when the host knows it.
    #[serde(default)]
    pub request_id: Option<u64>,
}

/// The next step of serving one read from fallbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackStep {
    /// Send the read to `url` within `timeout_ms`, then call `fallback_answered`.
    Send { ticket: u64, url: String, timeout_ms: u64 },
    /// The last answer came from `url` and is what the page gets.
    Served { url: String },
    /// Not served; the page gets the wallet's own answer.
    Declined { reason: &'static str },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    InvalidName(&'static str),
    InvalidHash,
    TooManyWallets,
    Setting(InvalidSetting),
    Registry(RegistryError),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidName(what) => write!(f, "invalid {what}: empty or over {MAX_NAME_LEN} bytes"),
            Self::InvalidHash => write!(f, "invalid block hash: not 0x and 64 hex digits"),
            Self::TooManyWallets => write!(f, "this tab already has the maximum number of tracked wallets"),
            Self::Setting(e) => e.fmt(f),
            Self::Registry(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EngineError {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InFlight {
    wallet: String,
    chain_id: ChainId,
    started_ms: u64,
    /// Time-outs already counted for this read: one per `request_timeout_ms` it stays
    /// unanswered. A hung request is ongoing evidence, and dapps (viem's request cache)
    /// often wait on one hung read instead of sending more.
    timeouts: u32,
    /// A fallback has answered this very read while the wallet still has not: the chain is
    /// answering, so the wallet's time-outs run from `slow_request_ms` rather than the full
    /// `request_timeout_ms` (every read duplicated until then is upstream load).
    #[serde(default)]
    beaten: bool,
}

/// What the engine knows of one wallet on one chain in one tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WalletState {
    wallet: String,
    chain_id: ChainId,
    health: EndpointHealth,
    /// Not saved: after a restart every verdict is announced again to the reconnected tabs.
    #[serde(skip)]
    published_policy: Option<Policy>,
    #[serde(skip)]
    published_badge: Option<(BadgeState, String)>,
    fix_suggested: bool,
    was_open: bool,
    recovered_until_ms: u64,
    /// Until when a fallback that beat it keeps the wallet suspect.
    #[serde(default)]
    suspect_until_ms: u64,
    /// The fingerprint of the wallet's own block 0, once it answered it.
    #[serde(default)]
    genesis: Option<u64>,
}

impl WalletState {
    fn new(wallet: &str, chain_id: ChainId) -> Self {
        Self {
            wallet: wallet.to_owned(),
            chain_id,
            health: EndpointHealth::default(),
            published_policy: None,
            published_badge: None,
            fix_suggested: false,
            was_open: false,
            recovered_until_ms: 0,
            suspect_until_ms: 0,
            genesis: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TabState {
    wallets: Vec<WalletState>,
    in_flight: BTreeMap<u64, InFlight>,
    /// The newest block this page has been shown, per chain: a rerouted read never goes
    /// back in time behind it.
    #[serde(default)]
    shown_heads: Vec<(ChainId, Head)>,
    mode: Option<Mode>,
    last_active_ms: u64,
    /// Fallbacks that failed one of this tab's reads lately, and until when they are tried
    /// last for it. The tab's own business: shared health is judged from probes only.
    #[serde(skip)]
    failed_for_me: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ProbeInFlight {
    chain_id: ChainId,
    url: String,
    method: ProbeMethod,
    sent_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct FallbackInFlight {
    tab: TabId,
    wallet: String,
    chain_id: ChainId,
    method: String,
    url: String,
    tried: Vec<String>,
    /// Endpoints that accepted it; a signed transaction goes to up to two.
    accepted: Vec<String>,
    deadline_ms: u64,
    /// The page read this hedge races, if known.
    hedged_read: Option<u64>,
}

impl FallbackInFlight {
    fn is_broadcast(&self) -> bool {
        classify_method(&self.method) == MethodClass::Broadcast
    }
}

/// Endpoints a signed transaction is broadcast to while the wallet's RPC fails.
const BROADCAST_FANOUT: usize = 2;

/// Health the engine keeps across a service-worker restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedState {
    tabs: BTreeMap<TabId, TabState>,
    endpoints: Vec<SavedEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedEndpoint {
    chain_id: ChainId,
    url: String,
    verification: Verification,
    health: EndpointHealth,
    last_probe_ms: Option<u64>,
    #[serde(default)]
    chain_checked_ms: Option<u64>,
    #[serde(default)]
    genesis: Option<u64>,
}

/// One wallet's view for the popup.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletStatus {
    pub wallet: String,
    pub chain_id: ChainId,
    pub chain_name: String,
    pub state: BadgeState,
    pub sentence: String,
    pub latency_ms: Vec<u64>,
    pub errors: Vec<u8>,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TabStatus {
    pub mode: Mode,
    pub wallets: Vec<WalletStatus>,
}

struct ProbeNeeds {
    interval_ms: u64,
    recheck_after_ms: Option<u64>,
}

pub struct Engine {
    settings: Settings,
    registry: Registry,
    tabs: BTreeMap<TabId, TabState>,
    probes: BTreeMap<u64, ProbeInFlight>,
    fallbacks: BTreeMap<u64, FallbackInFlight>,
    next_id: u64,
    now_ms: u64,
    actions: VecDeque<Action>,
}

impl Engine {
    pub fn new(settings: Settings, chains: Vec<ChainSpec>) -> Result<Self, EngineError> {
        settings.validate().map_err(EngineError::Setting)?;
        Ok(Self {
            settings,
            registry: Registry::from_specs(chains).map_err(EngineError::Registry)?,
            tabs: BTreeMap::new(),
            probes: BTreeMap::new(),
            fallbacks: BTreeMap::new(),
            next_id: 1,
            now_ms: 0,
            actions: VecDeque::new(),
        })
    }

    /// Rebuilds an engine from fresh settings and chains plus saved health: endpoints are
    /// matched by (chain, url), so endpoints the user removed meanwhile are dropped.
    pub fn restore(
        settings: Settings,
        chains: Vec<ChainSpec>,
        saved: SavedState,
    ) -> Result<Self, EngineError> {
        let mut engine = Self::new(settings, chains)?;
        for s in saved.endpoints {
            let endpoint = engine
                .registry
                .chain_mut(s.chain_id)
                .and_then(|c| c.endpoint_index(&s.url).and_then(|i| c.endpoints.get_mut(i)));
            if let Some(e) = endpoint {
                e.verification = s.verification;
                e.health = s.health;
                e.last_probe_ms = s.last_probe_ms;
                e.chain_checked_ms = s.chain_checked_ms;
                e.genesis = s.genesis;
                // Only chains in use are saved: a Retry-After binds the server on every chain.
                engine.registry.share_backoff(&s.url);
            }
        }
        engine.tabs = saved.tabs;
        engine.tabs.retain(|_, t| t.wallets.len() <= engine.settings.max_wallets_per_tab);
        Ok(engine)
    }

    pub fn save(&self) -> SavedState {
        let mut endpoints = Vec::new();
        let mut chains: Vec<ChainId> =
            self.tabs.values().flat_map(|t| t.wallets.iter().map(|w| w.chain_id)).collect();
        chains.sort_unstable();
        chains.dedup();
        // Chains open tabs use, and any endpoint with a Retry-After still pending: it binds
        // the server even while no tab uses that chain.
        let now = self.now_ms;
        for chain in self.registry.chains() {
            let in_use = chains.binary_search(&chain.spec.chain_id).is_ok();
            let kept = chain
                .endpoints
                .iter()
                .filter(|e| e.last_probe_ms.is_some() && (in_use || e.health.backoff_until_ms() > now));
            for e in kept {
                endpoints.push(SavedEndpoint {
                    chain_id: chain.spec.chain_id,
                    url: e.url.clone(),
                    verification: e.verification,
                    health: e.health.clone(),
                    last_probe_ms: e.last_probe_ms,
                    chain_checked_ms: e.chain_checked_ms,
                    genesis: e.genesis,
                });
            }
        }
        SavedState { tabs: self.tabs.clone(), endpoints }
    }

    /// The URL and method of a probe the engine asked for and has not had answered.
    pub fn probe_target(&self, probe_id: u64) -> Option<(String, ProbeMethod)> {
        self.probes.get(&probe_id).map(|p| (p.url.clone(), p.method))
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When the host should next send a `Tick`, or `None` when nothing is pending.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self
            .tabs
            .values()
            .any(|t| t.in_flight.values().any(|f| f.timeouts < self.settings.open_after_consecutive_failures))
        {
            return Some(self.now_ms.saturating_add(self.settings.tick_interval_ms));
        }
        let circuits =
            self.tabs.values().flat_map(|t| t.wallets.iter().filter_map(|w| w.health.next_change_ms()));
        let probes = self.active_chains().into_iter().filter_map(|id| self.next_probe_due(id));
        circuits.chain(probes).min()
    }

    pub fn handle(&mut self, event: Event, now_ms: u64) -> Result<(), EngineError> {
        // Time never runs backwards inside the engine, whatever the host's clock does.
        self.now_ms = self.now_ms.max(now_ms);
        let now = self.now_ms;
        match event {
            Event::RequestStarted { tab, wallet, chain_id, method, request_id } => {
                check_name(&wallet, "wallet")?;
                check_name(&method, "method")?;
                self.wallet_mut(tab, &wallet, chain_id)?;
                let cap = self.settings.max_in_flight_per_tab;
                if let Some(state) = self.tabs.get_mut(&tab)
                    && classify_method(&method) == MethodClass::Read
                    && state.in_flight.len() < cap
                {
                    state.in_flight.insert(
                        request_id,
                        InFlight { wallet, chain_id, started_ms: now, timeouts: 0, beaten: false },
                    );
                }
                self.refresh_tab(tab);
            }
            Event::RequestFinished {
                tab,
                wallet,
                chain_id,
                method,
                request_id,
                latency_ms,
                outcome,
                block_number,
            } => {
                check_name(&wallet, "wallet")?;
                check_name(&method, "method")?;
                let already_counted = self
                    .tabs
                    .get_mut(&tab)
                    .and_then(|t| t.in_flight.remove(&request_id))
                    .is_some_and(|f| f.timeouts > 0);
                let class = classify_method(&method);
                // Only a block number is judged against the endpoints' heads.
                let endpoint_heads = if method == "eth_blockNumber" {
                    self.registry.chain(chain_id).map(|c| c.head_reports(None)).unwrap_or_default()
                } else {
                    Vec::new()
                };
                let settings = self.settings.clone();
                let mut shown_head = None;
                let state = self.wallet_mut(tab, &wallet, chain_id)?;
                if !already_counted && class != MethodClass::Wallet {
                    let mut judged = classify(&outcome);
                    // An answer after the time-out is a time-out, whether or not a tick counted
                    // it first: a late success must not reset the wallet's failure count.
                    if judged.failure().is_none() && latency_ms >= settings.request_timeout_ms {
                        judged = Outcome::Infra {
                            failure: Failure { kind: FailureKind::Timeout, retry_after_ms: None },
                        };
                    }
                    if let (Outcome::Success, Some(head), "eth_blockNumber") =
                        (judged, block_number, method.as_str())
                    {
                        shown_head = Some(head);
                        state.health.record_head(head, now);
                        if head_is_stale(&state.health, head, &endpoint_heads, now, &settings) {
                            judged = Outcome::Infra {
                                failure: Failure { kind: FailureKind::StaleHead, retry_after_ms: None },
                            };
                        }
                    }
                    match judged {
                        // A stale wallet answers every read wrongly, however many succeed.
                        Outcome::Infra { failure } if failure.kind == FailureKind::StaleHead => {
                            state.health.record_conclusive(now, latency_ms, failure, &settings);
                        }
                        _ => state.health.record(now, latency_ms, &judged, &settings),
                    }
                }
                if let Some(head) = shown_head {
                    self.note_shown_head(tab, chain_id, head);
                }
                self.refresh_tab(tab);
            }
            Event::WalletGenesis { tab, wallet, chain_id, hash } => {
                check_name(&wallet, "wallet")?;
                let genesis = crate::jsonrpc::hash_fingerprint(&hash).ok_or(EngineError::InvalidHash)?;
                self.wallet_mut(tab, &wallet, chain_id)?.genesis = Some(genesis);
                self.refresh_tab(tab);
            }
            Event::TabClosed { tab } => {
                self.tabs.remove(&tab);
                self.fallbacks.retain(|_, f| f.tab != tab);
            }
            Event::TabMode { tab, mode } => {
                if let Some(state) = self.tabs.get_mut(&tab) {
                    state.mode = mode;
                }
                self.refresh_tab(tab);
            }
            Event::Tick => self.tick(),
            Event::SettingsChanged { settings } => {
                settings.validate().map_err(EngineError::Setting)?;
                self.settings = settings;
                self.refresh_all();
            }
            Event::ProbeAnswered { probe_id, latency_ms, outcome, value } => {
                self.probe_answered(probe_id, latency_ms, &outcome, value);
            }
        }
        self.schedule_probes();
        Ok(())
    }

    fn tick(&mut self) {
        let now = self.now_ms;
        let settings = self.settings.clone();
        let timeout =
            Outcome::Infra { failure: Failure { kind: FailureKind::Timeout, retry_after_ms: None } };
        let grace = settings.request_timeout_ms.saturating_mul(LATE_ANSWER_GRACE_FACTOR);
        for tab in self.tabs.values_mut() {
            let mut expired = Vec::new();
            for flight in tab.in_flight.values_mut() {
                let age = now.saturating_sub(flight.started_ms);
                let period =
                    if flight.beaten { settings.slow_request_ms } else { settings.request_timeout_ms };
                let due = u32::try_from(age.checked_div(period).unwrap_or(0))
                    .unwrap_or(u32::MAX)
                    .min(settings.open_after_consecutive_failures);
                while flight.timeouts < due {
                    flight.timeouts += 1;
                    expired.push((flight.wallet.clone(), flight.chain_id, age));
                }
            }
            tab.in_flight.retain(|_, f| f.timeouts == 0 || now.saturating_sub(f.started_ms) < grace);
            for (wallet, chain_id, age) in expired {
                if let Some(w) = tab.wallets.iter_mut().find(|w| w.wallet == wallet && w.chain_id == chain_id)
                {
                    w.health.record(now, age, &timeout, &settings);
                }
            }
            for w in &mut tab.wallets {
                w.health.advance(now, &settings);
            }
        }
        for chain in self.registry.chains_mut() {
            for e in &mut chain.endpoints {
                e.health.advance(now, &settings);
            }
        }
        let probe_expiry = settings.probe_timeout_ms.saturating_mul(2);
        self.probes.retain(|_, p| now.saturating_sub(p.sent_ms) < probe_expiry);
        self.fallbacks.retain(|_, f| now < f.deadline_ms.saturating_add(settings.probe_timeout_ms));
        self.refresh_all();
    }

    fn probe_answered(&mut self, probe_id: u64, latency_ms: u64, outcome: &Observed, value: Option<u64>) {
        let Some(probe) = self.probes.remove(&probe_id) else { return };
        let now = self.now_ms;
        let settings = self.settings.clone();
        let Some(chain) = self.registry.chain_mut(probe.chain_id) else { return };
        let interval_ms = chain.interval_ms();
        let Some(endpoint) = chain.endpoint_index(&probe.url).and_then(|i| chain.endpoints.get_mut(i)) else {
            return;
        };
        let mut judged = classify(outcome);
        if probe.method == ProbeMethod::ChainId {
            endpoint.chain_checked_ms = Some(now);
        }
        match (judged, value, probe.method) {
            (Outcome::Success, Some(id), ProbeMethod::ChainId) if id == probe.chain_id => {
                endpoint.verification = Verification::Verified
            }
            (Outcome::Success, Some(id), ProbeMethod::ChainId) => {
                endpoint.verification = Verification::WrongChain { reported: id };
                judged = Outcome::Infra {
                    failure: Failure { kind: FailureKind::WrongChain, retry_after_ms: None },
                };
            }
            (Outcome::Success, Some(fingerprint), ProbeMethod::Genesis) => {
                endpoint.genesis = Some(fingerprint);
            }
            (Outcome::Success, Some(head), ProbeMethod::BlockNumber) => {
                // A jump larger than the chain can have made since the last look is capped: a
                // lying endpoint climbs no faster than the chain does.
                let capped = endpoint.health.head().map_or(head, |h| {
                    let growth = head_truth::plausible_growth(now.saturating_sub(h.seen_ms), interval_ms);
                    head.min(
                        h.number
                            .saturating_add(growth.saturating_mul(PLAUSIBLE_GROWTH_FACTOR))
                            .saturating_add(settings.max_head_lag_blocks),
                    )
                });
                endpoint.health.record_head(capped, now)
            }
            (Outcome::Success, None, _) => {
                judged = Outcome::Infra {
                    failure: Failure { kind: FailureKind::Malformed, retry_after_ms: None },
                };
            }
            _ => {}
        }
        endpoint.health.record(now, latency_ms, &judged, &settings);
        self.registry.share_backoff(&probe.url);
        self.refresh_chain(probe.chain_id);
    }

    /// Starts serving one read from fallbacks. The host assigns nothing: the engine
    /// returns the ticket to quote in `fallback_answered`.
    pub fn begin_fallback(&mut self, request: FallbackRequest, now_ms: u64) -> FallbackStep {
        self.now_ms = self.now_ms.max(now_ms);
        let now = self.now_ms;
        // A signed transaction goes to the wallet first, always: it may leave the wallet's path
        // only after the wallet itself answered *that* transaction with an infrastructure
        // failure, never on a policy or circuit state (a wallet may use a private mempool on
        // purpose).
        let allowed_class = match classify_method(&request.method) {
            MethodClass::Read => true,
            MethodClass::Broadcast => request.reason == FallbackReason::WalletError,
            MethodClass::Wallet => false,
        };
        if !allowed_class {
            return FallbackStep::Declined { reason: "only read requests are ever served by a fallback" };
        }
        let Some(state) = self.tabs.get(&request.tab) else {
            return FallbackStep::Declined { reason: "this tab has no wallet activity" };
        };
        if state.mode.unwrap_or(self.settings.mode) != Mode::Protect {
            return FallbackStep::Declined { reason: "reads are only rerouted in Protect mode" };
        }
        let policy = state
            .wallets
            .iter()
            .find(|w| w.wallet == request.wallet && w.chain_id == request.chain_id)
            .and_then(|w| w.published_policy)
            .unwrap_or(Policy::Pass);
        let allowed = match request.reason {
            FallbackReason::WalletError => {
                request.wallet_error.as_ref().is_some_and(|e| classify(e).failure().is_some())
            }
            FallbackReason::Hedge => match policy {
                Policy::Hedge { account_reads, .. } => {
                    account_reads || !carries_account_data(&request.method)
                }
                Policy::Reroute => true,
                Policy::Pass => false,
            },
            FallbackReason::Reroute => policy == Policy::Reroute,
        };
        if !allowed {
            return FallbackStep::Declined { reason: "the wallet's answer stands" };
        }
        if self.fallbacks.len() >= MAX_FALLBACKS {
            return FallbackStep::Declined { reason: "too many fallback reads in progress" };
        }
        if self.fallbacks.values().filter(|f| f.tab == request.tab).count()
            >= self.settings.max_fallbacks_per_tab
        {
            return FallbackStep::Declined {
                reason: "this tab already has its share of fallback reads in progress",
            };
        }
        let flight = FallbackInFlight {
            tab: request.tab,
            wallet: request.wallet,
            chain_id: request.chain_id,
            method: request.method,
            url: String::new(),
            tried: Vec::new(),
            accepted: Vec::new(),
            deadline_ms: now.saturating_add(self.settings.fallback_budget_ms),
            hedged_read: request.request_id.filter(|_| request.reason == FallbackReason::Hedge),
        };
        let ticket = self.next_id();
        self.next_fallback_attempt(ticket, flight)
    }

    /// Reports the answer of a fallback read started by `FallbackStep::Send`.
    pub fn fallback_answered(
        &mut self,
        ticket: u64,
        outcome: &Observed,
        block_number: Option<u64>,
        now_ms: u64,
    ) -> FallbackStep {
        self.now_ms = self.now_ms.max(now_ms);
        let now = self.now_ms;
        let Some(mut flight) = self.fallbacks.remove(&ticket) else {
            return FallbackStep::Declined { reason: "unknown or expired fallback ticket" };
        };
        let settings = self.settings.clone();
        let shown = self.shown_head(flight.tab, flight.chain_id);
        let Some(chain) = self.registry.chain_mut(flight.chain_id) else {
            return FallbackStep::Declined { reason: "the chain is no longer known" };
        };
        let Some(index) = chain.endpoint_index(&flight.url) else {
            return FallbackStep::Declined { reason: "the endpoint was removed" };
        };
        let others = chain.head_reports(Some(index));
        let interval_ms = chain.interval_ms();
        let Some(endpoint) = chain.endpoints.get_mut(index) else {
            return FallbackStep::Declined { reason: "the endpoint was removed" };
        };
        let judged = classify(outcome);
        let max_lag = settings.max_head_lag_blocks;
        // A head a quorum of others had passed, or one far ahead of all of them, is not served.
        let mut untrusted_head = false;
        if let (Outcome::Success, Some(head), "eth_blockNumber") =
            (judged, block_number, flight.method.as_str())
        {
            endpoint.health.record_head(head, now);
            untrusted_head = head_truth::behind(head, now, &others, max_lag, 0)
                || head_truth::ahead_of_all(head, now, &others, max_lag, interval_ms);
        }
        // The page chose this read's method and params, so how it fared says nothing about
        // the endpoint (a ten-million-block getLogs fails everywhere): it moves only this
        // attempt on. Shared health is judged from the engine's own probes. A Retry-After is
        // the server's own word about our address and is honoured for everyone.
        if let Some(retry_ms) = judged.failure().and_then(|f| f.retry_after_ms) {
            endpoint.health.extend_backoff(now.saturating_add(retry_ms));
            self.registry.share_backoff(&flight.url);
        }
        // Behind what this page was already shown: not served.
        let behind_page = matches!((judged, block_number, shown), (Outcome::Success, Some(head), Some(s)) if head < s.number);
        if judged.failure().is_some() || behind_page || untrusted_head {
            if let Some(tab) = self.tabs.get_mut(&flight.tab) {
                tab.failed_for_me.retain(|(url, until)| *until > now && *url != flight.url);
                if tab.failed_for_me.len() < MAX_FAILED_FOR_TAB {
                    tab.failed_for_me.push((flight.url.clone(), now.saturating_add(FAILED_FOR_TAB_MS)));
                }
            }
            self.refresh_chain(flight.chain_id);
            return self.next_fallback_attempt(ticket, flight);
        }
        if let (Some(head), "eth_blockNumber") = (block_number, flight.method.as_str()) {
            self.note_shown_head(flight.tab, flight.chain_id, head);
        }
        flight.accepted.push(flight.url.clone());
        if flight.is_broadcast() && flight.accepted.len() < BROADCAST_FANOUT {
            return self.next_fallback_attempt(ticket, flight);
        }
        if let Some(read) = flight.hedged_read.and_then(|id| {
            let tab = self.tabs.get_mut(&flight.tab)?;
            tab.in_flight.get_mut(&id).filter(|r| r.wallet == flight.wallet && r.chain_id == flight.chain_id)
        }) {
            read.beaten = true;
        }
        // A fallback answered for this wallet (it erred, or was slower than its hedge delay):
        // reads with account data may follow for a while.
        if let Some(w) = self.tabs.get_mut(&flight.tab).and_then(|t| {
            t.wallets.iter_mut().find(|w| w.wallet == flight.wallet && w.chain_id == flight.chain_id)
        }) {
            w.suspect_until_ms = now.saturating_add(SUSPECT_MS);
        }
        self.refresh_tab(flight.tab);
        // The page gets the first answer (for a broadcast, the first endpoint that took it).
        let url = flight.accepted.first().cloned().unwrap_or(flight.url);
        FallbackStep::Served { url }
    }

    fn shown_head(&self, tab: TabId, chain_id: ChainId) -> Option<Head> {
        let state = self.tabs.get(&tab)?;
        state.shown_heads.iter().find(|(c, _)| *c == chain_id).map(|(_, h)| *h)
    }

    fn note_shown_head(&mut self, tab: TabId, chain_id: ChainId, head: u64) {
        let cap = self.settings.max_wallets_per_tab;
        let seen = Head { number: head, seen_ms: self.now_ms };
        let Some(state) = self.tabs.get_mut(&tab) else { return };
        let heads = &mut state.shown_heads;
        match heads.iter().position(|(c, _)| *c == chain_id) {
            Some(i) => {
                if let Some((_, shown)) = heads.get_mut(i)
                    && head > shown.number
                {
                    *shown = seen;
                }
            }
            // Bounded like the wallets: one entry per chain the tab's wallets are on.
            None if heads.len() < cap => heads.push((chain_id, seen)),
            None => {}
        }
    }

    fn next_fallback_attempt(&mut self, ticket: u64, mut flight: FallbackInFlight) -> FallbackStep {
        let now = self.now_ms;
        let shown = self.shown_head(flight.tab, flight.chain_id);
        let failed_for_me = self.tabs.get(&flight.tab).map_or(&[][..], |t| t.failed_for_me.as_slice());
        let failed_for_me = |url: &str| failed_for_me.iter().any(|(u, until)| u == url && *until > now);
        let next = self
            .registry
            .chain(flight.chain_id)
            .and_then(|c| {
                let eligible: Vec<&Endpoint> = c
                    .servable_indices(
                        &self.settings,
                        now,
                        self.wallet_genesis(flight.tab, &flight.wallet, flight.chain_id),
                    )
                    .into_iter()
                    .filter_map(|i| c.endpoints.get(i))
                    .filter(|e| !flight.tried.contains(&e.url))
                    // No time travel: skip an endpoint known to be behind what the page saw (a
                    // head probed after the page saw its block, and still lower). An older probe
                    // proves nothing; an eth_blockNumber answer itself is checked exactly.
                    .filter(|e| {
                        shown.is_none_or(|s| {
                            e.health.head().is_some_and(|h| h.number >= s.number || h.seen_ms < s.seen_ms)
                        })
                    })
                    .collect();
                // One that failed this tab's reads lately goes last, for this tab only.
                eligible.iter().find(|e| !failed_for_me(&e.url)).or(eligible.first()).map(|e| e.url.clone())
            })
            .filter(|_| now < flight.deadline_ms);
        let Some(url) = next else {
            if let Some(first) = flight.accepted.first() {
                return FallbackStep::Served { url: first.clone() };
            }
            if now >= flight.deadline_ms {
                return FallbackStep::Declined { reason: "the fallbacks ran out of time" };
            }
            return FallbackStep::Declined {
                reason: if flight.tried.is_empty() {
                    "no verified fallback endpoint is available"
                } else {
                    "every fallback endpoint failed"
                },
            };
        };
        let timeout_ms = self.settings.probe_timeout_ms.min(flight.deadline_ms - now);
        flight.tried.push(url.clone());
        flight.url = url.clone();
        self.fallbacks.insert(ticket, flight);
        FallbackStep::Send { ticket, url, timeout_ms }
    }

    /// The popup's view of one tab.
    pub fn status(&self, tab: TabId) -> TabStatus {
        let state = self.tabs.get(&tab);
        let mode = state.and_then(|t| t.mode).unwrap_or(self.settings.mode);
        let wallets = state
            .map(|t| {
                t.wallets
                    .iter()
                    .map(|w| {
                        let serving = self.serving(w);
                        let (badge, sentence) =
                            self.verdict(t, w, &serving).unwrap_or((BadgeState::Healthy, String::new()));
                        WalletStatus {
                            wallet: w.wallet.clone(),
                            chain_id: w.chain_id,
                            chain_name: self.registry.chain_name(w.chain_id),
                            state: badge,
                            sentence,
                            latency_ms: w.health.samples().map(|s| s.latency_ms).collect(),
                            errors: w.health.samples().map(|s| u8::from(s.failure.is_some())).collect(),
                            p50_ms: w.health.latency_percentile(50),
                            p95_ms: w.health.latency_percentile(95),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        TabStatus { mode, wallets }
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    fn wallet_mut(
        &mut self,
        tab: TabId,
        wallet: &str,
        chain_id: ChainId,
    ) -> Result<&mut WalletState, EngineError> {
        if !self.tabs.contains_key(&tab) && self.tabs.len() >= MAX_TABS {
            let stalest = self.tabs.iter().min_by_key(|(_, t)| t.last_active_ms).map(|(id, _)| *id);
            if let Some(id) = stalest {
                self.tabs.remove(&id);
            }
        }
        let max_wallets = self.settings.max_wallets_per_tab;
        let state = self.tabs.entry(tab).or_default();
        state.last_active_ms = self.now_ms;
        let index = match state.wallets.iter().position(|w| w.wallet == wallet && w.chain_id == chain_id) {
            Some(i) => i,
            None if state.wallets.len() >= max_wallets => return Err(EngineError::TooManyWallets),
            None => {
                state.wallets.push(WalletState::new(wallet, chain_id));
                state.wallets.len() - 1
            }
        };
        state.wallets.get_mut(index).ok_or(EngineError::TooManyWallets)
    }

    fn active_chains(&self) -> Vec<ChainId> {
        let mut chains: Vec<ChainId> =
            self.tabs.values().flat_map(|t| t.wallets.iter().map(|w| w.chain_id)).collect();
        chains.sort_unstable();
        chains.dedup();
        chains
    }

    /// What the wallets on a chain ask of its probes, in one pass over the tabs: the faster
    /// cadence while any is less than healthy or its head looks frozen (a fresh fallback head
    /// is what proves a frozen one stale), and the time before which a fallback's head cannot
    /// judge a frozen one.
    fn probe_needs(&self, chain_id: ChainId) -> ProbeNeeds {
        let mut troubled = false;
        let mut recheck_after_ms = None;
        for w in self.tabs.values().flat_map(|t| t.wallets.iter()).filter(|w| w.chain_id == chain_id) {
            let frozen_recheck = w.health.frozen_recheck_after_ms();
            troubled |= frozen_recheck.is_some()
                || w.published_badge.as_ref().is_some_and(|(s, _)| *s != BadgeState::Healthy);
            recheck_after_ms = recheck_after_ms.max(frozen_recheck);
        }
        let interval_ms = if troubled {
            self.settings.probe_interval_degraded_ms
        } else {
            self.settings.probe_interval_healthy_ms
        };
        ProbeNeeds { interval_ms, recheck_after_ms }
    }

    fn next_probe_due(&self, chain_id: ChainId) -> Option<u64> {
        let chain = self.registry.chain(chain_id)?;
        let interval = self.probe_needs(chain_id).interval_ms;
        chain
            .candidate_indices(&self.settings, self.now_ms)
            .into_iter()
            .filter_map(|i| chain.endpoints.get(i))
            .map(|e| {
                e.last_probe_ms
                    .map_or(self.now_ms, |t| t.saturating_add(interval))
                    .max(e.health.backoff_until_ms())
            })
            .min()
    }

    /// Asks for the probes that are due: `eth_chainId` once per endpoint, then
    /// `eth_blockNumber` per candidate at the interval the chain's state calls for. Only
    /// chains that an open tab uses are probed.
    fn schedule_probes(&mut self) {
        let now = self.now_ms;
        let degraded = self.settings.probe_interval_degraded_ms;
        for chain_id in self.active_chains() {
            let ProbeNeeds { interval_ms: interval, recheck_after_ms: recheck_after } =
                self.probe_needs(chain_id);
            let Some(chain) = self.registry.chain(chain_id) else { continue };
            let mut due = Vec::new();
            for i in chain.candidate_indices(&self.settings, now) {
                let Some(e) = chain.endpoints.get(i) else { continue };
                let busy = self.probes.values().any(|p| p.chain_id == chain_id && p.url == e.url);
                // A freshly verified endpoint needs its head at once: it cannot serve without;
                // nor can a frozen wallet head be judged against an old one.
                let stale = e.health.head().is_none()
                    || e.last_probe_ms.is_none_or(|t| now.saturating_sub(t) >= interval)
                    || recheck_after.is_some_and(|after| e.last_probe_ms.is_none_or(|t| t < after));
                let unverified = e.verification == Verification::Unverified;
                // Right after the chain id, and again at the degraded cadence if it failed.
                let genesis_due = e.verification == Verification::Verified
                    && e.genesis.is_none()
                    && e.genesis_asked_ms.is_none_or(|t| now.saturating_sub(t) >= degraded);
                // The chain id first, and again now and then; an endpoint whose check failed is
                // asked again at the degraded cadence, not on every event (a page that reads
                // every 300 ms would otherwise spend its circuit in a burst of retries).
                let chain_check = unverified
                    || e.chain_checked_ms.is_none_or(|t| now.saturating_sub(t) >= CHAIN_RECHECK_MS);
                let retry_ok = e.last_probe_ms.is_none_or(|t| now.saturating_sub(t) >= degraded);
                if !busy && chain_check && retry_ok {
                    due.push((e.url.clone(), ProbeMethod::ChainId));
                } else if !busy && genesis_due {
                    due.push((e.url.clone(), ProbeMethod::Genesis));
                } else if !busy && !unverified && stale {
                    due.push((e.url.clone(), ProbeMethod::BlockNumber));
                }
            }
            for (url, method) in due {
                let probe_id = self.next_id();
                if let Some(e) = self
                    .registry
                    .chain_mut(chain_id)
                    .and_then(|c| c.endpoint_index(&url).and_then(|i| c.endpoints.get_mut(i)))
                {
                    e.last_probe_ms = Some(now);
                    if method == ProbeMethod::Genesis {
                        e.genesis_asked_ms = Some(now);
                    }
                }
                self.probes
                    .insert(probe_id, ProbeInFlight { chain_id, url: url.clone(), method, sent_ms: now });
                self.actions.push_back(Action::Probe { probe_id, chain_id, url, method });
            }
        }
    }

    fn refresh_all(&mut self) {
        let tabs: Vec<TabId> = self.tabs.keys().copied().collect();
        for tab in tabs {
            self.refresh_tab(tab);
        }
    }

    fn refresh_chain(&mut self, chain_id: ChainId) {
        let tabs: Vec<TabId> = self
            .tabs
            .iter()
            .filter(|(_, t)| t.wallets.iter().any(|w| w.chain_id == chain_id))
            .map(|(id, _)| *id)
            .collect();
        for tab in tabs {
            self.refresh_tab(tab);
        }
    }

    /// Recomputes every verdict of one tab and emits what changed.
    fn refresh_tab(&mut self, tab_id: TabId) {
        let Some(tab) = self.tabs.get(&tab_id) else { return };
        let mut updates = Vec::new();
        for (i, w) in tab.wallets.iter().enumerate() {
            // Which fallbacks may serve this wallet, worked out once for all three decisions.
            let serving = self.serving(w);
            let Some((state, sentence)) = self.verdict(tab, w, &serving) else { continue };
            let policy = self.policy(tab, w, &serving);
            let fix = self.fix_for(tab, w, state, &serving);
            updates.push((i, state, sentence, policy, fix));
        }
        let now = self.now_ms;
        let Some(tab) = self.tabs.get_mut(&tab_id) else { return };
        for (i, state, sentence, policy, fix) in updates {
            let Some(w) = tab.wallets.get_mut(i) else { continue };
            let open = w.health.circuit() != Circuit::Closed;
            if w.was_open && !open {
                w.recovered_until_ms = now.saturating_add(RECOVERED_NOTICE_MS);
            }
            w.was_open = open;
            let badge = (state, sentence);
            if w.published_badge.as_ref() != Some(&badge) {
                self.actions.push_back(Action::Badge {
                    tab: tab_id,
                    wallet: w.wallet.clone(),
                    chain_id: w.chain_id,
                    state: badge.0,
                    sentence: badge.1.clone(),
                });
                w.published_badge = Some(badge);
            }
            if w.published_policy != Some(policy) {
                self.actions.push_back(Action::Policy {
                    tab: tab_id,
                    wallet: w.wallet.clone(),
                    chain_id: w.chain_id,
                    policy,
                });
                w.published_policy = Some(policy);
            }
            match fix {
                Some(params) if !w.fix_suggested => {
                    w.fix_suggested = true;
                    self.actions.push_back(Action::SuggestFix {
                        tab: tab_id,
                        wallet: w.wallet.clone(),
                        chain_id: w.chain_id,
                        params,
                    });
                }
                None if state == BadgeState::Healthy => w.fix_suggested = false,
                _ => {}
            }
        }
    }

    fn mode(&self, tab: &TabState) -> Mode {
        tab.mode.unwrap_or(self.settings.mode)
    }

    /// The genesis a tab's wallet reported for a chain, if it did.
    fn wallet_genesis(&self, tab: TabId, wallet: &str, chain_id: ChainId) -> Option<u64> {
        let t = self.tabs.get(&tab)?;
        t.wallets.iter().find(|w| w.wallet == wallet && w.chain_id == chain_id)?.genesis
    }

    /// The endpoints that may serve this wallet's reads now, fastest first.
    fn serving(&self, w: &WalletState) -> Vec<&Endpoint> {
        let Some(chain) = self.registry.chain(w.chain_id) else { return Vec::new() };
        chain
            .servable_indices(&self.settings, self.now_ms, w.genesis)
            .into_iter()
            .filter_map(|i| chain.endpoints.get(i))
            .collect()
    }

    fn verdict(
        &self,
        tab: &TabState,
        w: &WalletState,
        serving: &[&Endpoint],
    ) -> Option<(BadgeState, String)> {
        let now = self.now_ms;
        let mode = self.mode(tab);
        let oldest_wait = tab
            .in_flight
            .values()
            .filter(|f| f.timeouts == 0 && f.wallet == w.wallet && f.chain_id == w.chain_id)
            .map(|f| now.saturating_sub(f.started_ms))
            .max()
            .filter(|age| *age >= self.settings.slow_request_ms);
        let fallback = serving.first().map(|e| (e.host(), e.health.ewma_ms()));
        let slow_tail =
            w.health.latency_percentile(95).is_some_and(|p95| p95 >= self.settings.slow_request_ms);
        let state = match w.health.circuit() {
            Circuit::Open { .. } | Circuit::HalfOpen { .. }
                if mode == Mode::Protect && fallback.is_some() =>
            {
                BadgeState::Rerouting
            }
            Circuit::Open { .. } | Circuit::HalfOpen { .. } => BadgeState::Failing,
            Circuit::Closed if w.health.consecutive_failures() > 0 || oldest_wait.is_some() || slow_tail => {
                BadgeState::Degraded
            }
            Circuit::Closed => BadgeState::Healthy,
        };
        let (failures, samples) = w.health.error_counts();
        let chain_name = self.registry.chain_name(w.chain_id);
        let verdict = Verdict {
            chain_name: &chain_name,
            state,
            failures,
            samples,
            cause: w.health.dominant_failure(),
            waiting_ms: oldest_wait,
            mode,
            fallback,
            recovered: now < w.recovered_until_ms || (w.was_open && w.health.circuit() == Circuit::Closed),
        };
        Some((state, verdict.sentence()))
    }

    /// In Protect mode with a verified fallback, every read is hedged: a read the wallet has
    /// not answered within its own healthy tail is one it is failing right now (a hang shows
    /// up first as exactly that), and waiting for three time-outs would leave the page stuck
    /// for seconds. While the circuit is open, reads go straight to the fallback.
    fn policy(&self, tab: &TabState, w: &WalletState, serving: &[&Endpoint]) -> Policy {
        if self.mode(tab) != Mode::Protect || serving.is_empty() {
            return Policy::Pass;
        }
        match w.health.circuit() {
            Circuit::Open { .. } => Policy::Reroute,
            Circuit::HalfOpen { .. } | Circuit::Closed => Policy::Hedge {
                after_ms: self.hedge_delay(&w.health),
                check_head: w.health.head_frozen(),
                account_reads: self.suspect(w),
            },
        }
    }

    /// Whether the wallet is failing now or lately: its circuit is not closed, it failed a
    /// read, or a fallback had to answer for it, within the last SUSPECT_MS.
    fn suspect(&self, w: &WalletState) -> bool {
        let now = self.now_ms;
        w.health.circuit() != Circuit::Closed
            || now < w.suspect_until_ms
            || w.health.samples().any(|s| s.failure.is_some() && now.saturating_sub(s.at_ms) < SUSPECT_MS)
    }

    /// max(floor, p95 × k), capped, over the wallet's healthy answers only (a slow outage must
    /// not push the delay up), rounded up to HEDGE_DELAY_STEP_MS so a jittery p95 does not
    /// republish the policy after every request.
    fn hedge_delay(&self, health: &EndpointHealth) -> u64 {
        let s = &self.settings;
        let p95 = health.latency_percentile_below(95, s.slow_request_ms).unwrap_or(0) as f64;
        let scaled = (p95 * s.hedge_p95_factor).min(s.hedge_max_ms as f64) as u64;
        let delay = scaled.max(s.hedge_floor_ms).min(s.hedge_max_ms.max(s.hedge_floor_ms));
        delay.div_ceil(HEDGE_DELAY_STEP_MS).saturating_mul(HEDGE_DELAY_STEP_MS)
    }

    fn fix_for(
        &self,
        tab: &TabState,
        w: &WalletState,
        state: BadgeState,
        serving: &[&Endpoint],
    ) -> Option<AddChainParams> {
        if self.mode(tab) == Mode::Observe || !matches!(state, BadgeState::Failing | BadgeState::Rerouting) {
            return None;
        }
        // Only a URL with nothing private in it is ever offered: the wallet that receives it is
        // whatever object the page exposes as its wallet.
        let chain = self.registry.chain(w.chain_id)?;
        let shareable = serving.iter().find(|e| e.shareable())?;
        Some(add_chain_params(&chain.spec, &shareable.url))
    }
}

/// Whether a wallet that has just confirmed `head` is behind the chain, judged against a
/// quorum of verified endpoints (`endpoints`), never one. A wallet following the chain on its
/// own cadence (a block tracker polling every 20 s) trails by up to a cadence: it is behind
/// only once a quorum has been more than `max_head_lag_blocks` ahead for longer than its
/// rhythm explains. A frozen one is judged strictly: two blocks behind the agreed head, or one
/// block the quorum has known for longer than propagation takes, is a page showing the past.
fn head_is_stale(
    wallet: &EndpointHealth,
    head: u64,
    endpoints: &[Report],
    now_ms: u64,
    settings: &Settings,
) -> bool {
    if !wallet.head_frozen() {
        let tolerance = wallet.cache_tolerance_ms(settings.max_head_cache_ms);
        return head_truth::behind(head, now_ms, endpoints, settings.max_head_lag_blocks, tolerance);
    }
    let Some(lag) = head_truth::agreed_head(endpoints).map(|b| b.saturating_sub(head)) else { return false };
    let lead_settled = match (head_truth::superseded_since(endpoints, head), wallet.propagation_margin_ms()) {
        (Some(since), Some(margin)) => now_ms.saturating_sub(since) >= margin,
        _ => false,
    };
    lag > 1 || (lag == 1 && lead_settled)
}

fn check_name(name: &str, what: &'static str) -> Result<(), EngineError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN { Err(EngineError::InvalidName(what)) } else { Ok(()) }
}
