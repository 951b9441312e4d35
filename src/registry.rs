//! Chains and their fallback endpoints, as the extension's own registry knows them.
//! Nothing a page says ever adds an endpoint: only the host (bundled defaults, the user's
//! options, managed policy) does.

use crate::head_truth::{self, Report};
use crate::health::EndpointHealth;
use crate::settings::{Settings, Tracking};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type ChainId = u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeCurrency {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcSpec {
    pub url: String,
    pub tracking: Tracking,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Marked private by the user or the policy (it may carry a key): used for reads, never
    /// shown to a page nor offered to a wallet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

/// One chain as `data/chains.json` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainSpec {
    pub chain_id: ChainId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    pub native_currency: NativeCurrency,
    #[serde(default)]
    pub block_explorer_urls: Vec<String>,
    #[serde(default)]
    pub rpcs: Vec<RpcSpec>,
}

/// Whether the endpoint's `eth_chainId` matched the chain it is listed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verification {
    Unverified,
    Verified,
    WrongChain { reported: ChainId },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub url: String,
    pub tracking: Tracking,
    #[serde(default)]
    pub private: bool,
    pub verification: Verification,
    pub health: EndpointHealth,
    pub last_probe_ms: Option<u64>,
    /// When its chain id was last asked.
    #[serde(default)]
    pub chain_checked_ms: Option<u64>,
    /// Its genesis block's fingerprint, once known, and when it was last asked.
    #[serde(default)]
    pub genesis: Option<u64>,
    #[serde(default)]
    pub genesis_asked_ms: Option<u64>,
    /// [`Endpoint::operator`], worked out once: it is asked on every head comparison.
    #[serde(skip)]
    operator: String,
    /// [`Endpoint::host`], worked out once: every verdict's sentence names it.
    #[serde(skip)]
    host: String,
}

impl Endpoint {
    fn new(spec: &RpcSpec) -> Self {
        Self {
            url: spec.url.clone(),
            tracking: spec.tracking,
            private: spec.private,
            verification: Verification::Unverified,
            health: EndpointHealth::default(),
            last_probe_ms: None,
            chain_checked_ms: None,
            genesis: None,
            genesis_asked_ms: None,
            operator: operator_of(&spec.url).to_owned(),
            host: endpoint_host(&spec.url).unwrap_or(&spec.url).to_owned(),
        }
    }

    /// Whether the URL may be offered to a wallet: not marked private and nothing in it that
    /// looks like a credential.
    pub fn shareable(&self) -> bool {
        !self.private && !carries_credential(&self.url)
    }

    /// The host name shown to users ("ethereum-rpc.publicnode.com").
    pub fn host(&self) -> &str {
        if self.host.is_empty() { endpoint_host(&self.url).unwrap_or(&self.url) } else { &self.host }
    }

    /// Who runs it, as far as a URL can tell: its host, so two URLs of one provider count as
    /// one source of head truth. On the user's own machine each port is its own node.
    pub fn operator(&self) -> &str {
        if self.operator.is_empty() { operator_of(&self.url) } else { &self.operator }
    }
}

