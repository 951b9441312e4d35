//! Properties over arbitrary inputs and event sequences: nothing panics, wallet methods are
//! never served elsewhere, only verified endpoints are ever chosen, Retry-After holds.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{chain, rpc_error};
use proptest::prelude::*;
use rpc_lifeline::engine::{Action, Engine, Event, FallbackReason, FallbackRequest, FallbackStep};
use rpc_lifeline::jsonrpc::parse_response;
use rpc_lifeline::method::{MethodClass, READ_METHODS, classify_method};
use rpc_lifeline::outcome::{Observed, classify};
use rpc_lifeline::settings::Settings;
use std::collections::HashMap;

const URLS: [&str; 4] = ["https://a.example", "https://b.example", "https://c.example", "http://127.0.0.1:9"];
const METHODS: [&str; 8] = [
    "eth_call",
    "eth_blockNumber",
    "eth_getBalance",
    "personal_sign",
    "eth_sendTransaction",
    "eth_newFilter",
    "x",
    "eth_sendRawTransaction",
];

fn observed() -> impl Strategy<Value = Observed> {
    prop_oneof![
        Just(Observed::Ok),
        Just(Observed::Timeout),
        ".{0,40}".prop_map(|message| Observed::Transport { message }),
        (100u16..600, proptest::option::of(0u64..100_000))
            .prop_map(|(status, retry_after_ms)| Observed::Http { status, retry_after_ms }),
        (any::<i64>(), ".{0,60}", proptest::option::of(".{0,80}"))
            .prop_map(|(code, message, data)| Observed::RpcError { code, message, data }),
        (
            prop_oneof![Just(-32603i64), Just(-32002), Just(-32005), Just(3), Just(4001)],
            "(revert|Failed to fetch|rate limit|retrying in [0-9.e]{1,6} (minutes|seconds)|timeout|x){1,3}"
        )
            .prop_map(|(code, message)| rpc_error(
                code,
                &message,
                Some(r#"{"cause":{"message":"fetch failed"}}"#)
            )),
    ]
}

/// What a test step does: an event, a probe answer for the n-th pending probe, or a
/// fallback read.
#[derive(Debug, Clone)]
enum Step {
    Started {
        tab: u32,
        chain: u64,
        method: usize,
        id: u64,
    },
    Finished {
        tab: u32,
        chain: u64,
        method: usize,
        id: u64,
        latency: f64,
        outcome: Observed,
        block: Option<u64>,
    },
    Tick(u64),
    TabClosed(u32),
    ProbeAnswer {
        pick: usize,
        outcome: Observed,
        value: Option<u64>,
        latency: u64,
    },
    Serve {
        tab: u32,
        chain: u64,
        method: usize,
        reason: u8,
        outcome: Observed,
        block: Option<u64>,
        request_id: Option<u64>,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let chain_id = prop_oneof![Just(1u64), Just(2u64), Just(99u64)];
    prop_oneof![
        (0u32..3, chain_id.clone(), 0..METHODS.len(), 0u64..20)
            .prop_map(|(tab, chain, method, id)| Step::Started { tab, chain, method, id }),
        (
            0u32..3,
            chain_id.clone(),
            0..METHODS.len(),
            0u64..20,
            any::<f64>(),
            observed(),
            proptest::option::of(0u64..2000)
        )
            .prop_map(|(tab, chain, method, id, latency, outcome, block)| Step::Finished {
                tab,
                chain,
                method,
                id,
                latency,
                outcome,
                block
            }),
        (0u64..20_000).prop_map(Step::Tick),
        (0u32..3).prop_map(Step::TabClosed),
        (
            0usize..8,
            observed(),
            proptest::option::of(prop_oneof![Just(1u64), Just(2u64), 0u64..2000]),
            0u64..5000
        )
            .prop_map(|(pick, outcome, value, latency)| Step::ProbeAnswer {
                pick,
                outcome,
                value,
                latency
            }),
        (
            0u32..3,
            chain_id,
            0..METHODS.len(),
            0u8..3,
            observed(),
            proptest::option::of(0u64..2000),
            proptest::option::of(0u64..20)
        )
            .prop_map(|(tab, chain, method, reason, outcome, block, request_id)| Step::Serve {
                tab,
                chain,
                method,
                reason,
                outcome,
                block,
                request_id
            }),
    ]
}

/// A value at either edge of `lo..=hi` or anywhere between: edges are where divisors and
/// overflows hide.
fn edgy(lo: u64, hi: u64) -> impl Strategy<Value = u64> {
    prop_oneof![Just(lo), Just(hi), lo..=hi]
}

/// Any settings `validate()` accepts, most of them far from the defaults.
fn any_valid_settings() -> impl Strategy<Value = Settings> {
    let timing =
        (edgy(500, 60_000), edgy(1, 59_999), edgy(1, 100), 0.0..=1.0f64, edgy(1, 1024), edgy(1, 1024));
    let windows = (edgy(1_000, 3_600_000), edgy(100, 3_600_000), edgy(100, 3_600_000), edgy(1, 100));
    let hedging = (edgy(0, 30_000), edgy(0, 30_000), 0.001..=100.0f64, edgy(0, 1_000), edgy(1_000, 300_000));
    let probing =
        (edgy(1, 16), edgy(1_000, 3_600_000), edgy(500, 3_600_000), edgy(100, 30_000), edgy(100, 20_000));
    let caps = (edgy(1_024, 1 << 26), edgy(10, 10_000), edgy(1, 64), edgy(1, 4_096), edgy(1, 1_024));
    (timing, windows, hedging, probing, caps).prop_filter_map("validate() refuses it", |(t, w, h, p, c)| {
        let settings = Settings {
            request_timeout_ms: t.0,
            slow_request_ms: t.1.min(t.0 - 1),
            open_after_consecutive_failures: t.2 as u32,
            open_error_rate: t.3,
            error_rate_min_samples: t.4 as u32,
            window_size: t.5 as usize,
            window_ms: w.0,
            cooldown_ms: w.1.min(w.2),
            max_cooldown_ms: w.2,
            close_after_successes: w.3 as u32,
            hedge_floor_ms: h.0.min(h.1),
            hedge_max_ms: h.1,
            hedge_p95_factor: h.2,
            max_head_lag_blocks: h.3,
            max_head_cache_ms: h.4,
            candidates_per_chain: p.0 as usize,
            probe_interval_healthy_ms: p.1,
            probe_interval_degraded_ms: p.2.min(p.1),
            probe_timeout_ms: p.3,
            fallback_budget_ms: p.4,
            max_body_bytes: c.0 as usize,
            tick_interval_ms: c.1,
            max_wallets_per_tab: c.2 as usize,
            max_in_flight_per_tab: c.3 as usize,
            max_fallbacks_per_tab: c.4 as usize,
            ..Settings::default()
        };
        settings.validate().is_ok().then_some(settings)
    })
}

/// An event is accepted, or refused with the one clear error small per-tab caps allow.
fn accepted(result: Result<(), rpc_lifeline::engine::EngineError>) -> Result<(), TestCaseError> {
    match result {
        Ok(()) | Err(rpc_lifeline::engine::EngineError::TooManyWallets) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!("refused: {other}"))),
    }
}

