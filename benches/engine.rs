//! Criterion micro-benchmarks of the engine, natively: events per second through
//! `Engine::handle` (a realistic mix of page traffic over 20 tabs), outcome classification
//! per second, and `parse_response` per second. `cargo bench --bench engine` (short
//! measurement times: the whole file runs in well under a minute).
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rpc_lifeline::engine::{Action, Engine, Event};
use rpc_lifeline::jsonrpc::parse_response;
use rpc_lifeline::outcome::{Observed, classify};
use rpc_lifeline::registry::{ChainSpec, NativeCurrency, RpcSpec};
use rpc_lifeline::settings::{Settings, Tracking};
use std::hint::black_box;
use std::time::Duration;

const CHAIN: u64 = 1;
const TABS: u32 = 20;
const FALLBACKS: [&str; 3] = ["https://a.example", "https://b.example", "https://c.example"];
const READS: [&str; 4] = ["eth_blockNumber", "eth_getBalance", "eth_call", "eth_getLogs"];

fn chain() -> ChainSpec {
    ChainSpec {
        chain_id: CHAIN,
        name: "Ethereum".into(),
        short_name: None,
        native_currency: NativeCurrency { name: "Ether".into(), symbol: "ETH".into(), decimals: 18 },
        block_explorer_urls: vec![],
        rpcs: FALLBACKS
            .iter()
            .map(|u| RpcSpec { url: (*u).into(), tracking: Tracking::None, source: None, private: false })
            .collect(),
    }
}

/// Drains the actions and answers every probe at once (healthy fallbacks at head 1000).
fn drain(engine: &mut Engine, now: u64) -> usize {
    let mut n = 0;
    loop {
        let mut probes = Vec::new();
        while let Some(action) = engine.poll_action() {
            n += 1;
            if let Action::Probe { probe_id, method, .. } = action {
                let value = if method.as_str() == "eth_chainId" { CHAIN } else { 1_000 };
                probes.push((probe_id, value));
            }
        }
        if probes.is_empty() {
            return n;
        }
        for (probe_id, value) in probes {
            let event =
                Event::ProbeAnswered { probe_id, latency_ms: 40, outcome: Observed::Ok, value: Some(value) };
            engine.handle(event, now).unwrap();
        }
    }
}

/// One page request's two events: started, then finished with `outcome`.
fn request_pair(id: u64, outcome: Observed) -> [Event; 2] {
    let tab = (id % u64::from(TABS)) as u32;
    let method = READS[(id % READS.len() as u64) as usize];
    let block_number = (method == "eth_blockNumber" && outcome == Observed::Ok).then_some(1_000);
    [
        Event::RequestStarted {
            tab,
            wallet: "io.metamask".into(),
            chain_id: CHAIN,
            method: method.into(),
            request_id: id,
        },
        Event::RequestFinished {
            tab,
            wallet: "io.metamask".into(),
            chain_id: CHAIN,
            method: method.into(),
            request_id: id,
            latency_ms: 40 + id % 40,
            outcome,
            block_number,
        },
    ]
}

