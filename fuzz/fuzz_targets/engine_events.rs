//! Sequences of engine events decoded from bytes (like tests/properties.rs, but coverage
//! guided): requests started and finished with any outcome, ticks, closed tabs, per-site
//! modes, settings changes, probe answers, fallback reads, events as arbitrary JSON, a
//! save/restore in the middle. After every step: wallet methods are never served elsewhere,
//! only endpoints verified for the chain are chosen, Retry-After is never violated, and the
//! saved state round-trips into a working engine.
#![no_main]
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use rpc_lifeline::engine::{
    Action, Engine, EngineError, Event, FallbackReason, FallbackRequest, FallbackStep, SavedState,
};
use rpc_lifeline::method::{MethodClass, classify_method};
use rpc_lifeline::outcome::{Observed, classify};
use rpc_lifeline::registry::{ChainSpec, NativeCurrency, RpcSpec};
use rpc_lifeline::settings::{Mode, Settings, Tracking};
use std::collections::HashMap;

const URLS: [&str; 4] = ["https://a.example", "https://b.example", "https://c.example", "http://127.0.0.1:9"];
const METHODS: [&str; 9] = [
    "eth_call",
    "eth_blockNumber",
    "eth_getBalance",
    "personal_sign",
    "eth_sendTransaction",
    "eth_newFilter",
    "x",
    "eth_sendRawTransaction",
    "eth_chainId",
];
const WALLETS: [&str; 3] = ["w", "io.metamask", "org.lifeline.testwallet"];
const CHAINS: [u64; 3] = [1, 2, 99];
const MESSAGES: [&str; 6] =
    ["Failed to fetch", "execution reverted", "rate limit", "retrying in 0.5 seconds", "timeout", ""];

fn chain(chain_id: u64, urls: &[&str]) -> ChainSpec {
    ChainSpec {
        chain_id,
        name: format!("Chain {chain_id}"),
        short_name: None,
        native_currency: NativeCurrency { name: "Ether".into(), symbol: "ETH".into(), decimals: 18 },
        block_explorer_urls: vec![],
        rpcs: urls
            .iter()
            .map(|u| RpcSpec { url: (*u).into(), tracking: Tracking::None, source: None, private: false })
            .collect(),
    }
}

fn chains() -> Vec<ChainSpec> {
    vec![chain(1, &URLS), chain(2, &URLS[..2])]
}

