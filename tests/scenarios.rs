//! Whole scenarios on a simulated clock: what the user sees in the badge, and when, and
//! what the engine decides to do.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Behaviour, Sim, TAB, WALLET, chain, rpc_error};
use rpc_lifeline::badge::BadgeState;
use rpc_lifeline::engine::{Action, Event, FallbackReason, FallbackRequest, FallbackStep, Policy};
use rpc_lifeline::outcome::Observed;
use rpc_lifeline::settings::{Mode, Settings};

const ETH: u64 = 1;
const A: &str = "https://a.example";
const B: &str = "https://b.example";
const C: &str = "https://c.example";
const D: &str = "https://d.example";

/// Ethereum with four fallbacks, three healthy at head 1000 (A fastest), D never probed.
fn world(settings: Settings) -> Sim {
    let mut sim = Sim::new(settings, vec![chain(ETH, "Ethereum", &[A, B, C, D])]);
    sim.endpoint(A, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 30 });
    sim.endpoint(B, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 80 });
    sim.endpoint(C, Behaviour::Healthy { chain_id: ETH, head: 999, latency_ms: 120 });
    sim.endpoint(D, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 10 });
    sim
}

/// The page issues a read every `every_ms` that the wallet never answers.
fn hang(sim: &mut Sim, reads: u32, every_ms: u64) {
    for _ in 0..reads {
        sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        sim.advance(every_ms);
    }
}

#[test]
fn healthy_traffic_stays_healthy_and_probes_sparingly() {
    let mut sim = world(Settings::default());
    for _ in 0..200 {
        sim.read(ETH, Observed::Ok);
        sim.advance(500);
    }
    let badges = sim.badges(TAB, ETH);
    assert_eq!(badges.len(), 1, "healthy traffic publishes one badge, not one per request: {badges:?}");
    assert_eq!(
        sim.badge(ETH),
        (BadgeState::Healthy, "Your wallet's Ethereum RPC is answering normally.".into())
    );
    // Only a straggler is hedged: answers take 40 ms, so past the 100 ms floor.
    assert_eq!(sim.policy(ETH), Policy::Hedge { after_ms: 100, check_head: false, account_reads: false });
    // 100 s of traffic: eth_chainId once per candidate, then eth_blockNumber at most once a minute each.
    let chain_id_probes = sim.probes.iter().filter(|p| p.2 == "eth_chainId").count();
    let head_probes = sim.probes.iter().filter(|p| p.2 == "eth_blockNumber").count();
    assert_eq!(chain_id_probes, 3, "only the three candidates are verified");
    assert!(head_probes <= 6, "{head_probes} head probes in 100 s");
    assert!(sim.probes.iter().all(|p| p.1 != D), "the fourth endpoint is not a candidate");
    assert!(!sim.log.iter().any(|(_, a)| matches!(a, Action::SuggestFix { .. })));
}

#[test]
fn no_tab_no_probes() {
    let mut sim = world(Settings::default());
    sim.advance(120_000);
    assert!(sim.probes.is_empty());
    assert_eq!(sim.engine.poll_timeout(), None);
}

#[test]
fn wallet_hangs_amber_then_rerouting_with_a_fix_offered() {
    let mut sim = world(Settings::default());
    let start = sim.now;
    hang(&mut sim, 12, 500);
    let amber = sim.first(ETH, BadgeState::Degraded).expect("amber") - start;
    let blue = sim.first(ETH, BadgeState::Rerouting).expect("rerouting") - start;
    // Amber once the first read waited slowRequestMs (1.5 s); rerouting after the third
    // time-out (3 s + two 500 ms request gaps), each within one 250 ms tick.
    assert!((1_500..=1_750).contains(&amber), "amber after {amber} ms");
    assert!((4_000..=4_250).contains(&blue), "rerouting after {blue} ms");
    let (_, sentence) = sim.badge(ETH);
    assert!(sentence.starts_with("Your wallet's Ethereum RPC failed"), "{sentence}");
    assert!(
        sentence.contains("(time-outs). Reads on this page are now served by a.example (30 ms)."),
        "{sentence}"
    );
    assert_eq!(sim.policy(ETH), Policy::Reroute);
    let fix = sim.log.iter().find_map(|(_, a)| match a {
        Action::SuggestFix { params, .. } => Some(params.clone()),
        _ => None,
    });
    let fix = fix.expect("a wallet fix is suggested");
    assert_eq!(fix.chain_id, "0x1");
    assert_eq!(fix.rpc_urls, vec![A.to_owned()]);
}