/// The traffic mix: 20 tabs; of every 100 requests 94 succeed, 2 revert (the dapp's business),
/// 2 fail with an upstream -32603, 1 with HTTP 503, 1 with a transport error; a tick every
/// 10 requests. Returns the events for `n` requests (2 per request, plus ticks).
fn mixed_events(n: u64) -> Vec<(Event, u64)> {
    let mut events = Vec::new();
    let mut now = 10_000;
    for id in 1..=n {
        let outcome = match id % 100 {
            10 | 60 => Observed::RpcError {
                code: 3,
                message: "execution reverted: nope".into(),
                data: Some("\"0x08c379a0\"".into()),
            },
            20 | 70 => Observed::RpcError {
                code: -32603,
                message: "Internal JSON-RPC error.".into(),
                data: Some(r#"{"cause":{"message":"Failed to fetch"}}"#.into()),
            },
            30 => Observed::Http { status: 503, retry_after_ms: None },
            40 => Observed::Transport { message: "Failed to fetch".into() },
            _ => Observed::Ok,
        };
        for event in request_pair(id, outcome) {
            events.push((event, now));
        }
        now += 5;
        if id % 10 == 0 {
            events.push((Event::Tick, now));
        }
    }
    events
}

/// An engine that has seen the 20 tabs once and verified its fallbacks.
fn warm_engine() -> Engine {
    let mut engine = Engine::new(Settings::default(), vec![chain()]).unwrap();
    for (event, now) in mixed_events(200) {
        engine.handle(event, now).unwrap();
        drain(&mut engine, now);
    }
    engine
}

fn bench_engine(c: &mut Criterion) {
    const BATCH: u64 = 1_000;
    let events = mixed_events(BATCH);
    // Shift the batch past the warm-up's clock.
    let events: Vec<(Event, u64)> = events.into_iter().map(|(e, t)| (e, t + 100_000)).collect();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("handle_mixed_20_tabs", |b| {
        b.iter_batched(
            || (warm_engine(), events.clone()),
            |(mut engine, events)| {
                let mut actions = 0;
                for (event, now) in events {
                    engine.handle(event, now).unwrap();
                    actions += drain(&mut engine, now);
                }
                black_box(actions)
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn observed_mix() -> Vec<Observed> {
    vec![
        Observed::Ok,
        Observed::Timeout,
        Observed::Transport { message: "Failed to fetch".into() },
        Observed::Http { status: 503, retry_after_ms: None },
        Observed::Http { status: 429, retry_after_ms: Some(2_000) },
        Observed::RpcError { code: 4001, message: "User rejected the request.".into(), data: None },
        Observed::RpcError {
            code: 3,
            message: "execution reverted: nope".into(),
            data: Some("\"0x08c379a0\"".into()),
        },
        Observed::RpcError {
            code: -32603,
            message: "Internal JSON-RPC error.".into(),
            data: Some(r#"{"originalError":{"code":3,"message":"execution reverted"}}"#.into()),
        },
        Observed::RpcError {
            code: -32603,
            message: "Internal JSON-RPC error.".into(),
            data: Some(r#"{"cause":{"message":"Failed to fetch"}}"#.into()),
        },
        Observed::RpcError {
            code: -32002,
            message: "RPC endpoint not found or unavailable.".into(),
            data: Some(r#"{"httpStatus":503}"#.into()),
        },
        Observed::RpcError { code: -32005, message: "Request is being rate limited.".into(), data: None },
        Observed::RpcError {
            code: -32000,
            message: "insufficient funds for gas * price + value".into(),
            data: None,
        },
    ]
}

fn bench_classify(c: &mut Criterion) {
    let mix = observed_mix();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("wallet_error_mix_12", |b| {
        b.iter(|| {
            for observed in &mix {
                black_box(classify(black_box(observed)));
            }
        });
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("block_number", br#"{"jsonrpc":"2.0","id":7,"result":"0x1312d00"}"#.to_vec()),
        (
            "error_with_data",
            br#"{"jsonrpc":"2.0","id":"abc","error":{"code":3,"message":"execution reverted: nope","data":"0x08c379a000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000004"}}"#.to_vec(),
        ),
        ("get_logs_50", logs_body(50)),
    ];
    let max = Settings::default().max_body_bytes;
    let mut group = c.benchmark_group("parse_response");
    for (name, body) in &bodies {
        group.throughput(Throughput::Elements(1));
        group.bench_function(*name, |b| b.iter(|| black_box(parse_response(black_box(body), max))));
    }
    group.finish();
}

/// An eth_getLogs answer with `n` ERC-20 Transfer logs (about 600 bytes each).
fn logs_body(n: usize) -> Vec<u8> {
    let log = r#"{"address":"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48","topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266","0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"],"data":"0x00000000000000000000000000000000000000000000000000000000000f4240","blockNumber":"0x1312d00","transactionHash":"0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060","transactionIndex":"0x1","blockHash":"0x8243343df08b9751f5ca0c5f8c9c0460d8a9b6351066fae0acbd4d3e776de8bb","logIndex":"0x2","removed":false}"#;
    let logs = vec![log; n].join(",");
    format!(r#"{{"jsonrpc":"2.0","id":1,"result":[{logs}]}}"#).into_bytes()
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}

criterion_group! { name = benches; config = short(); targets = bench_engine, bench_classify, bench_parse }
criterion_main!(benches);