fn observed(u: &mut Unstructured) -> arbitrary::Result<Observed> {
    Ok(match u.int_in_range(0..=5)? {
        0 | 1 => Observed::Ok,
        2 => Observed::Timeout,
        3 => Observed::Transport { message: MESSAGES[u.choose_index(MESSAGES.len())?].into() },
        4 => Observed::Http {
            status: *u.choose(&[429u16, 500, 503, 404])?,
            retry_after_ms: if u.arbitrary()? { Some(u.int_in_range(0..=100_000)?) } else { None },
        },
        _ => Observed::RpcError {
            code: *u.choose(&[-32603i64, -32002, -32005, 3, 4001, 4900, -32000, -32700])?,
            message: MESSAGES[u.choose_index(MESSAGES.len())?].into(),
            data: if u.arbitrary()? { Some(r#"{"cause":{"message":"fetch failed"}}"#.into()) } else { None },
        },
    })
}

struct World {
    engine: Engine,
    now: u64,
    /// Probes asked for and not yet answered: (probe id, chain, url).
    pending: Vec<(u64, u64, String)>,
    /// url → time before which it must not be contacted.
    backoff: HashMap<String, u64>,
    /// (chain, url) → whether its eth_chainId answer matched.
    verified: HashMap<(u64, String), bool>,
    settings_changed: bool,
}

impl World {
    fn drain(&mut self) {
        while let Some(action) = self.engine.poll_action() {
            trace(&format!("  action {action:?}"));
            if let Action::Probe { probe_id, chain_id, url, .. } = action {
                let until = self.backoff.get(&url).copied().unwrap_or(0);
                assert!(
                    self.now >= until,
                    "probe of {url} at {} violates Retry-After until {until}",
                    self.now
                );
                self.pending.push((probe_id, chain_id, url));
            }
        }
    }

    fn handle(&mut self, event: Event) {
        let result = self.engine.handle(event, self.now);
        // Structured events with default settings are always accepted, but for the per-tab
        // cap: 3 wallets × 3 chains is one more than the 8 a tab may hold (a clear error).
        if !self.settings_changed && !matches!(result, Err(EngineError::TooManyWallets)) {
            result.unwrap();
        }
    }

    fn step(&mut self, u: &mut Unstructured) -> arbitrary::Result<()> {
        let tab = u.int_in_range(0..=2)?;
        let wallet = WALLETS[u.choose_index(WALLETS.len())?].to_string();
        let chain_id = CHAINS[u.choose_index(CHAINS.len())?];
        let method = METHODS[u.choose_index(METHODS.len())?];
        let kind = u.int_in_range(0..=12)?;
        trace(&format!("t={} step {kind} tab {tab} {wallet} chain {chain_id} {method}", self.now));
        match kind {
            0 | 1 => self.handle(Event::RequestStarted {
                tab,
                wallet,
                chain_id,
                method: method.into(),
                request_id: u.int_in_range(0..=20)?,
            }),
            2 | 3 => {
                // Through JSON, as the host sends it: fractional and negative latencies too.
                let event = serde_json::json!({
                    "type": "requestFinished", "tab": tab, "wallet": wallet, "chainId": chain_id,
                    "method": method, "requestId": u.int_in_range(0..=20u64)?,
                    "latencyMs": f64::arbitrary(u)?, "outcome": observed(u)?,
                    "blockNumber": if u.arbitrary()? { Some(u.int_in_range(0..=2000u64)?) } else { None },
                });
                if let Ok(e) = serde_json::from_value::<Event>(event) {
                    self.handle(e);
                }
            }
            4 => {
                self.now += u.int_in_range(0..=20_000u64)?;
                self.handle(Event::Tick);
            }
            5 => self.handle(Event::TabClosed { tab }),
            6 => {
                let mode =
                    *u.choose(&[None, Some(Mode::Observe), Some(Mode::Suggest), Some(Mode::Protect)])?;
                self.handle(Event::TabMode { tab, mode });
            }
            7 | 8 => self.answer_probe(u)?,
            9 | 10 => self.serve(u, tab, wallet, chain_id, method)?,
            // The wallet's block 0, as the page reported it: any hash, well-formed or not.
            11 => {
                let hash = match u.int_in_range(0..=2)? {
                    0 => format!("0x{:064x}", u.int_in_range(0..=3u8)?),
                    1 => format!("0x{}", "ab".repeat(u.int_in_range(0..=40)?)),
                    _ => String::arbitrary(u)?,
                };
                let well_formed =
                    hash.strip_prefix("0x").is_some_and(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()));
                let result = self.engine.handle(Event::WalletGenesis { tab, wallet, chain_id, hash }, self.now);
                if !well_formed {
                    assert!(matches!(result, Err(EngineError::InvalidHash)), "{result:?}");
                } else if !self.settings_changed && !matches!(result, Err(EngineError::TooManyWallets)) {
                    result.unwrap();
                }
            }
            _ => match u.int_in_range(0..=2)? {
                // Anything as an event: the host's JSON is untrusted too.
                0 => {
                    let text = String::arbitrary(u)?;
                    if let Ok(e) = serde_json::from_str::<Event>(&text) {
                        self.settings_changed |= matches!(e, Event::SettingsChanged { .. });
                        let _ = self.engine.handle(e, self.now);
                    }
                }
                // New settings, as the options page or a managed policy would send them.
                1 => {
                    let mut s = serde_json::to_value(Settings::default()).unwrap();
                    let keys: Vec<String> = s.as_object().unwrap().keys().cloned().collect();
                    for _ in 0..u.int_in_range(1..=3)? {
                        let key = &keys[u.choose_index(keys.len())?];
                        let value = match u.int_in_range(0..=2)? {
                            0 => serde_json::json!(u.int_in_range(0..=10_000u64)?),
                            1 => serde_json::json!(f64::arbitrary(u)?),
                            _ => serde_json::json!(*u.choose(&["observe", "suggest", "protect", "none"])?),
                        };
                        s[key] = value;
                    }
                    if let Ok(settings) = serde_json::from_value::<Settings>(s) {
                        self.settings_changed = true;
                        let _ = self.engine.handle(Event::SettingsChanged { settings }, self.now);
                    }
                }
                // The worker stops and starts again: save, restore, carry on.
                _ => {
                    let saved = serde_json::to_string(&self.engine.save()).unwrap();
                    let saved: SavedState = serde_json::from_str(&saved).unwrap();
                    let settings = self.engine.settings().clone();
                    self.engine = Engine::restore(settings, chains(), saved).unwrap();
                    self.pending.clear();
                }
            },
        }
        Ok(())
    }

    fn answer_probe(&mut self, u: &mut Unstructured) -> arbitrary::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (probe_id, probe_chain, url) = self.pending.remove(u.choose_index(self.pending.len())?);
        let outcome = observed(u)?;
        let value = if u.arbitrary()? { Some(*u.choose(&[1u64, 2, 0, 1000, 1999])?) } else { None };
        let target = self.engine.probe_target(probe_id);
        // An answer to a probe the engine already gave up on is ignored.
        if let Some(retry) =
            classify(&outcome).failure().and_then(|f| f.retry_after_ms).filter(|_| target.is_some())
        {
            let until = self.backoff.entry(url.clone()).or_insert(0);
            *until = (*until).max(self.now + retry);
        }
        if let (Some((_, method)), Some(v), Observed::Ok) = (target, value, &outcome)
            && method.as_str() == "eth_chainId"
        {
            // Verification is per (chain, URL) entry: each chain's entry checks the server itself.
            self.verified.insert((probe_chain, url.clone()), v == probe_chain);
        }
        let latency_ms = u.int_in_range(0..=5000)?;
        trace(&format!("  probe {probe_id} {url} answered {outcome:?} {value:?}"));
        self.handle(Event::ProbeAnswered { probe_id, latency_ms, outcome, value });
        Ok(())
    }

    fn serve(
        &mut self,
        u: &mut Unstructured,
        tab: u32,
        wallet: String,
        chain_id: u64,
        method: &str,
    ) -> arbitrary::Result<()> {
        let reason =
            *u.choose(&[FallbackReason::WalletError, FallbackReason::Hedge, FallbackReason::Reroute])?;
        let wallet_error = if u.arbitrary()? { Some(observed(u)?) } else { None };
        // The read a hedge races: often one in flight (ids 0..=20, as started above), or none.
        let request_id = if u.arbitrary()? { Some(u.int_in_range(0..=20)?) } else { None };
        let request = FallbackRequest {
            tab,
            wallet,
            chain_id,
            method: method.into(),
            reason,
            wallet_error,
            request_id,
        };
        let mut step = self.engine.begin_fallback(request, self.now);
        let mut attempts = 0;
        while let FallbackStep::Send { ticket, url, .. } = step {
            // Reads, and an already signed transaction (Broadcast) to a few endpoints; never
            // a wallet method (signing, accounts, permissions, unknown methods).
            assert_ne!(classify_method(method), MethodClass::Wallet, "{method} was served by a fallback");
            assert_eq!(
                self.verified.get(&(chain_id, url.clone())).copied(),
                Some(true),
                "{url} chosen for chain {chain_id} unverified or on the wrong chain"
            );
            let until = self.backoff.get(&url).copied().unwrap_or(0);
            assert!(
                self.now >= until,
                "read sent to {url} at {} violates Retry-After until {until}",
                self.now
            );
            attempts += 1;
            assert!(attempts <= URLS.len(), "more attempts than endpoints");
            let outcome = observed(u)?;
            if let Some(retry) = classify(&outcome).failure().and_then(|f| f.retry_after_ms) {
                let until = self.backoff.entry(url.clone()).or_insert(0);
                *until = (*until).max(self.now + retry);
            }
            let block = if u.arbitrary()? { Some(u.int_in_range(0..=2000)?) } else { None };
            trace(&format!("  fallback {url} answered {outcome:?}"));
            step = self.engine.fallback_answered(ticket, &outcome, block, self.now);
        }
        Ok(())
    }
}

/// `FUZZ_TRACE=1` prints each step (to read a crash).
fn trace(what: &str) {
    if std::env::var_os("FUZZ_TRACE").is_some() {
        eprintln!("{what}");
    }
}

fuzz_target!(|bytes: &[u8]| {
    let mut u = Unstructured::new(bytes);
    let mut world = World {
        engine: Engine::new(Settings::default(), chains()).unwrap(),
        now: 0,
        pending: Vec::new(),
        backoff: HashMap::new(),
        verified: HashMap::new(),
        settings_changed: false,
    };
    for _ in 0..256 {
        if u.is_empty() || world.step(&mut u).is_err() {
            break;
        }
        world.drain();
        let _ = world.engine.status(0);
        let _ = world.engine.poll_timeout();
    }
    let saved = serde_json::to_string(&world.engine.save()).unwrap();
    let saved: SavedState = serde_json::from_str(&saved).unwrap();
    let settings = world.engine.settings().clone();
    Engine::restore(settings, chains(), saved).unwrap();
});