#[test]
fn wallet_refuses_reads_red_in_observe_mode_with_the_cause() {
    let mut sim = world(Settings { mode: Mode::Observe, ..Settings::default() });
    let refused =
        rpc_error(-32603, "Internal JSON-RPC error.", Some(r#"{"cause":{"message":"Failed to fetch"}}"#));
    sim.read(ETH, refused.clone());
    assert_eq!(sim.badge(ETH).0, BadgeState::Degraded);
    sim.read(ETH, refused.clone());
    sim.read(ETH, refused);
    assert_eq!(
        sim.badge(ETH),
        (
            BadgeState::Failing,
            "Your wallet's Ethereum RPC failed 3 of the last 3 requests (connection failures). RPC Lifeline is only watching (Observe mode).".into()
        )
    );
    assert_eq!(sim.policy(ETH), Policy::Pass, "Observe never reroutes");
    assert!(!sim.log.iter().any(|(_, a)| matches!(a, Action::SuggestFix { .. })), "Observe offers no fix");
}

#[test]
fn http_503_from_the_wallets_provider() {
    let mut sim = world(Settings { mode: Mode::Suggest, ..Settings::default() });
    for _ in 0..3 {
        sim.read(
            ETH,
            rpc_error(-32002, "RPC endpoint not found or unavailable.", Some(r#"{"httpStatus":503}"#)),
        );
    }
    let (state, sentence) = sim.badge(ETH);
    assert_eq!(state, BadgeState::Failing);
    assert!(sentence.contains("(endpoint unavailable). You can add a working RPC"), "{sentence}");
    assert!(sim.log.iter().any(|(_, a)| matches!(a, Action::SuggestFix { .. })), "Suggest offers the fix");
}

#[test]
fn rate_limit_storm_honours_retry_after() {
    let mut sim = world(Settings::default());
    sim.endpoint(A, Behaviour::Fails(Observed::Http { status: 429, retry_after_ms: Some(20_000) }));
    for _ in 0..3 {
        sim.read(ETH, rpc_error(-32005, "Request is being rate limited.", Some(r#"{"httpStatus":429}"#)));
    }
    let limited_at = sim.probes.iter().find(|p| p.1 == A).map(|p| p.0).expect("A was probed");
    sim.advance(60_000);
    let again = sim.probes.iter().filter(|p| p.1 == A && p.0 > limited_at).map(|p| p.0).min();
    assert!(
        again.is_none_or(|t| t >= limited_at + 20_000),
        "A probed again {again:?} ms, before its Retry-After"
    );
    let (state, sentence) = sim.badge(ETH);
    assert_eq!(state, BadgeState::Rerouting);
    assert!(sentence.contains("(rate limiting)") && sentence.contains("served by d.example"), "{sentence}");
}

#[test]
fn a_stale_wallet_is_a_failing_wallet() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok); // the chain becomes active: fallbacks verified, heads 1000
    // Ten blocks behind two agreeing fallbacks: a wallet may be answering from its block cache
    // (MetaMask polls every 20 s), so only a lag that outlasts any cache is stale.
    let start = sim.now;
    let mut stale_at = None;
    while sim.now - start < 40_000 && stale_at.is_none() {
        let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, Some(990));
        if sim.badge(ETH).0 == BadgeState::Rerouting {
            stale_at = Some(sim.now - start);
        }
        sim.advance(1_000);
    }
    let stale_at = stale_at.expect("judged stale");
    assert!((30_000..=32_000).contains(&stale_at), "stale after {stale_at} ms, beyond a 30 s cache");
    let (state, sentence) = sim.badge(ETH);
    assert_eq!(state, BadgeState::Rerouting);
    assert!(sentence.contains("(stale blocks)"), "{sentence}");
    // A wallet within the allowed lag is fine.
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
    sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, Some(998));
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy);
}

#[test]
fn a_fallback_on_the_wrong_chain_is_never_used() {
    let mut sim = world(Settings::default());
    sim.endpoint(A, Behaviour::Healthy { chain_id: 56, head: 5_000_000, latency_ms: 5 });
    hang(&mut sim, 10, 500);
    assert_eq!(sim.policy(ETH), Policy::Reroute);
    let steps = sim.serve(ETH, "eth_call", FallbackReason::Reroute, None);
    // A is dropped from the candidates and D, the next in the registry, takes its place.
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: D.into() }));
    assert!(sim.probes.iter().all(|p| p.1 != A || p.2 == "eth_chainId"), "A is never asked for its head");
    assert!(!sim.badge(ETH).1.contains("a.example"));
    // Its absurd head does not make the honest endpoints look stale either.
    assert_eq!(sim.badge(ETH).0, BadgeState::Rerouting);
}

#[test]
fn no_verified_fallback_means_reads_stay_with_the_wallet() {
    let mut sim = Sim::new(Settings::default(), vec![chain(ETH, "Ethereum", &[A])]);
    sim.endpoint(A, Behaviour::Healthy { chain_id: 2, head: 1, latency_ms: 5 });
    hang(&mut sim, 10, 500);
    let (state, sentence) = sim.badge(ETH);
    assert_eq!(state, BadgeState::Failing);
    assert!(
        sentence.ends_with("No verified fallback is available yet, so reads still go to your wallet."),
        "{sentence}"
    );
    assert_eq!(sim.policy(ETH), Policy::Pass);
    let steps = sim.serve(ETH, "eth_call", FallbackReason::WalletError, Some(Observed::Timeout));
    assert_eq!(steps, vec![FallbackStep::Declined { reason: "no verified fallback endpoint is available" }]);
}

