//! Every threshold the engine uses, with its default and the reason for it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// Badge and history only.
    Observe,
    /// Plus the one-click wallet fix.
    Suggest,
    /// Plus hedging and rerouting of reads while the wallet's RPC fails.
    #[default]
    Protect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Tracking {
    None,
    Limited,
    Yes,
    Unspecified,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    pub mode: Mode,
    /// A wallet read still unanswered after this long is counted as a time-out. Wallets
    /// answer reads in well under a second; 3 s is far past any healthy tail.
    pub request_timeout_ms: u64,
    /// A read unanswered this long marks the wallet degraded (amber) before it times out; a
    /// read a fallback has already answered times out here.
    pub slow_request_ms: u64,
    /// Consecutive infrastructure failures that open the circuit (red). Three rules out a
    /// single blip while still reacting within one dapp refresh.
    pub open_after_consecutive_failures: u32,
    /// Error rate over the window that also opens the circuit (catches flapping).
    pub open_error_rate: f64,
    /// Minimum samples before the error rate is trusted.
    pub error_rate_min_samples: u32,
    /// Outcomes kept in the sliding window per endpoint.
    pub window_size: usize,
    /// Outcomes older than this leave the window.
    pub window_ms: u64,
    /// First cooldown of an open circuit; doubles with each re-open, up to the max.
    pub cooldown_ms: u64,
    pub max_cooldown_ms: u64,
    /// Successes in half-open that close the circuit again.
    pub close_after_successes: u32,
    /// Hedge delay = max(hedge_floor_ms, p95 × hedge_p95_factor), capped.
    pub hedge_floor_ms: u64,
    pub hedge_p95_factor: f64,
    pub hedge_max_ms: u64,
    /// A source more than this many blocks behind a quorum of others (see `head_truth`) is
    /// behind; nodes hear of blocks at slightly different times.
    pub max_head_lag_blocks: u64,
    /// How long a wallet whose caching rhythm is not yet known may trail the chain before it
    /// counts as stale: MetaMask's block tracker polls every 20 s, so its answers trail by up
    /// to that on a fast chain while it is perfectly healthy. Once the wallet has advanced a
    /// few times, 1.5 × its own cadence is used instead.
    pub max_head_cache_ms: u64,
    /// Fallback candidates ranked per chain (probing all public endpoints would be abuse).
    pub candidates_per_chain: usize,
    /// Probe cadence per candidate while the wallet is healthy, and while it is not.
    pub probe_interval_healthy_ms: u64,
    pub probe_interval_degraded_ms: u64,
    /// Time-out for our own probes and fallback reads.
    pub probe_timeout_ms: u64,
    /// Time budget for serving one read from fallbacks, all candidates together.
    pub fallback_budget_ms: u64,
    /// Largest response body accepted from an endpoint.
    pub max_body_bytes: usize,
    /// Tracking policies an endpoint may have and still be used (default: `none` only).
    pub allowed_tracking: Vec<Tracking>,
    /// How often the host should call `tick` while requests are in flight.
    pub tick_interval_ms: u64,
    /// Caps on what one tab (a possibly hostile page) can make the engine remember.
    pub max_wallets_per_tab: usize,
    pub max_in_flight_per_tab: usize,
    /// Fallback reads one tab may have in progress at once: its fair share of the pool.
    pub max_fallbacks_per_tab: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Protect,
            request_timeout_ms: 3_000,
            slow_request_ms: 1_500,
            open_after_consecutive_failures: 3,
            open_error_rate: 0.5,
            error_rate_min_samples: 8,
            window_size: 32,
            window_ms: 60_000,
            cooldown_ms: 5_000,
            max_cooldown_ms: 300_000,
            close_after_successes: 2,
            hedge_floor_ms: 100,
            hedge_p95_factor: 1.5,
            hedge_max_ms: 2_000,
            max_head_lag_blocks: 3,
            max_head_cache_ms: 30_000,
            candidates_per_chain: 3,
            probe_interval_healthy_ms: 60_000,
            probe_interval_degraded_ms: 5_000,
            probe_timeout_ms: 2_500,
            fallback_budget_ms: 4_000,
            max_body_bytes: crate::jsonrpc::DEFAULT_MAX_BODY_BYTES,
            allowed_tracking: vec![Tracking::None],
            tick_interval_ms: 250,
            max_wallets_per_tab: 8,
            max_in_flight_per_tab: 256,
            max_fallbacks_per_tab: 32,
        }
    }
}

/// A setting that makes no sense, named so the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting(pub &'static str);

impl std::fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid setting: {}", self.0)
    }
}

impl std::error::Error for InvalidSetting {}

/// Upper bound of `fallbackBudgetMs`: every hop's deadline is derived from it and must stay
/// below what a page will wait for a read.
pub const MAX_FALLBACK_BUDGET_MS: u64 = 20_000;
/// What each hop adds to the fallback budget before it gives up and answers "not served":
/// the worker, then the content script, then the page, each a little later than the one
/// inside it so the inner answer always arrives first.
const HOP_MARGIN_MS: u64 = 400;

/// How long each context waits for a fallback answer before it fails the read over to the
/// wallet's own answer. Derived from `fallbackBudgetMs`, never written down elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HopDeadlines {
    pub worker_ms: u64,
    pub content_ms: u64,
    pub page_ms: u64,
}

