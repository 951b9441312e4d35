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
    /// A head more than this many blocks behind the best verified head is stale.
    pub max_head_lag_blocks: u64,
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

impl Settings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let checks: [(bool, &'static str); 10] = [
            (self.request_timeout_ms > 0, "requestTimeoutMs must be positive"),
            (self.slow_request_ms < self.request_timeout_ms, "slowRequestMs must be below requestTimeoutMs"),
            (self.open_after_consecutive_failures > 0, "openAfterConsecutiveFailures must be positive"),
            ((0.0..=1.0).contains(&self.open_error_rate), "openErrorRate must be within 0..1"),
            ((1..=1024).contains(&self.window_size), "windowSize must be within 1..1024"),
            (
                self.cooldown_ms > 0 && self.cooldown_ms <= self.max_cooldown_ms,
                "cooldownMs must be positive and at most maxCooldownMs",
            ),
            (self.close_after_successes > 0, "closeAfterSuccesses must be positive"),
            (
                self.hedge_p95_factor.is_finite() && self.hedge_p95_factor > 0.0,
                "hedgeP95Factor must be positive",
            ),
            ((1..=16).contains(&self.candidates_per_chain), "candidatesPerChain must be within 1..16"),
            (
                self.tick_interval_ms > 0 && self.max_wallets_per_tab > 0 && self.max_in_flight_per_tab > 0,
                "tickIntervalMs and per-tab caps must be positive",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, why)) => Err(InvalidSetting(why)),
            None => Ok(()),
        }
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
    }
}