#[test]
fn outage_on_three_chains_at_once_is_tracked_per_chain() {
    let chains = vec![
        chain(1, "Ethereum", &[A]),
        chain(10, "OP Mainnet", &[B]),
        chain(137, "Polygon", &[C]),
        chain(8453, "Base", &[D]),
    ];
    let mut sim = Sim::new(Settings::default(), chains);
    for (url, id) in [(A, 1), (B, 10), (C, 137), (D, 8453)] {
        sim.endpoint(url, Behaviour::Healthy { chain_id: id, head: 100, latency_ms: 50 });
    }
    let down = rpc_error(-32002, "RPC endpoint not found or unavailable.", Some(r#"{"httpStatus":502}"#));
    for _ in 0..3 {
        for id in [1, 10, 137] {
            sim.read(id, down.clone());
        }
        sim.read(8453, Observed::Ok);
    }
    for (id, name) in [(1, "Ethereum"), (10, "OP Mainnet"), (137, "Polygon")] {
        let (state, sentence) = sim.badge(id);
        assert_eq!(state, BadgeState::Rerouting, "{name}");
        assert!(
            sentence.starts_with(&format!("Your wallet's {name} RPC failed 3 of the last 3")),
            "{sentence}"
        );
        assert_eq!(sim.policy(id), Policy::Reroute);
    }
    assert_eq!(sim.badge(8453).0, BadgeState::Healthy);
    assert_eq!(sim.policy(8453), Policy::Hedge { after_ms: 100, check_head: false, account_reads: false });
}

#[test]
fn recovery_hedges_in_half_open_then_returns_to_the_wallet() {
    let mut sim = world(Settings::default());
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    assert_eq!(sim.policy(ETH), Policy::Reroute);
    sim.advance(5_000); // cooldown
    assert!(matches!(sim.policy(ETH), Policy::Hedge { .. }), "half-open tries the wallet with a safety net");
    sim.read(ETH, Observed::Ok);
    sim.read(ETH, Observed::Ok);
    assert_eq!(
        sim.policy(ETH),
        Policy::Hedge { after_ms: 100, check_head: false, account_reads: true },
        "back to the wallet, stragglers hedged, those with account data too while it just failed"
    );
    for _ in 0..20 {
        sim.read(ETH, Observed::Ok);
        sim.advance(500);
    }
    assert_eq!(
        sim.policy(ETH),
        Policy::Hedge { after_ms: 100, check_head: false, account_reads: false },
        "healthy again for 10 s: the user's addresses stay with their wallet"
    );
    assert_eq!(
        sim.badge(ETH),
        (
            BadgeState::Healthy,
            "Your wallet's Ethereum RPC has recovered; requests go to your wallet again.".into()
        )
    );
    sim.advance(31_000);
    assert!(sim.badge(ETH).1.contains("answering normally"));
}

#[test]
fn a_failure_while_half_open_reopens_for_longer() {
    let mut sim = world(Settings::default());
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    sim.advance(5_000);
    let reopened_at = sim.now;
    sim.read(ETH, Observed::Timeout);
    assert_eq!(sim.policy(ETH), Policy::Reroute);
    sim.advance(9_750);
    assert_eq!(sim.policy(ETH), Policy::Reroute, "the second cooldown is 10 s");
    sim.advance(500);
    assert!(sim.now >= reopened_at + 10_000);
    assert!(matches!(sim.policy(ETH), Policy::Hedge { .. }));
}

#[test]
fn reverts_and_rejections_never_change_the_badge() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    for _ in 0..20 {
        sim.read(ETH, rpc_error(3, "execution reverted: nope", Some("\"0x08c379a0\"")));
        sim.read(
            ETH,
            rpc_error(
                -32603,
                "Internal JSON-RPC error.",
                Some(r#"{"code":3,"message":"execution reverted"}"#),
            ),
        );
        let id = sim.start(TAB, WALLET, ETH, "personal_sign");
        sim.finish(
            TAB,
            WALLET,
            ETH,
            "personal_sign",
            id,
            900,
            rpc_error(4001, "User rejected the request.", None),
        );
    }
    assert_eq!(sim.badges(TAB, ETH).len(), 1);
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy);
}

#[test]
fn signing_that_waits_for_the_user_is_never_a_time_out() {
    let mut sim = world(Settings::default());
    for _ in 0..5 {
        sim.start(TAB, WALLET, ETH, "eth_sendTransaction");
    }
    sim.advance(60_000);
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy);
}

#[test]
fn fallbacks_fail_over_in_turn_then_give_the_wallets_error_back() {
    let mut sim = world(Settings::default());
    hang(&mut sim, 10, 500);
    sim.endpoint(A, Behaviour::Fails(Observed::Http { status: 502, retry_after_ms: None }));
    sim.endpoint(B, Behaviour::Fails(rpc_error(-32603, "upstream connect error", None)));
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::Reroute, None);
    let urls: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            FallbackStep::Send { url, .. } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(urls, vec![A, B, C]);
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: C.into() }));
    sim.endpoint(C, Behaviour::Fails(Observed::Timeout));
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::Reroute, None);
    assert!(matches!(steps.last(), Some(FallbackStep::Declined { .. })), "{steps:?}");
}

#[test]
fn a_dapp_error_from_a_fallback_is_served_as_the_answer() {
    let mut sim = world(Settings::default());
    hang(&mut sim, 10, 500);
    sim.endpoint(A, Behaviour::Fails(rpc_error(3, "execution reverted", None)));
    let steps = sim.serve(ETH, "eth_call", FallbackReason::Reroute, None);
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: A.into() }));
}

#[test]
fn the_wallets_own_dapp_errors_are_never_retried_elsewhere() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    let revert = rpc_error(3, "execution reverted", None);
    assert_eq!(
        sim.serve(ETH, "eth_call", FallbackReason::WalletError, Some(revert)),
        vec![FallbackStep::Declined { reason: "the wallet's answer stands" }]
    );
    let failed =
        rpc_error(-32603, "Internal JSON-RPC error.", Some(r#"{"cause":{"message":"Failed to fetch"}}"#));
    let steps = sim.serve(ETH, "eth_call", FallbackReason::WalletError, Some(failed));
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: A.into() }));
    // A hedge is only honoured while the engine's policy says so.
    assert_eq!(
        sim.serve(ETH, "eth_call", FallbackReason::Reroute, None),
        vec![FallbackStep::Declined { reason: "the wallet's answer stands" }]
    );
}

#[test]
fn per_site_mode_override() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    sim.send(Event::TabMode { tab: TAB, mode: Some(Mode::Observe) });
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    assert_eq!(sim.badge(ETH).0, BadgeState::Failing);
    assert_eq!(sim.policy(ETH), Policy::Pass);
    sim.send(Event::TabMode { tab: TAB, mode: None });
    assert_eq!(sim.policy(ETH), Policy::Reroute);
}

#[test]
fn tabs_are_judged_separately_and_forgotten_when_closed() {
    let mut sim = world(Settings::default());
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    let other = 8;
    let id = sim.start(other, WALLET, ETH, "eth_call");
    sim.finish(other, WALLET, ETH, "eth_call", id, 30, Observed::Ok);
    assert_eq!(sim.badges(other, ETH).last().map(|b| b.1), Some(BadgeState::Healthy));
    assert_eq!(sim.badge(ETH).0, BadgeState::Rerouting);
    sim.send(Event::TabClosed { tab: TAB });
    assert!(sim.engine.status(TAB).wallets.is_empty());
    assert_eq!(sim.engine.status(other).wallets.len(), 1);
}

