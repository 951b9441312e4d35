//! Findings of the coverage-guided fuzzers (`make fuzz`, fuzz/), each kept as a test. The
//! crashing inputs themselves are in fuzz/regressions/ and are replayed by `make fuzz`.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{chain, rpc_error};
use rpc_lifeline::engine::{Action, Engine, Event, SavedState};
use rpc_lifeline::settings::Settings;

const SHARED: &str = "https://a.example";

fn probes(engine: &mut Engine) -> Vec<(u64, u64, String)> {
    let mut out = Vec::new();
    while let Some(action) = engine.poll_action() {
        if let Action::Probe { probe_id, chain_id, url, .. } = action {
            out.push((probe_id, chain_id, url));
        }
    }
    out
}

fn started(tab: u32, chain_id: u64) -> Event {
    Event::RequestStarted { tab, wallet: "w".into(), chain_id, method: "eth_call".into(), request_id: 1 }
}

/// engine_events crash-766d9b5e: a Retry-After from a server listed on two chains bound both
/// chains, but a worker restart saved only the chain in use, so after the restart the other
/// chain's entry for the same server was probed inside the Retry-After.
#[test]
fn retry_after_binds_the_server_across_a_restart() {
    let chains = || {
        vec![chain(1, "One", &[SHARED, "https://b.example"]), chain(2, "Two", &[SHARED, "https://b.example"])]
    };
    let mut engine = Engine::new(Settings::default(), chains()).unwrap();
    engine.handle(started(1, 2), 0).unwrap();
    let (probe_id, _, url) = probes(&mut engine).into_iter().find(|(_, _, u)| u == SHARED).unwrap();
    assert_eq!(url, SHARED);
    let outcome = rpc_error(-32002, "retrying in 0.5 seconds", None);
    engine.handle(Event::ProbeAnswered { probe_id, latency_ms: 5, outcome, value: None }, 0).unwrap();
    probes(&mut engine);

    let saved: SavedState = serde_json::from_str(&serde_json::to_string(&engine.save()).unwrap()).unwrap();
    let mut engine = Engine::restore(Settings::default(), chains(), saved).unwrap();
    engine.handle(started(1, 1), 0).unwrap();
    let early = probes(&mut engine);
    assert!(!early.iter().any(|(_, _, u)| u == SHARED), "probed inside the Retry-After: {early:?}");

    engine.handle(Event::Tick, 600).unwrap();
    // The backoff ends; the server may be probed again (for either chain).
    let _ = probes(&mut engine);
}

/// engine_events crash-e57cd2d5: the saved state held only the chains open tabs use, so a
/// Retry-After from a server whose tabs had all closed was forgotten by a worker restart, and
/// the server was probed inside it as soon as a tab used that chain again.
#[test]
fn retry_after_survives_a_restart_with_no_tab_on_the_chain() {
    let chains = || vec![chain(2, "Two", &[SHARED, "https://b.example"])];
    let mut engine = Engine::new(Settings::default(), chains()).unwrap();
    engine.handle(started(1, 2), 0).unwrap();
    let (probe_id, _, _) = probes(&mut engine).into_iter().find(|(_, _, u)| u == SHARED).unwrap();
    let outcome = rpc_lifeline::outcome::Observed::Http { status: 429, retry_after_ms: Some(60_000) };
    engine.handle(Event::ProbeAnswered { probe_id, latency_ms: 5, outcome, value: None }, 0).unwrap();
    engine.handle(Event::TabClosed { tab: 1 }, 10).unwrap();
    probes(&mut engine);

    let saved: SavedState = serde_json::from_str(&serde_json::to_string(&engine.save()).unwrap()).unwrap();
    let mut engine = Engine::restore(Settings::default(), chains(), saved).unwrap();
    engine.handle(started(2, 2), 1_000).unwrap();
    let early = probes(&mut engine);
    assert!(!early.iter().any(|(_, _, u)| u == SHARED), "probed inside the Retry-After: {early:?}");
}