impl Settings {
    /// Every value is bounded: any settings this accepts keep the engine within its limits
    /// (no divisor is zero, no budget outgrows the hop deadlines, no cap is unbounded).
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let within = |v: u64, lo: u64, hi: u64| (lo..=hi).contains(&v);
        let within_usize = |v: usize, lo: usize, hi: usize| (lo..=hi).contains(&v);
        let checks: [(bool, &'static str); 24] = [
            (within(self.request_timeout_ms, 500, 60_000), "requestTimeoutMs must be within 500..60000"),
            (
                self.slow_request_ms >= 1 && self.slow_request_ms < self.request_timeout_ms,
                "slowRequestMs must be at least 1 and below requestTimeoutMs",
            ),
            (
                (1..=100).contains(&self.open_after_consecutive_failures),
                "openAfterConsecutiveFailures must be within 1..100",
            ),
            ((0.0..=1.0).contains(&self.open_error_rate), "openErrorRate must be within 0..1"),
            ((1..=1024).contains(&self.error_rate_min_samples), "errorRateMinSamples must be within 1..1024"),
            (within_usize(self.window_size, 1, 1024), "windowSize must be within 1..1024"),
            (within(self.window_ms, 1_000, 3_600_000), "windowMs must be within 1000..3600000"),
            (
                self.cooldown_ms >= 100 && self.cooldown_ms <= self.max_cooldown_ms,
                "cooldownMs must be at least 100 and at most maxCooldownMs",
            ),
            (within(self.max_cooldown_ms, 100, 3_600_000), "maxCooldownMs must be within 100..3600000"),
            ((1..=100).contains(&self.close_after_successes), "closeAfterSuccesses must be within 1..100"),
            (
                self.hedge_floor_ms <= self.hedge_max_ms && self.hedge_max_ms <= 30_000,
                "hedgeFloorMs must be at most hedgeMaxMs, and hedgeMaxMs at most 30000",
            ),
            (
                self.hedge_p95_factor.is_finite()
                    && self.hedge_p95_factor > 0.0
                    && self.hedge_p95_factor <= 100.0,
                "hedgeP95Factor must be within 0..100",
            ),
            (within(self.max_head_lag_blocks, 0, 1_000), "maxHeadLagBlocks must be within 0..1000"),
            (within(self.max_head_cache_ms, 1_000, 300_000), "maxHeadCacheMs must be within 1000..300000"),
            (within_usize(self.candidates_per_chain, 1, 16), "candidatesPerChain must be within 1..16"),
            (
                within(self.probe_interval_healthy_ms, 1_000, 3_600_000),
                "probeIntervalHealthyMs must be within 1000..3600000",
            ),
            (
                self.probe_interval_degraded_ms >= 500
                    && self.probe_interval_degraded_ms <= self.probe_interval_healthy_ms,
                "probeIntervalDegradedMs must be at least 500 and at most probeIntervalHealthyMs",
            ),
            (within(self.probe_timeout_ms, 100, 30_000), "probeTimeoutMs must be within 100..30000"),
            (
                within(self.fallback_budget_ms, 100, MAX_FALLBACK_BUDGET_MS),
                "fallbackBudgetMs must be within 100..20000",
            ),
            (
                within_usize(self.max_body_bytes, 1_024, 64 * 1024 * 1024),
                "maxBodyBytes must be within 1 KiB..64 MiB",
            ),
            (self.allowed_tracking.len() <= 4, "allowedTracking lists at most the four policies"),
            (within(self.tick_interval_ms, 10, 10_000), "tickIntervalMs must be within 10..10000"),
            (
                within_usize(self.max_wallets_per_tab, 1, 64)
                    && within_usize(self.max_in_flight_per_tab, 1, 4_096),
                "maxWalletsPerTab must be within 1..64 and maxInFlightPerTab within 1..4096",
            ),
            (within_usize(self.max_fallbacks_per_tab, 1, 1_024), "maxFallbacksPerTab must be within 1..1024"),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, why)) => Err(InvalidSetting(why)),
            None => Ok(()),
        }
    }

    pub fn hop_deadlines(&self) -> HopDeadlines {
        let worker_ms = self.fallback_budget_ms.saturating_add(HOP_MARGIN_MS);
        let content_ms = worker_ms.saturating_add(HOP_MARGIN_MS);
        HopDeadlines { worker_ms, content_ms, page_ms: content_ms.saturating_add(HOP_MARGIN_MS) }
    }

    pub fn allows_tracking(&self, tracking: Tracking) -> bool {
        self.allowed_tracking.contains(&tracking)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_private() {
        let s = Settings::default();
        assert_eq!(s.validate(), Ok(()));
        assert!(s.allows_tracking(Tracking::None));
        assert!(!s.allows_tracking(Tracking::Limited));
        assert_eq!(s.mode, Mode::Protect);
    }

    #[test]
    fn partial_json_fills_defaults_and_unknown_keys_are_refused() {
        let s: Settings = serde_json::from_str(r#"{"mode":"observe"}"#).unwrap_or_default();
        assert_eq!(s.mode, Mode::Observe);
        assert_eq!(s.request_timeout_ms, 3_000);
        assert!(serde_json::from_str::<Settings>(r#"{"fetchUrl":"https://evil"}"#).is_err());
    }

    #[test]
    fn nonsense_is_named() {
        let s = Settings { open_error_rate: 2.0, ..Settings::default() };
        assert_eq!(s.validate(), Err(InvalidSetting("openErrorRate must be within 0..1")));
        let s = Settings { slow_request_ms: 5_000, ..Settings::default() };
        assert!(s.validate().is_err());
        let s = Settings { slow_request_ms: 0, ..Settings::default() };
        assert!(s.validate().is_err(), "a zero divisor is refused");
        let s = Settings { fallback_budget_ms: u64::MAX, ..Settings::default() };
        assert!(s.validate().is_err(), "the budget is bounded");
    }

    #[test]
    fn hop_deadlines_nest_around_the_budget() {
        let d = Settings::default().hop_deadlines();
        assert_eq!((d.worker_ms, d.content_ms, d.page_ms), (4_400, 4_800, 5_200));
    }
}