#[test]
fn state_survives_a_restart() {
    let mut sim = world(Settings::default());
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    let saved = serde_json::to_string(&sim.engine.save()).unwrap();
    let saved = serde_json::from_str(&saved).unwrap();
    let mut engine = rpc_lifeline::Engine::restore(
        Settings::default(),
        vec![chain(ETH, "Ethereum", &[A, B, C, D])],
        saved,
    )
    .unwrap();
    engine.handle(Event::Tick, sim.now).unwrap();
    let actions: Vec<Action> = std::iter::from_fn(|| engine.poll_action()).collect();
    let badge = actions.iter().find_map(|a| match a {
        Action::Badge { state, .. } => Some(*state),
        _ => None,
    });
    assert_eq!(badge, Some(BadgeState::Rerouting), "the verdict is re-announced after the restart");
    assert!(actions.contains(&Action::Policy {
        tab: TAB,
        wallet: WALLET.into(),
        chain_id: ETH,
        policy: Policy::Reroute
    }));
}

#[test]
fn a_single_hung_read_is_enough_evidence_in_the_end() {
    // viem shares one pending eth_blockNumber among its callers: a hung wallet may see
    // exactly one request and nothing after it.
    let mut sim = world(Settings::default());
    let start = sim.now;
    sim.start(TAB, WALLET, ETH, "eth_blockNumber");
    sim.advance(12_000);
    let blue = sim.first(ETH, BadgeState::Rerouting).expect("rerouting") - start;
    assert!((9_000..=9_250).contains(&blue), "one time-out per 3 s unanswered: rerouting after {blue} ms");
    assert!(sim.badge(ETH).1.contains("failed 3 of the last 3 requests (time-outs)"), "{}", sim.badge(ETH).1);
}

#[test]
fn a_signed_transaction_goes_to_two_fallbacks_only_while_the_wallet_fails() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    let raw = "eth_sendRawTransaction";
    // A healthy wallet's own answers stand, and a slow one is never hedged for a transaction
    // (it may be using a private mempool on purpose).
    let nonce = rpc_error(-32000, "nonce too low", None);
    assert!(matches!(
        sim.serve(ETH, raw, FallbackReason::WalletError, Some(nonce)).as_slice(),
        [FallbackStep::Declined { .. }]
    ));
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    assert_eq!(sim.policy(ETH), Policy::Reroute);
    assert!(matches!(
        sim.serve(ETH, raw, FallbackReason::Hedge, None).as_slice(),
        [FallbackStep::Declined { .. }]
    ));
    // Not on the policy alone: the wallet gets the transaction first, and only its own
    // infrastructure failure of *that* transaction lets it go further.
    assert!(matches!(
        sim.serve(ETH, raw, FallbackReason::Reroute, None).as_slice(),
        [FallbackStep::Declined { .. }]
    ));
    let steps = sim.serve(ETH, raw, FallbackReason::WalletError, Some(Observed::Timeout));
    let sent: Vec<&str> = steps
        .iter()
        .filter_map(|s| match s {
            FallbackStep::Send { url, .. } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![A, B], "the two best verified fallbacks");
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: A.into() }), "the page gets the first answer");
}

#[test]
fn a_rerouted_read_never_goes_back_in_time() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok); // A and B at head 1000, C at 999, A fastest
    // The wallet has shown this page block 1010 before it started failing.
    let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
    sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, Some(1_010));
    for _ in 0..3 {
        sim.read(ETH, Observed::Timeout);
    }
    sim.advance(5_000); // the fallbacks' heads are probed again, after the page saw 1010
    assert_eq!(
        sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, Some(Observed::Timeout)),
        vec![FallbackStep::Declined { reason: "no verified fallback endpoint is available" }],
        "every fallback is far behind block 1010: the page keeps the wallet's answer"
    );
    // B and C catch up (their next probes); A is still behind: B serves, although A is faster.
    sim.endpoint(B, Behaviour::Healthy { chain_id: ETH, head: 1_010, latency_ms: 80 });
    sim.endpoint(C, Behaviour::Healthy { chain_id: ETH, head: 1_010, latency_ms: 120 });
    sim.advance(5_000);
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, Some(Observed::Timeout));
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: B.into() }));
    // A fallback answering eth_blockNumber behind the page is skipped, not believed.
    sim.endpoint(A, Behaviour::Healthy { chain_id: ETH, head: 1_013, latency_ms: 30 });
    sim.advance(5_000);
    sim.endpoint(A, Behaviour::Healthy { chain_id: ETH, head: 990, latency_ms: 30 });
    let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
    sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, Some(1_013));
    let steps = sim.serve(ETH, "eth_blockNumber", FallbackReason::WalletError, Some(Observed::Timeout));
    assert!(!matches!(steps.last(), Some(FallbackStep::Served { url }) if url == A), "{steps:?}");
}

#[test]
fn one_stale_head_is_conclusive_even_among_good_answers() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    sim.advance(31_000); // the fallbacks have agreed on block 1000 for longer than any cache
    let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
    sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, Some(990));
    sim.read(ETH, Observed::Ok);
    sim.read(ETH, Observed::Ok);
    assert_eq!(sim.badge(ETH).0, BadgeState::Rerouting, "{}", sim.badge(ETH).1);
    assert_eq!(sim.policy(ETH), Policy::Reroute);
    // After the cooldown the wallet is tried again; a fresh head closes the circuit.
    sim.advance(5_000);
    for _ in 0..2 {
        let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, Some(1_000));
    }
    assert!(matches!(sim.policy(ETH), Policy::Hedge { .. }), "back to the wallet");
}

