//! A simulated world for the engine: a clock, fallback endpoints that answer probes and
//! reads as told, and a record of every action with the time it came out.
#![allow(
    dead_code,
    clippy::too_many_arguments,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use rpc_lifeline::badge::BadgeState;
use rpc_lifeline::engine::{Action, Engine, Event, FallbackReason, FallbackRequest, FallbackStep, Policy};
use rpc_lifeline::outcome::Observed;
use rpc_lifeline::registry::{ChainSpec, NativeCurrency, RpcSpec};
use rpc_lifeline::settings::{Settings, Tracking};
use std::collections::HashMap;

pub const TAB: u32 = 7;
pub const WALLET: &str = "io.metamask";
/// The genesis fingerprint every healthy endpoint reports unless told otherwise.
pub const GENESIS: u64 = 0xd4e5_6740_f876_aef8;

/// How a simulated fallback endpoint behaves.
#[derive(Clone, Debug)]
pub enum Behaviour {
    Healthy { chain_id: u64, head: u64, latency_ms: u64 },
    Fails(Observed),
}

pub fn chain(chain_id: u64, name: &str, urls: &[&str]) -> ChainSpec {
    ChainSpec {
        chain_id,
        name: name.into(),
        short_name: None,
        native_currency: NativeCurrency { name: "Ether".into(), symbol: "ETH".into(), decimals: 18 },
        block_explorer_urls: vec!["https://explorer.example".into()],
        rpcs: urls
            .iter()
            .map(|u| RpcSpec { url: (*u).into(), tracking: Tracking::None, source: None, private: false })
            .collect(),
    }
}

pub fn rpc_error(code: i64, message: &str, data: Option<&str>) -> Observed {
    Observed::RpcError { code, message: message.into(), data: data.map(Into::into) }
}

pub struct Sim {
    pub engine: Engine,
    pub now: u64,
    pub log: Vec<(u64, Action)>,
    pub endpoints: HashMap<String, Behaviour>,
    /// (time, url, method) of every probe the engine asked for.
    pub probes: Vec<(u64, String, String)>,
    /// Endpoints that answer another genesis block (a fork reusing the chain id).
    pub genesis: HashMap<String, u64>,
    next_request: u64,
}

impl Sim {
    pub fn new(settings: Settings, chains: Vec<ChainSpec>) -> Self {
        Self {
            engine: Engine::new(settings, chains).expect("valid engine"),
            now: 1_000,
            log: Vec::new(),
            endpoints: HashMap::new(),
            probes: Vec::new(),
            genesis: HashMap::new(),
            next_request: 1,
        }
    }

    pub fn endpoint(&mut self, url: &str, behaviour: Behaviour) {
        self.endpoints.insert(url.into(), behaviour);
    }

    /// Feeds an event, then answers every probe the engine asked for (at the same instant,
    /// with the behaviour's latency), until no probe is pending.
    pub fn send(&mut self, event: Event) {
        self.engine.handle(event, self.now).expect("event accepted");
        self.drain();
    }

    fn drain(&mut self) {
        let mut pending = Vec::new();
        while let Some(action) = self.engine.poll_action() {
            if let Action::Probe { probe_id, url, method, .. } = &action {
                let method = serde_json::to_value(method).unwrap().as_str().unwrap().to_owned();
                self.probes.push((self.now, url.clone(), method.clone()));
                pending.push((*probe_id, url.clone(), method));
            }
            self.log.push((self.now, action));
        }
        for (probe_id, url, method) in pending {
            let (latency_ms, outcome, value) = match self.endpoints.get(&url).cloned() {
                Some(Behaviour::Healthy { chain_id, head, latency_ms }) => {
                    let value = match method.as_str() {
                        "eth_chainId" => chain_id,
                        "eth_getBlockByNumber" => self.genesis.get(&url).copied().unwrap_or(GENESIS),
                        _ => head,
                    };
                    (latency_ms, Observed::Ok, Some(value))
                }
                Some(Behaviour::Fails(observed)) => (5, observed, None),
                None => (2_500, Observed::Timeout, None),
            };
            self.engine
                .handle(Event::ProbeAnswered { probe_id, latency_ms, outcome, value }, self.now)
                .expect("probe answer accepted");
            self.drain();
        }
    }