/// Runs a sequence and checks the invariants after every step.
fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    run_with(steps, Settings::default())
}

/// Runs a sequence with `settings`; the invariants that hold for any settings are checked.
fn run_with(steps: Vec<Step>, settings: Settings) -> Result<(), TestCaseError> {
    let chains = vec![chain(1, "Ethereum", &URLS), chain(2, "Other", &URLS[..2])];
    let mut engine = Engine::new(settings.clone(), chains).unwrap();
    let mut now = 0u64;
    let mut pending: Vec<(u64, String)> = Vec::new();
    // url → time before which it must not be contacted (from a Retry-After we reported).
    let mut backoff: HashMap<String, u64> = HashMap::new();
    let mut verified: HashMap<(u64, String), bool> = HashMap::new();
    let drain = |engine: &mut Engine,
                 now: u64,
                 pending: &mut Vec<(u64, String)>,
                 backoff: &HashMap<String, u64>|
     -> Result<(), TestCaseError> {
        while let Some(action) = engine.poll_action() {
            if let Action::Probe { probe_id, url, .. } = action {
                let until = backoff.get(&url).copied().unwrap_or(0);
                prop_assert!(now >= until, "probe of {url} at {now} violates Retry-After until {until}");
                pending.push((probe_id, url));
            }
        }
        Ok(())
    };
    for step in steps {
        match step {
            Step::Started { tab, chain, method, id } => {
                let e = Event::RequestStarted {
                    tab,
                    wallet: "w".into(),
                    chain_id: chain,
                    method: METHODS[method].into(),
                    request_id: id,
                };
                accepted(engine.handle(e, now))?;
            }
            Step::Finished { tab, chain, method, id, latency, outcome, block } => {
                // Through JSON, as the host sends it: fractional and negative latencies too.
                let event = serde_json::json!({
                    "type": "requestFinished", "tab": tab, "wallet": "w", "chainId": chain,
                    "method": METHODS[method], "requestId": id, "latencyMs": latency,
                    "outcome": outcome, "blockNumber": block,
                });
                if let Ok(e) = serde_json::from_value::<Event>(event) {
                    accepted(engine.handle(e, now))?;
                }
            }
            Step::Tick(dt) => {
                now += dt;
                engine.handle(Event::Tick, now).unwrap();
            }
            Step::TabClosed(tab) => engine.handle(Event::TabClosed { tab }, now).unwrap(),
            Step::ProbeAnswer { pick, outcome, value, latency } => {
                if pending.is_empty() {
                    continue;
                }
                let (probe_id, url) = pending.remove(pick % pending.len());
                let target = engine.probe_target(probe_id);
                // An answer to a probe the engine already gave up on is ignored (the host's
                // own time-out is shorter, so it cannot happen outside this test).
                let retry =
                    classify(&outcome).failure().and_then(|f| f.retry_after_ms).filter(|_| target.is_some());
                if let Some(retry) = retry {
                    let until = backoff.entry(url.clone()).or_insert(0);
                    *until = (*until).max(now.saturating_add(retry));
                }
                if let (Some((_, method)), Some(v), Observed::Ok) = (target, value, &outcome)
                    && method.as_str() == "eth_chainId"
                {
                    for chain in [1u64, 2] {
                        verified.insert((chain, url.clone()), v == chain);
                    }
                }
                engine
                    .handle(Event::ProbeAnswered { probe_id, latency_ms: latency, outcome, value }, now)
                    .unwrap();
            }
            Step::Serve { tab, chain, method, reason, outcome, block, request_id } => {
                let method_name = METHODS[method];
                let reason = [FallbackReason::WalletError, FallbackReason::Hedge, FallbackReason::Reroute]
                    [usize::from(reason)];
                let request = FallbackRequest {
                    tab,
                    wallet: "w".into(),
                    chain_id: chain,
                    method: method_name.into(),
                    reason,
                    wallet_error: Some(outcome.clone()),
                    request_id,
                };
                let mut step = engine.begin_fallback(request, now);
                let mut attempts = 0;
                while let FallbackStep::Send { ticket, url, .. } = step {
                    let class = classify_method(method_name);
                    let may = class == MethodClass::Read
                        || (class == MethodClass::Broadcast && reason != FallbackReason::Hedge);
                    prop_assert!(may, "{} was served by a fallback ({:?})", method_name, reason);
                    prop_assert_eq!(
                        verified.get(&(chain, url.clone())).copied(),
                        Some(true),
                        "{} chosen for chain {} unverified or on the wrong chain",
                        url,
                        chain
                    );
                    let until = backoff.get(&url).copied().unwrap_or(0);
                    prop_assert!(
                        now >= until,
                        "read sent to {} at {} violates Retry-After until {}",
                        url,
                        now,
                        until
                    );
                    attempts += 1;
                    prop_assert!(attempts <= URLS.len(), "more attempts than endpoints");
                    if let Some(retry) = classify(&outcome).failure().and_then(|f| f.retry_after_ms) {
                        let until = backoff.entry(url.clone()).or_insert(0);
                        *until = (*until).max(now.saturating_add(retry));
                    }
                    step = engine.fallback_answered(ticket, &outcome, block, now);
                }
            }
        }
        drain(&mut engine, now, &mut pending, &backoff)?;
        let _ = engine.status(0);
        let _ = engine.poll_timeout();
    }
    // Whatever happened, the saved state round-trips, and a restarted engine carries on.
    let saved = serde_json::to_string(&engine.save()).unwrap();
    let saved = serde_json::from_str::<rpc_lifeline::engine::SavedState>(&saved);
    prop_assert!(saved.is_ok());
    let chains = vec![chain(1, "Ethereum", &URLS), chain(2, "Other", &URLS[..2])];
    let mut restarted = Engine::restore(settings, chains, saved.unwrap()).unwrap();
    for _ in 0..8 {
        now = now.saturating_add(10_000);
        restarted.handle(rpc_lifeline::engine::Event::Tick, now).unwrap();
        while restarted.poll_action().is_some() {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn event_sequences_keep_every_invariant(steps in proptest::collection::vec(step(), 1..120)) {
        run(steps)?;
    }

    #[test]
    fn any_accepted_settings_never_panic(
        settings in any_valid_settings(),
        steps in proptest::collection::vec(step(), 1..80),
    ) {
        run_with(steps, settings)?;
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_response(&bytes, 256);
    }

    #[test]
    fn parsing_json_like_text_never_panics(text in r#"[\[\]{}",:0-9a-z ]{0,200}|\{"jsonrpc":"2.0","id":[0-9"a-z]{1,5},"(result|error)":.{0,60}\}"#) {
        let _ = parse_response(text.as_bytes(), 1 << 20);
    }

    #[test]
    fn classifying_anything_never_panics(o in observed()) {
        let _ = classify(&o);
    }

    #[test]
    fn events_from_arbitrary_json_never_panic(text in r#"\{"type":"(requestStarted|requestFinished|tick|tabClosed|settingsChanged)"(,"[a-zA-Z]{1,12}":(-?[0-9.e]{1,8}|"[^"]{0,10}"|null|\{\}))*\}"#) {
        let mut engine = Engine::new(Settings::default(), vec![chain(1, "Ethereum", &URLS)]).unwrap();
        if let Ok(event) = serde_json::from_str::<Event>(&text) {
            let _ = engine.handle(event, 5);
        }
    }

    #[test]
    fn only_listed_methods_are_routable(name in "[a-zA-Z_]{0,30}") {
        let class = classify_method(&name);
        prop_assert_eq!(class == MethodClass::Read, READ_METHODS.contains(&name.as_str()));
    }
}

/// Found by CI: MetaMask's "retrying in N minutes" with an absurd N must saturate, in the engine
/// and in this harness alike.
#[test]
fn an_absurd_retry_hint_does_not_overflow() {
    let steps = vec![
        Step::Tick(1),
        Step::Started { tab: 0, chain: 1, method: 0, id: 0 },
        Step::ProbeAnswer {
            pick: 0,
            outcome: Observed::RpcError {
                code: -32002,
                message: "retrying in 1e20 minutes".into(),
                data: Some(r#"{"cause":{"message":"fetch failed"}}"#.into()),
            },
            value: None,
            latency: 0,
        },
        Step::Tick(u64::MAX / 2),
    ];
    assert!(run(steps).is_ok());
}

#[test]
fn a_wallet_method_is_never_served_in_any_state() {
    let mut sim = common::Sim::new(Settings::default(), vec![chain(1, "Ethereum", &URLS[..1])]);
    sim.endpoint(URLS[0], common::Behaviour::Healthy { chain_id: 1, head: 10, latency_ms: 5 });
    for _ in 0..3 {
        sim.read(1, Observed::Timeout);
    }
    for method in ["personal_sign", "eth_sendTransaction", "eth_accounts", "eth_newFilter", "eth_subscribe"] {
        for reason in [FallbackReason::WalletError, FallbackReason::Hedge, FallbackReason::Reroute] {
            let steps = sim.serve(1, method, reason, Some(Observed::Timeout));
            assert!(matches!(steps.as_slice(), [FallbackStep::Declined { .. }]), "{method}: {steps:?}");
        }
    }
}