#[test]
fn a_healthy_wallets_reads_with_account_data_never_leave_it() {
    let mut sim = world(Settings::default());
    for _ in 0..20 {
        sim.read(ETH, Observed::Ok);
    }
    assert_eq!(sim.policy(ETH), Policy::Hedge { after_ms: 100, check_head: false, account_reads: false });
    // A slow eth_getBalance on a healthy wallet stays with it: no fallback learns the address.
    for method in ["eth_getBalance", "eth_call", "eth_getLogs", "eth_getTransactionCount"] {
        let steps = sim.serve(ETH, method, FallbackReason::Hedge, None);
        assert!(matches!(steps.as_slice(), [FallbackStep::Declined { .. }]), "{method}: {steps:?}");
    }
    // A block read may race; once a fallback had to answer for the wallet, the wallet is
    // suspect and account reads follow, for a while.
    let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
    let steps = sim.hedge(ETH, "eth_blockNumber", id);
    assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");
    sim.finish(TAB, WALLET, ETH, "eth_blockNumber", id, 150, Observed::Ok);
    assert!(matches!(sim.policy(ETH), Policy::Hedge { account_reads: true, .. }), "{:?}", sim.policy(ETH));
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::Hedge, None);
    assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");
    sim.advance(11_000);
    assert!(matches!(sim.policy(ETH), Policy::Hedge { account_reads: false, .. }), "{:?}", sim.policy(ETH));
    // A read the wallet failed is rescued whatever it carries: the wallet is failing.
    let steps = sim.serve(
        ETH,
        "eth_getBalance",
        FallbackReason::WalletError,
        Some(Observed::Http { status: 503, retry_after_ms: None }),
    );
    assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");
}

#[test]
fn a_straggler_on_a_healthy_wallet_is_hedged_without_alarming_the_user() {
    let mut sim = world(Settings::default());
    for _ in 0..20 {
        sim.read(ETH, Observed::Ok);
    }
    let steps = sim.serve(ETH, "eth_getBlockByNumber", FallbackReason::Hedge, None);
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: A.into() }));
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy, "{}", sim.badge(ETH).1);
    // Signing and transactions are never hedged, healthy or not.
    for method in ["eth_sendTransaction", "personal_sign", "eth_sendRawTransaction"] {
        assert!(matches!(
            sim.serve(ETH, method, FallbackReason::Hedge, None).as_slice(),
            [FallbackStep::Declined { .. }]
        ));
    }
}

#[test]
fn the_hedge_delay_follows_the_wallets_healthy_tail_not_its_outage() {
    let mut sim = world(Settings::default());
    for _ in 0..20 {
        let id = sim.start(TAB, WALLET, ETH, "eth_call");
        sim.finish(TAB, WALLET, ETH, "eth_call", id, 120, Observed::Ok);
    }
    assert_eq!(
        sim.policy(ETH),
        Policy::Hedge { after_ms: 180, check_head: false, account_reads: false },
        "1.5 × p95"
    );
    // A slow outage (answers after 2.9 s) does not teach the engine to wait longer.
    for _ in 0..20 {
        let id = sim.start(TAB, WALLET, ETH, "eth_call");
        sim.finish(TAB, WALLET, ETH, "eth_call", id, 2_900, Observed::Ok);
    }
    assert_eq!(sim.policy(ETH), Policy::Hedge { after_ms: 180, check_head: false, account_reads: false });
    assert_eq!(sim.badge(ETH).0, BadgeState::Degraded, "the slow tail still shows");
}

/// A chain making a block a second; the page asks the wallet for the head every 400 ms.
fn follow_chain(sim: &mut Sim, from_ms: u64, to_ms: u64, wallet_head: impl Fn(u64) -> u64) {
    while sim.now < to_ms {
        let chain_head = 1_000 + (sim.now - from_ms) / 1_000;
        for url in [A, B, C, D] {
            sim.endpoint(url, Behaviour::Healthy { chain_id: ETH, head: chain_head, latency_ms: 30 });
        }
        let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        sim.finish_with_block(
            TAB,
            WALLET,
            ETH,
            "eth_blockNumber",
            id,
            20,
            Observed::Ok,
            Some(wallet_head(chain_head)),
        );
        sim.advance(400);
    }
}

#[test]
fn a_wallet_head_that_stops_moving_is_caught_within_a_few_blocks() {
    let mut sim = world(Settings::default());
    let start = sim.now;
    let freeze_at = start + 20_000;
    follow_chain(&mut sim, start, freeze_at, |head| head);
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy, "{}", sim.badge(ETH).1);
    assert!(first_head_check(&sim).is_none(), "a moving head is never double-checked");
    let frozen = 1_000 + (freeze_at - start) / 1_000;
    follow_chain(&mut sim, start, freeze_at + 10_000, |_| frozen);
    let caught = sim.first(ETH, BadgeState::Rerouting).expect("rerouted") - freeze_at;
    assert!(caught <= 2_000, "a frozen head caught after {caught} ms (a block a second)");
    assert!(sim.badge(ETH).1.contains("(stale blocks)"), "{}", sim.badge(ETH).1);
    // Before it is proven stale, the page's block numbers are already checked against the
    // fallback's: the bench counts a head wrong one block after the chain moved on.
    let checked = first_head_check(&sim).expect("block numbers checked") - freeze_at;
    assert!(checked < 1_700, "block numbers checked {checked} ms into the freeze");
    // The half-open trials after each cooldown go to a wallet still stuck: checked too.
    let trials: Vec<Policy> = sim
        .log
        .iter()
        .filter(|(t, _)| *t > freeze_at + caught)
        .filter_map(|(_, a)| match a {
            Action::Policy { policy: p @ Policy::Hedge { .. }, .. } => Some(*p),
            _ => None,
        })
        .collect();
    assert!(!trials.is_empty(), "the wallet is tried again after the cooldown");
    assert!(trials.iter().all(|p| matches!(p, Policy::Hedge { check_head: true, .. })), "{trials:?}");
}

/// When the engine first asked the page to check the wallet's block numbers.
fn first_head_check(sim: &Sim) -> Option<u64> {
    sim.log.iter().find_map(|(t, a)| match a {
        Action::Policy { policy: Policy::Hedge { check_head: true, .. }, .. } => Some(*t),
        _ => None,
    })
}