    /// Lets time pass in tick-sized steps.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            self.now = (self.now + 250).min(end);
            self.send(Event::Tick);
        }
    }

    pub fn start(&mut self, tab: u32, wallet: &str, chain_id: u64, method: &str) -> u64 {
        let request_id = self.next_request;
        self.next_request += 1;
        self.send(Event::RequestStarted {
            tab,
            wallet: wallet.into(),
            chain_id,
            method: method.into(),
            request_id,
        });
        request_id
    }

    pub fn finish(
        &mut self,
        tab: u32,
        wallet: &str,
        chain_id: u64,
        method: &str,
        id: u64,
        latency_ms: u64,
        outcome: Observed,
    ) {
        self.finish_with_block(tab, wallet, chain_id, method, id, latency_ms, outcome, None);
    }

    pub fn finish_with_block(
        &mut self,
        tab: u32,
        wallet: &str,
        chain_id: u64,
        method: &str,
        id: u64,
        latency_ms: u64,
        outcome: Observed,
        block_number: Option<u64>,
    ) {
        self.send(Event::RequestFinished {
            tab,
            wallet: wallet.into(),
            chain_id,
            method: method.into(),
            request_id: id,
            latency_ms,
            outcome,
            block_number,
        });
    }

    /// One complete read by the page on `chain_id`, answered by the wallet at once.
    pub fn read(&mut self, chain_id: u64, outcome: Observed) {
        let id = self.start(TAB, WALLET, chain_id, "eth_call");
        self.finish(TAB, WALLET, chain_id, "eth_call", id, 40, outcome);
    }

    pub fn badges(&self, tab: u32, chain_id: u64) -> Vec<(u64, BadgeState, String)> {
        self.log
            .iter()
            .filter_map(|(t, a)| match a {
                Action::Badge { tab: bt, chain_id: c, state, sentence, .. }
                    if *bt == tab && *c == chain_id =>
                {
                    Some((*t, *state, sentence.clone()))
                }
                _ => None,
            })
            .collect()
    }

    pub fn badge(&self, chain_id: u64) -> (BadgeState, String) {
        let (_, state, sentence) = self.badges(TAB, chain_id).last().cloned().expect("a badge was published");
        (state, sentence)
    }

    /// When the badge of `chain_id` first entered `state`.
    pub fn first(&self, chain_id: u64, state: BadgeState) -> Option<u64> {
        self.badges(TAB, chain_id).iter().find(|(_, s, _)| *s == state).map(|(t, _, _)| *t)
    }

    pub fn policy(&self, chain_id: u64) -> Policy {
        self.log
            .iter()
            .rev()
            .find_map(|(_, a)| match a {
                Action::Policy { tab, chain_id: c, policy, .. } if *tab == TAB && *c == chain_id => {
                    Some(*policy)
                }
                _ => None,
            })
            .expect("a policy was published")
    }

    /// Serves one read through the fallbacks as the binding would, answering each attempt
    /// from the simulated endpoints. Returns the steps taken.
    pub fn serve(
        &mut self,
        chain_id: u64,
        method: &str,
        reason: FallbackReason,
        wallet_error: Option<Observed>,
    ) -> Vec<FallbackStep> {
        self.serve_in(TAB, chain_id, method, reason, wallet_error)
    }

    pub fn serve_in(
        &mut self,
        tab: u32,
        chain_id: u64,
        method: &str,
        reason: FallbackReason,
        wallet_error: Option<Observed>,
    ) -> Vec<FallbackStep> {
        let request = FallbackRequest {
            tab,
            wallet: WALLET.into(),
            chain_id,
            method: method.into(),
            reason,
            wallet_error,
            request_id: None,
        };
        self.serve_request(request)
    }

    /// A hedge of the page read `request_id` (as the extension sends it).
    pub fn hedge(&mut self, chain_id: u64, method: &str, request_id: u64) -> Vec<FallbackStep> {
        let request = FallbackRequest {
            tab: TAB,
            wallet: WALLET.into(),
            chain_id,
            method: method.into(),
            reason: FallbackReason::Hedge,
            wallet_error: None,
            request_id: Some(request_id),
        };
        self.serve_request(request)
    }

    fn serve_request(&mut self, request: FallbackRequest) -> Vec<FallbackStep> {
        let method = request.method.clone();
        let mut steps = vec![self.engine.begin_fallback(request, self.now)];
        while let Some(FallbackStep::Send { ticket, url, .. }) = steps.last().cloned() {
            let (outcome, block) = match self.endpoints.get(&url).cloned() {
                Some(Behaviour::Healthy { head, .. }) => (Observed::Ok, Some(head)),
                Some(Behaviour::Fails(o)) => (o, None),
                None => (Observed::Timeout, None),
            };
            let block = if method == "eth_blockNumber" { block } else { None };
            steps.push(self.engine.fallback_answered(ticket, &outcome, block, self.now));
        }
        self.drain();
        steps
    }
}