fn operator_of(url: &str) -> &str {
    let host = endpoint_host(url).unwrap_or(url);
    if host != "127.0.0.1" && host != "localhost" {
        return host;
    }
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(host)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chain {
    pub spec: ChainSpec,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    InvalidUrl(String),
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidUrl(url) => write!(
                f,
                "endpoint URL {url:?} is not allowed: use https (http only for localhost or 127.0.0.1)"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// Longest endpoint URL accepted; real ones are well under 200 characters.
const MAX_URL_LEN: usize = 512;

/// The host of an allowed endpoint URL, or `None` when the URL is not allowed: https, or
/// plain http to this machine only (the test rig and local nodes).
pub fn endpoint_host(url: &str) -> Option<&str> {
    if url.len() > MAX_URL_LEN || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (secure, rest) = match url.split_once("://")? {
        ("https", rest) => (true, rest),
        ("http", rest) => (false, rest),
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => host,
        Some(_) => return None,
        None => authority,
    };
    let local = host == "127.0.0.1" || host == "localhost";
    let valid_name =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    (valid_name && (secure || local)).then_some(host)
}

/// Shortest path segment that may be an API key (keys are 16–64 random characters).
const MIN_KEY_LEN: usize = 16;

/// Whether a URL may carry a credential: user info, any query or fragment (`?apikey=`), or a
/// path segment shaped like a key (long, no separators but `-`/`_`, with several digits, as
/// in `/v1/1659dfb40aa24bbb8153a677b98064d7`). Errs on the side of "yes": such an endpoint is
/// still used for reads, only never handed to a page or a wallet.
pub fn carries_credential(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return true };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') || rest.contains(['?', '#']) {
        return true;
    }
    path.split('/').any(|segment| {
        segment.len() >= MIN_KEY_LEN
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && segment.chars().filter(char::is_ascii_digit).count() >= 3
    })
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Registry {
    chains: BTreeMap<ChainId, Chain>,
}

impl Registry {
    /// Builds the registry, refusing the whole set if any URL is not allowed, so that a bad
    /// list is noticed instead of silently shrinking.
    pub fn from_specs(specs: Vec<ChainSpec>) -> Result<Self, RegistryError> {
        let mut registry = Self::default();
        for spec in specs {
            registry.add_chain(spec)?;
        }
        Ok(registry)
    }

    pub fn add_chain(&mut self, spec: ChainSpec) -> Result<(), RegistryError> {
        if let Some(bad) = spec.rpcs.iter().find(|r| endpoint_host(&r.url).is_none()) {
            return Err(RegistryError::InvalidUrl(bad.url.clone()));
        }
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for rpc in &spec.rpcs {
            if !endpoints.iter().any(|e| e.url == rpc.url) {
                endpoints.push(Endpoint::new(rpc));
            }
        }
        self.chains.insert(spec.chain_id, Chain { spec, endpoints });
        Ok(())
    }

    pub fn chain(&self, id: ChainId) -> Option<&Chain> {
        self.chains.get(&id)
    }

    pub fn chains(&self) -> impl Iterator<Item = &Chain> {
        self.chains.values()
    }

    pub fn chain_mut(&mut self, id: ChainId) -> Option<&mut Chain> {
        self.chains.get_mut(&id)
    }

    pub fn chain_name(&self, id: ChainId) -> String {
        self.chain(id).map_or_else(|| format!("chain {id}"), |c| c.spec.name.clone())
    }

    pub fn chains_mut(&mut self) -> impl Iterator<Item = &mut Chain> {
        self.chains.values_mut()
    }

    /// A Retry-After binds the server, not one chain's entry for it: apply the longest
    /// backoff any entry of `url` has to every entry of it.
    pub fn share_backoff(&mut self, url: &str) {
        let entries = || self.chains.values().flat_map(|c| c.endpoints.iter()).filter(|e| e.url == url);
        let until = entries().map(|e| e.health.backoff_until_ms()).max().unwrap_or(0);
        for e in self.chains.values_mut().flat_map(|c| c.endpoints.iter_mut()).filter(|e| e.url == url) {
            e.health.extend_backoff(until);
        }
    }
}

impl Chain {
    /// One head report per independent source (operator) among endpoints on the chain, leaving
    /// out the endpoint at `except`: two URLs on one host are one operator's word.
    pub fn head_reports(&self, except: Option<usize>) -> Vec<Report> {
        self.reports(self.chain_genesis(), except)
    }

    fn reports(&self, genesis: Option<u64>, except: Option<usize>) -> Vec<Report> {
        let mut by_operator: Vec<(&str, Report)> = Vec::with_capacity(self.endpoints.len());
        let on_chain = self
            .endpoints
            .iter()
            .enumerate()
            .filter(|(i, e)| Some(*i) != except && Self::follows(e, genesis));
        for (_, e) in on_chain {
            let Some(report) = e.health.head_report() else { continue };
            match by_operator.iter_mut().find(|(op, _)| *op == e.operator()) {
                Some((_, kept)) if report.number > kept.number => *kept = report,
                Some(_) => {}
                None => by_operator.push((e.operator(), report)),
            }
        }
        by_operator.into_iter().map(|(_, r)| r).collect()
    }

    /// The highest head a quorum of verified endpoints agrees on (see [`head_truth`]). Heads
    /// that pages report are not counted: a page could otherwise make every honest endpoint
    /// look stale.
    pub fn agreed_head(&self) -> Option<u64> {
        head_truth::agreed_head(&self.head_reports(None))
    }

    /// Since when a quorum of verified endpoints has been reporting a head above `number`.
    pub fn superseded_since(&self, number: u64) -> Option<u64> {
        head_truth::superseded_since(&self.head_reports(None), number)
    }

    /// The chain's block interval as its verified endpoints show it.
    pub fn interval_ms(&self) -> f64 {
        head_truth::chain_interval_ms(&self.head_reports(None))
    }

    /// Whether an endpoint follows this very chain: its chain id matched, and its genesis block
    /// is the one more operators report than any other ([`Chain::chain_genesis`]). A fork or a
    /// reset testnet that reuses the chain id is outvoted by the real chain's endpoints; two
    /// endpoints that disagree with nobody to decide serve nothing (see the README).
    fn follows(e: &Endpoint, chain_genesis: Option<u64>) -> bool {
        e.verification == Verification::Verified && e.genesis.is_some() && e.genesis == chain_genesis
    }

    /// The genesis more operators report than any other, if one does.
    fn chain_genesis(&self) -> Option<u64> {
        // (genesis, operator) once each, grouped by genesis: one allocation, on every verdict.
        let mut seen: Vec<(u64, &str)> = self
            .endpoints
            .iter()
            .filter(|e| e.verification == Verification::Verified)
            .filter_map(|e| e.genesis.map(|g| (g, e.operator())))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let mut best: Option<(usize, u64)> = None;
        let mut tied = false;
        for run in seen.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(genesis, _)) = run.first() else { continue };
            match best {
                Some((most, _)) if run.len() < most => {}
                Some((most, _)) if run.len() == most => tied = true,
                _ => {
                    best = Some((run.len(), genesis));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied).map(|(_, genesis)| genesis)
    }

    /// Whether the endpoint at `index`'s own head is trusted: known, not behind a quorum of the
    /// others (that spoke before it did), and not far ahead of all of them.
    fn head_trusted(
        &self,
        index: usize,
        genesis: Option<u64>,
        interval_ms: f64,
        settings: &Settings,
    ) -> bool {
        let Some(head) = self.endpoints.get(index).and_then(|e| e.health.head_report()) else {
            return false;
        };
        let others = self.reports(genesis, Some(index));
        let max_lag = settings.max_head_lag_blocks;
        !head_truth::behind(head.number, head.seen_ms, &others, max_lag, 0)
            && !head_truth::ahead_of_all(head.number, head.seen_ms, &others, max_lag, interval_ms)
    }

    /// Indices of the small set of endpoints worth probing: allowed by the privacy setting,
    /// not on the wrong chain, circuit not open; in registry order (user endpoints first).
    pub fn candidate_indices(&self, settings: &Settings, now_ms: u64) -> Vec<usize> {
        self.endpoints
            .iter()
            .enumerate()
            .filter(|(_, e)| settings.allows_tracking(e.tracking))
            .filter(|(_, e)| !matches!(e.verification, Verification::WrongChain { .. }))
            .filter(|(_, e)| e.health.usable(now_ms))
            .map(|(i, _)| i)
            .take(settings.candidates_per_chain)
            .collect()
    }

    /// Candidates that may serve a read now, fastest first: chain id verified, usable, and a
    /// trusted head. `wallet_genesis` is the genesis the wallet itself reported, when it did:
    /// then only endpoints on the wallet's own chain serve it, whatever most endpoints say.
    pub fn servable_indices(
        &self,
        settings: &Settings,
        now_ms: u64,
        wallet_genesis: Option<u64>,
    ) -> Vec<usize> {
        // Worked out once, not per candidate: this runs on every verdict.
        let genesis = wallet_genesis.or_else(|| self.chain_genesis());
        let interval_ms = head_truth::chain_interval_ms(&self.reports(genesis, None));
        let mut ready: Vec<usize> = self
            .candidate_indices(settings, now_ms)
            .into_iter()
            .filter(|&i| {
                self.endpoints.get(i).is_some_and(|e| Self::follows(e, genesis))
                    && self.head_trusted(i, genesis, interval_ms, settings)
            })
            .collect();
        ready.sort_by_key(|&i| self.endpoints.get(i).and_then(|e| e.health.ewma_ms()).unwrap_or(u64::MAX));
        ready
    }

    pub fn endpoint_index(&self, url: &str) -> Option<usize> {
        self.endpoints.iter().position(|e| e.url == url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_local_http_urls_are_allowed() {
        assert_eq!(endpoint_host("https://ethereum-rpc.publicnode.com"), Some("ethereum-rpc.publicnode.com"));
        assert_eq!(endpoint_host("https://rpc.ankr.com/eth/abc?x=1"), Some("rpc.ankr.com"));
        assert_eq!(endpoint_host("http://127.0.0.1:8545"), Some("127.0.0.1"));
        assert_eq!(endpoint_host("http://localhost:8545/rpc"), Some("localhost"));
        for bad in [
            "http://example.com",
            "ftp://x",
            "javascript:alert(1)",
            "https://user:pw@host",
            "https://",
            "https://a b",
            "https://host:port",
            "wss://node",
            "https://evil.com\n",
        ] {
            assert_eq!(endpoint_host(bad), None, "{bad}");
        }
        assert_eq!(endpoint_host(&format!("https://{}", "a".repeat(600))), None);
    }

    #[test]
    fn urls_that_may_carry_a_key_are_never_shareable() {
        for keyed in [
            "https://go.getblock.io/aefd01aa907c4805ba3c00a9e5b48c6b",
            "https://eth-mainnet.nodereal.io/v1/1659dfb40aa24bbb8153a677b98064d7",
            "https://rpc.example/eth?apikey=x",
            "https://rpc.example/#token",
            "https://user:pw@rpc.example",
            "no scheme",
        ] {
            assert!(carries_credential(keyed), "{keyed}");
        }
        for public in [
            "https://ethereum-rpc.publicnode.com",
            "https://public.1rpc.io/eth",
            "https://rpc.nodeflare.app/eth/public",
            "https://arbitrum-one-rpc.publicnode.com/",
            "http://127.0.0.1:8545",
            "https://mainnet.optimism.io",
        ] {
            assert!(!carries_credential(public), "{public}");
        }
    }

    #[test]
    fn one_provider_is_one_source_but_each_local_port_is_its_own_node() {
        let operator = |url: &str| {
            Endpoint::new(&RpcSpec {
                url: url.into(),
                tracking: Tracking::None,
                source: None,
                private: false,
            })
            .operator()
            .to_owned()
        };
        assert_eq!(operator("https://rpc.ankr.com/eth"), operator("https://rpc.ankr.com:443/polygon"));
        assert_ne!(operator("http://127.0.0.1:8545"), operator("http://127.0.0.1:8546/rpc"));
        assert_eq!(operator("http://localhost:8545/a"), "localhost:8545");
    }

    #[test]
    fn a_bad_url_refuses_the_chain() {
        let spec = ChainSpec {
            chain_id: 1,
            name: "Ethereum".into(),
            short_name: None,
            native_currency: NativeCurrency { name: "Ether".into(), symbol: "ETH".into(), decimals: 18 },
            block_explorer_urls: vec![],
            rpcs: vec![RpcSpec {
                url: "http://evil.example".into(),
                tracking: Tracking::None,
                source: None,
                private: false,
            }],
        };
        assert!(matches!(Registry::from_specs(vec![spec]), Err(RegistryError::InvalidUrl(_))));
    }

    #[test]
    fn the_bundled_chain_list_loads() {
        #[derive(Deserialize)]
        struct File {
            chains: Vec<ChainSpec>,
        }
        let text = include_str!("../data/chains.json");
        let file: Result<File, _> = serde_json::from_str(text);
        let registry = file
            .map_err(|e| e.to_string())
            .and_then(|f| Registry::from_specs(f.chains).map_err(|e| e.to_string()));
        let registry = registry.unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(registry.chain_name(1), "Ethereum Mainnet");
        let eth = registry.chain(1).map(|c| c.candidate_indices(&Settings::default(), 0).len());
        assert_eq!(eth, Some(3), "three no-tracking candidates for Ethereum");
    }
}