#[test]
fn a_wallet_a_couple_of_blocks_behind_but_moving_is_not_stale() {
    let mut sim = world(Settings::default());
    let start = sim.now;
    follow_chain(&mut sim, start, start + 60_000, |head| head - 2);
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy, "{}", sim.badge(ETH).1);
    assert!(sim.first(ETH, BadgeState::Rerouting).is_none());
}

#[test]
fn a_wallet_a_moment_late_after_a_long_gap_is_not_stale() {
    // Blocks every second, then nothing for 4 s (missed slots: every node's head freezes);
    // the wallet's node hears of every block 150 ms after the fallbacks do. The page asks for
    // the head every 100 ms, so the wallet confirms a frozen head a block behind.
    let mut sim = world(Settings::default());
    let start = sim.now;
    let head_at = |t: u64| {
        let elapsed = t.saturating_sub(start);
        match elapsed {
            0..20_000 => 1_000 + elapsed / 1_000,
            20_000..24_000 => 1_020,
            _ => 1_021 + (elapsed - 24_000) / 1_000,
        }
    };
    while sim.now < start + 40_000 {
        for url in [A, B, C, D] {
            sim.endpoint(url, Behaviour::Healthy { chain_id: ETH, head: head_at(sim.now), latency_ms: 30 });
        }
        let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        let wallet_head = Some(head_at(sim.now.saturating_sub(150)));
        sim.finish_with_block(TAB, WALLET, ETH, "eth_blockNumber", id, 20, Observed::Ok, wallet_head);
        sim.advance(100);
    }
    assert!(sim.first(ETH, BadgeState::Rerouting).is_none(), "{}", sim.badge(ETH).1);
    assert_eq!(sim.badge(ETH).0, BadgeState::Healthy, "{}", sim.badge(ETH).1);
}

#[test]
fn answers_later_than_the_time_out_are_time_outs() {
    // Answers a little after 3 s, each before the next tick would have counted it: a late
    // success must not keep the circuit of a wallet this slow closed.
    let mut sim = world(Settings::default());
    for _ in 0..3 {
        let id = sim.start(TAB, WALLET, ETH, "eth_call");
        sim.finish(TAB, WALLET, ETH, "eth_call", id, 3_100, Observed::Ok);
    }
    assert_eq!(sim.badge(ETH).0, BadgeState::Rerouting, "{}", sim.badge(ETH).1);
    assert!(sim.badge(ETH).1.contains("time-outs"), "{}", sim.badge(ETH).1);
}

#[test]
fn reads_a_fallback_answered_while_the_wallet_did_not_time_out_sooner() {
    // A wallet that has gone slow (answers after 3 s): every read is hedged and the fallback
    // answers at once. Those reads count as time-outs after slowRequestMs, not after the full
    // 3 s, so the circuit opens (and reads stop being sent twice) half as late.
    let open_after = |linked: bool| {
        let mut sim = world(Settings::default());
        for _ in 0..20 {
            sim.read(ETH, Observed::Ok);
        }
        let outage = sim.now;
        for _ in 0..3 {
            let id = sim.start(TAB, WALLET, ETH, "eth_getBlockByNumber");
            let steps = if linked {
                sim.hedge(ETH, "eth_getBlockByNumber", id)
            } else {
                sim.serve(ETH, "eth_getBlockByNumber", FallbackReason::Hedge, None)
            };
            assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");
            sim.advance(100);
        }
        sim.advance(4_000);
        sim.first(ETH, BadgeState::Rerouting).expect("rerouted") - outage
    };
    let (linked, unlinked) = (open_after(true), open_after(false));
    assert!(linked <= 2_000, "opened {linked} ms into the outage");
    assert!(unlinked >= 3_000, "a hedge that names no read proves nothing: {unlinked} ms");
}

/// A chain making a block a second and a wallet that caches its head the way MetaMask's block
/// tracker does: it polls the chain every `poll_ms` and answers every eth_blockNumber with the
/// block it saw at its last poll. The page asks every 400 ms; the fallbacks follow the chain.
fn caching_wallet(sim: &mut Sim, from_ms: u64, to_ms: u64, poll_ms: u64, stop_polling_at: Option<u64>) {
    let head_at = |t: u64| 1_000 + (t - from_ms) / 1_000;
    while sim.now < to_ms {
        for url in [A, B, C] {
            sim.endpoint(url, Behaviour::Healthy { chain_id: ETH, head: head_at(sim.now), latency_ms: 30 });
        }
        let last_poll = from_ms + (sim.now - from_ms) / poll_ms * poll_ms;
        let polled = stop_polling_at.map_or(last_poll, |stop| last_poll.min(stop));
        let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        sim.finish_with_block(
            TAB,
            WALLET,
            ETH,
            "eth_blockNumber",
            id,
            20,
            Observed::Ok,
            Some(head_at(polled)),
        );
        sim.read(ETH, Observed::Ok);
        sim.advance(400);
    }
}

#[test]
fn a_healthy_wallet_that_caches_its_head_for_20_s_keeps_its_reads() {
    let mut sim = world(Settings::default());
    let start = sim.now;
    // Three minutes of a wallet that trails by up to 20 blocks on a one-second chain.
    caching_wallet(&mut sim, start, start + 180_000, 20_000, None);
    let states: Vec<BadgeState> = sim.badges(TAB, ETH).into_iter().map(|(_, s, _)| s).collect();
    assert!(states.iter().all(|s| *s == BadgeState::Healthy), "{states:?}");
    let policies: Vec<Policy> = sim
        .log
        .iter()
        .filter_map(|(_, a)| match a {
            Action::Policy { policy, .. } => Some(*policy),
            _ => None,
        })
        .collect();
    assert!(
        policies.iter().all(|p| matches!(p, Policy::Pass | Policy::Hedge { check_head: false, .. })),
        "no read is diverted and no head double-checked: {policies:?}"
    );
}

#[test]
fn a_caching_wallet_whose_tracker_stops_is_caught_within_two_cadences() {
    let mut sim = world(Settings::default());
    let start = sim.now;
    let stop = start + 60_000;
    caching_wallet(&mut sim, start, start + 120_000, 20_000, Some(stop));
    let caught = sim.first(ETH, BadgeState::Rerouting).expect("caught") - stop;
    assert!(caught <= 40_000, "a stopped 20 s tracker caught after {caught} ms");
    assert!(sim.badge(ETH).1.contains("(stale blocks)"), "{}", sim.badge(ETH).1);
}

#[test]
fn one_lying_endpoint_ahead_of_the_chain_captures_nothing() {
    let mut sim = world(Settings::default());
    let start = sim.now;
    // D is not a candidate in `world`; make the liar one of the three candidates instead.
    let liar = C;
    let head_at = |t: u64| 1_000 + (t - start) / 1_000;
    while sim.now < start + 60_000 {
        for url in [A, B] {
            sim.endpoint(url, Behaviour::Healthy { chain_id: ETH, head: head_at(sim.now), latency_ms: 30 });
        }
        sim.endpoint(liar, Behaviour::Healthy { chain_id: ETH, head: head_at(sim.now) + 10, latency_ms: 5 });
        let id = sim.start(TAB, WALLET, ETH, "eth_blockNumber");
        sim.finish_with_block(
            TAB,
            WALLET,
            ETH,
            "eth_blockNumber",
            id,
            20,
            Observed::Ok,
            Some(head_at(sim.now)),
        );
        sim.advance(500);
    }
    assert!(
        sim.badges(TAB, ETH).iter().all(|(_, s, _)| *s == BadgeState::Healthy),
        "the honest wallet is never judged stale by the liar: {:?}",
        sim.badges(TAB, ETH)
    );
    // When the wallet does fail, the liar (fastest of all) serves nothing.
    hang(&mut sim, 10, 500);
    for method in ["eth_getBalance", "eth_blockNumber"] {
        let steps = sim.serve(ETH, method, FallbackReason::WalletError, Some(Observed::Timeout));
        assert!(
            steps.iter().all(|s| !matches!(s, FallbackStep::Send { url, .. } if url == liar)),
            "{steps:?}"
        );
        assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");
    }
}

#[test]
fn a_fork_that_reuses_the_chain_id_is_never_used() {
    // A, the fastest, answers the right chain id but another genesis block (a reset testnet, a
    // local node, a fork): B and C outvote it, and it never serves nor judges a head.
    let mut sim = world(Settings::default());
    sim.genesis.insert(A.into(), 0x0bad_0000_0000_0001);
    sim.read(ETH, Observed::Ok);
    for method in ["eth_getBalance", "eth_blockNumber", "eth_call"] {
        let steps = sim.serve(ETH, method, FallbackReason::WalletError, Some(Observed::Timeout));
        assert!(steps.iter().all(|s| !matches!(s, FallbackStep::Send { url, .. } if url == A)), "{steps:?}");
        assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");
    }
    assert!(sim.probes.iter().any(|p| p.1 == A && p.2 == "eth_getBlockByNumber"), "A's genesis was asked");
    // Two endpoints that disagree, with no third to decide: neither serves.
    let mut sim = Sim::new(Settings::default(), vec![chain(ETH, "Ethereum", &[A, B])]);
    sim.endpoint(A, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 30 });
    sim.endpoint(B, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 80 });
    sim.genesis.insert(A.into(), 0x0bad_0000_0000_0001);
    sim.read(ETH, Observed::Ok);
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, Some(Observed::Timeout));
    assert!(matches!(steps.as_slice(), [FallbackStep::Declined { .. }]), "{steps:?}");
}

/// A block hash whose fingerprint (its first 64 bits) is `fingerprint`.
fn hash_with(fingerprint: u64) -> String {
    format!("0x{fingerprint:016x}{}", "0".repeat(48))
}

#[test]
fn a_wallet_is_served_only_by_endpoints_on_its_own_genesis() {
    const FORK: u64 = 0x0bad_0000_0000_0001;
    let genesis_of = |hash: u64| Event::WalletGenesis {
        tab: TAB,
        wallet: WALLET.into(),
        chain_id: ETH,
        hash: hash_with(hash),
    };
    let sends = |steps: &[FallbackStep]| -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| if let FallbackStep::Send { url, .. } = s { Some(url.clone()) } else { None })
            .collect()
    };
    // Two endpoints that disagree on block 0, nobody to decide: neither serves, until the
    // wallet answers its own block 0; then the one on the wallet's chain does.
    let mut sim = Sim::new(Settings::default(), vec![chain(ETH, "Ethereum", &[A, B])]);
    sim.endpoint(A, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 30 });
    sim.endpoint(B, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 80 });
    sim.genesis.insert(A.into(), FORK);
    sim.read(ETH, Observed::Ok);
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, Some(Observed::Timeout));
    assert!(matches!(steps.as_slice(), [FallbackStep::Declined { .. }]), "{steps:?}");
    sim.send(genesis_of(common::GENESIS));
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, Some(Observed::Timeout));
    assert_eq!(sends(&steps), [B], "{steps:?}");
    assert!(matches!(steps.last(), Some(FallbackStep::Served { .. })), "{steps:?}");

    // A wallet on a chain most endpoints are not on (a reset testnet, a local node reusing the
    // chain id) is served by the endpoint on its chain alone, never by the majority.
    let mut sim = world(Settings::default());
    sim.genesis.insert(C.into(), FORK);
    sim.read(ETH, Observed::Ok);
    sim.send(genesis_of(FORK));
    for method in ["eth_getBalance", "eth_blockNumber", "eth_call"] {
        let steps = sim.serve(ETH, method, FallbackReason::WalletError, Some(Observed::Timeout));
        assert_eq!(sends(&steps), [C], "{method}: {steps:?}");
    }

    // A hash that is not 32 bytes of hex is refused, and the wallet's genesis stays as it was.
    let bad = Event::WalletGenesis { tab: TAB, wallet: WALLET.into(), chain_id: ETH, hash: "0x12".into() };
    assert!(sim.engine.handle(bad, sim.now).is_err());
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, Some(Observed::Timeout));
    assert_eq!(sends(&steps), [C], "{steps:?}");
}

#[test]
fn a_fallback_that_failed_a_tabs_read_is_tried_last_for_that_tab_only() {
    let first_send = |steps: &[FallbackStep]| {
        steps
            .iter()
            .find_map(|s| if let FallbackStep::Send { url, .. } = s { Some(url.clone()) } else { None })
    };
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    let wallet_error = Some(Observed::Timeout);
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, wallet_error.clone());
    let fastest = first_send(&steps).expect("a fallback was tried");
    // The fastest fails this tab's next read (a 503 of a flapping endpoint, between probes).
    sim.endpoint(&fastest, Behaviour::Fails(Observed::Http { status: 503, retry_after_ms: None }));
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, wallet_error.clone());
    assert_eq!(first_send(&steps), Some(fastest.clone()), "{steps:?}");
    assert!(matches!(steps.last(), Some(FallbackStep::Served { url }) if *url != fastest), "{steps:?}");
    sim.endpoint(&fastest, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 10 });
    // This tab tries it last for a while: one request per read, not two...
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, wallet_error.clone());
    assert_ne!(first_send(&steps), Some(fastest.clone()), "{steps:?}");
    // ...another tab is not steered by it...
    sim.start(TAB + 1, WALLET, ETH, "eth_getBalance");
    let other =
        sim.serve_in(TAB + 1, ETH, "eth_getBalance", FallbackReason::WalletError, wallet_error.clone());
    assert_eq!(first_send(&other), Some(fastest.clone()), "{other:?}");
    // ...and after a few seconds it is first again for this tab too.
    sim.advance(5_001);
    let steps = sim.serve(ETH, "eth_getBalance", FallbackReason::WalletError, wallet_error);
    assert_eq!(first_send(&steps), Some(fastest), "{steps:?}");
}

#[test]
fn a_page_cannot_switch_fallbacks_off_for_other_tabs() {
    let mut sim = world(Settings::default());
    sim.read(ETH, Observed::Ok);
    // The attacker tab has no failing wallet, only a read that every endpoint refuses or
    // chokes on (a getLogs over ten million blocks), asked again and again.
    let attacker = TAB + 1;
    sim.start(attacker, WALLET, ETH, "eth_call");
    let refusals = [
        rpc_error(-32005, "query returned more than 10000 results", None),
        Observed::Timeout,
        Observed::Http { status: 413, retry_after_ms: None },
    ];
    for round in 0..60 {
        let mut step = sim.engine.begin_fallback(
            FallbackRequest {
                tab: attacker,
                wallet: WALLET.into(),
                chain_id: ETH,
                method: "eth_getLogs".into(),
                reason: FallbackReason::WalletError,
                wallet_error: Some(Observed::Timeout),
                request_id: None,
            },
            sim.now,
        );
        while let FallbackStep::Send { ticket, .. } = step {
            step = sim.engine.fallback_answered(ticket, &refusals[round % 3], None, sim.now);
        }
        assert!(!matches!(step, FallbackStep::Served { .. }));
        sim.advance(100);
    }
    // The victim's wallet really fails: its reads are still served, by the fastest endpoint.
    hang(&mut sim, 10, 500);
    let steps = sim.serve(ETH, "eth_call", FallbackReason::WalletError, Some(Observed::Timeout));
    assert_eq!(steps.last(), Some(&FallbackStep::Served { url: A.into() }), "{steps:?}");
    assert!(sim.badge(ETH).1.contains("served by a.example"), "{}", sim.badge(ETH).1);
}

#[test]
fn one_tab_gets_only_its_share_of_fallback_reads() {
    let settings = Settings { max_fallbacks_per_tab: 4, ..Settings::default() };
    let mut sim = world(settings);
    sim.read(ETH, Observed::Ok);
    let hungry = |sim: &mut Sim, tab| {
        sim.engine.begin_fallback(
            FallbackRequest {
                tab,
                wallet: WALLET.into(),
                chain_id: ETH,
                method: "eth_call".into(),
                reason: FallbackReason::WalletError,
                wallet_error: Some(Observed::Timeout),
                request_id: None,
            },
            sim.now,
        )
    };
    let sent = (0..10).filter(|_| matches!(hungry(&mut sim, TAB), FallbackStep::Send { .. })).count();
    assert_eq!(sent, 4, "the greedy tab is held to its share");
    sim.start(TAB + 1, WALLET, ETH, "eth_call");
    assert!(matches!(hungry(&mut sim, TAB + 1), FallbackStep::Send { .. }), "another tab still gets one");
}

#[test]
fn the_fix_never_offers_a_url_that_may_carry_a_key() {
    let keyed = "https://rpc.example/v1/1659dfb40aa24bbb8153a677b98064d7";
    let mut sim = Sim::new(Settings::default(), vec![chain(ETH, "Ethereum", &[keyed, A, B])]);
    sim.endpoint(keyed, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 1 });
    sim.endpoint(A, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 30 });
    sim.endpoint(B, Behaviour::Healthy { chain_id: ETH, head: 1_000, latency_ms: 80 });
    hang(&mut sim, 10, 500);
    let offered: Vec<Vec<String>> = sim
        .log
        .iter()
        .filter_map(|(_, a)| match a {
            Action::SuggestFix { params, .. } => Some(params.rpc_urls.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(offered, vec![vec![A.to_owned()]], "the keyed endpoint serves reads but is never offered");
}
