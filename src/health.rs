//! Health of one endpoint (a fallback, or the wallet itself on one chain): latency, a
//! sliding error window, a circuit breaker, its head, and rate-limit backoff.

use crate::outcome::{Failure, FailureKind, Outcome};
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// EWMA weight of the newest sample: recent enough to follow a provider getting slow,
/// smooth enough to ignore one slow block.
const EWMA_ALPHA: f64 = 0.2;
/// A head unchanged for this many of the source's own advance cadences is frozen (a wallet
/// that caches its block number, like MetaMask's 20 s block tracker, advances in jumps; only
/// a pause well past its own rhythm says anything). A frozen head alone proves
/// nothing (a missed slot freezes every node); it is what makes a verified fallback's lead
/// worth checking at once.
const FROZEN_HEAD_INTERVALS: f64 = 1.5;
/// ... and for at least this long, so fast chains' jitter is not mistaken for a freeze.
const FROZEN_HEAD_MIN_MS: u64 = 1_000;
/// Nodes hear of a new block at slightly different times: a lead shorter than this share of
/// a block interval is propagation, not a node left behind.
const PROPAGATION_INTERVALS: f64 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub at_ms: u64,
    pub latency_ms: u64,
    pub failure: Option<FailureKind>,
}

// Externally tagged (serde's default): internally tagged enums cost the wasm module a
// content-buffering deserializer each, and only the engine reads this back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Circuit {
    Closed,
    Open { until_ms: u64 },
    HalfOpen { successes: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub number: u64,
    pub seen_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointHealth {
    samples: VecDeque<Sample>,
    ewma_ms: Option<f64>,
    consecutive_failures: u32,
    circuit: Circuit,
    /// Opens since the circuit last closed: the cooldown doubles with each.
    repeated_opens: u32,
    head: Option<Head>,
    /// When the head last advanced, and the typical time between new heads (EWMA, learned
    /// from advances only: a first sighting may be mid-block): a head that stops moving for
    /// much longer than that is frozen.
    #[serde(default)]
    head_advanced_ms: Option<u64>,
    #[serde(default)]
    block_interval_ms: Option<f64>,
    /// The typical time between advances, whatever their size: a source that polls the chain
    /// on its own cadence (a wallet's block tracker) shows its rhythm here.
    #[serde(default)]
    advance_cadence_ms: Option<f64>,
    /// When the current head number was first reported.
    #[serde(default)]
    head_first_seen_ms: Option<u64>,
    backoff_until_ms: u64,
}

impl Default for EndpointHealth {
    fn default() -> Self {
        Self {
            samples: VecDeque::new(),
            ewma_ms: None,
            consecutive_failures: 0,
            circuit: Circuit::Closed,
            repeated_opens: 0,
            head: None,
            head_advanced_ms: None,
            block_interval_ms: None,
            advance_cadence_ms: None,
            head_first_seen_ms: None,
            backoff_until_ms: 0,
        }
    }
}

impl EndpointHealth {
    /// Records a finished request. Dapp outcomes count as the node answering.
    pub fn record(&mut self, now_ms: u64, latency_ms: u64, outcome: &Outcome, settings: &Settings) {
        let failure = outcome.failure();
        self.samples.push_back(Sample { at_ms: now_ms, latency_ms, failure: failure.map(|f| f.kind) });
        self.trim(now_ms, settings);
        match failure {
            Some(f) => self.on_failure(now_ms, f, settings),
            None => self.on_success(latency_ms, settings),
        }
    }

    fn on_success(&mut self, latency_ms: u64, settings: &Settings) {
        self.ewma_ms = Some(ewma(self.ewma_ms, latency_ms as f64));
        self.consecutive_failures = 0;
        if let Circuit::HalfOpen { successes } = self.circuit {
            let successes = successes + 1;
            self.circuit = if successes >= settings.close_after_successes {
                self.repeated_opens = 0;
                Circuit::Closed
            } else {
                Circuit::HalfOpen { successes }
            };
        }
    }

    fn on_failure(&mut self, now_ms: u64, failure: Failure, settings: &Settings) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if let Some(retry_ms) = failure.retry_after_ms {
            self.backoff_until_ms = self.backoff_until_ms.max(now_ms.saturating_add(retry_ms));
        }
        let should_open = match self.circuit {
            Circuit::HalfOpen { .. } => true,
            Circuit::Open { .. } => false,
            Circuit::Closed => {
                let (failures, total) = self.error_counts();
                self.consecutive_failures >= settings.open_after_consecutive_failures
                    || (total >= settings.error_rate_min_samples as usize
                        && failures as f64 / total as f64 >= settings.open_error_rate)
            }
        };
        if should_open {
            self.open(now_ms, settings);
        }
    }

    fn open(&mut self, now_ms: u64, settings: &Settings) {
        let exponent = self.repeated_opens.min(16);
        let cooldown = settings.cooldown_ms.saturating_mul(1 << exponent).min(settings.max_cooldown_ms);
        self.repeated_opens = self.repeated_opens.saturating_add(1);
        self.circuit = Circuit::Open { until_ms: now_ms.saturating_add(cooldown) };
    }

    /// Records a failure that is conclusive on its own (a stale head: every read answered
    /// from it is wrong) and opens the circuit at once.
    pub fn record_conclusive(&mut self, now_ms: u64, latency_ms: u64, failure: Failure, settings: &Settings) {
        let outcome = Outcome::Infra { failure };
        self.record(now_ms, latency_ms, &outcome, settings);
        if !matches!(self.circuit, Circuit::Open { .. }) {
            self.open(now_ms, settings);
        }
    }

    fn trim(&mut self, now_ms: u64, settings: &Settings) {
        while self.samples.len() > settings.window_size {
            self.samples.pop_front();
        }
        while self.samples.front().is_some_and(|s| now_ms.saturating_sub(s.at_ms) > settings.window_ms) {
            self.samples.pop_front();
        }
    }

    /// Moves an open circuit to half-open once its cooldown has passed and ages the window.
    pub fn advance(&mut self, now_ms: u64, settings: &Settings) {
        if let Circuit::Open { until_ms } = self.circuit
            && now_ms >= until_ms
        {
            self.circuit = Circuit::HalfOpen { successes: 0 };
        }
        self.trim(now_ms, settings);
    }

    pub fn circuit(&self) -> Circuit {
        self.circuit
    }

    /// When the circuit will next change by itself.
    pub fn next_change_ms(&self) -> Option<u64> {
        match self.circuit {
            Circuit::Open { until_ms } => Some(until_ms),
            _ => None,
        }
    }

    /// Whether requests may be sent to it now: circuit not open, no Retry-After pending.
    pub fn usable(&self, now_ms: u64) -> bool {
        !matches!(self.circuit, Circuit::Open { .. }) && now_ms >= self.backoff_until_ms
    }

    pub fn backoff_until_ms(&self) -> u64 {
        self.backoff_until_ms
    }

    /// Stays away until at least `until_ms` (a Retry-After the same server gave elsewhere).
    pub fn extend_backoff(&mut self, until_ms: u64) {
        self.backoff_until_ms = self.backoff_until_ms.max(until_ms);
    }

    /// (infrastructure failures, samples) in the window.
    pub fn error_counts(&self) -> (usize, usize) {
        let failures = self.samples.iter().filter(|s| s.failure.is_some()).count();
        (failures, self.samples.len())
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// The most frequent failure kind in the window (the newest wins ties).
    pub fn dominant_failure(&self) -> Option<FailureKind> {
        let mut best: Option<(FailureKind, usize)> = None;
        for kind in self.samples.iter().rev().filter_map(|s| s.failure) {
            let count = self.samples.iter().filter(|s| s.failure == Some(kind)).count();
            if best.is_none_or(|(_, n)| count > n) {
                best = Some((kind, count));
            }
        }
        best.map(|(kind, _)| kind)
    }

    /// Latency percentile (0..=100) of successful requests in the window.
    pub fn latency_percentile(&self, percentile: u8) -> Option<u64> {
        self.latency_percentile_below(percentile, u64::MAX)
    }

    /// The percentile over successful answers faster than `below_ms`.
    pub fn latency_percentile_below(&self, percentile: u8, below_ms: u64) -> Option<u64> {
        let mut latencies: Vec<u64> = self
            .samples
            .iter()
            .filter(|s| s.failure.is_none() && s.latency_ms < below_ms)
            .map(|s| s.latency_ms)
            .collect();
        if latencies.is_empty() {
            return None;
        }
        // A selection, not a sort: this runs for every wallet on every verdict.
        let rank = (latencies.len() - 1) * usize::from(percentile.min(100)) / 100;
        let (_, at_rank, _) = latencies.select_nth_unstable(rank);
        Some(*at_rank)
    }

    pub fn ewma_ms(&self) -> Option<u64> {
        self.ewma_ms.map(|v| v.round() as u64)
    }

    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter()
    }

    pub fn record_head(&mut self, number: u64, now_ms: u64) {
        if let Some(h) = self.head {
            if number < h.number {
                return;
            }
            if number > h.number {
                if let Some(since) = self.head_advanced_ms {
                    let gap = now_ms.saturating_sub(since) as f64;
                    let per_block = gap / (number - h.number) as f64;
                    self.block_interval_ms = Some(ewma(self.block_interval_ms, per_block));
                    self.advance_cadence_ms = Some(ewma(self.advance_cadence_ms, gap));
                }
                self.head_advanced_ms = Some(now_ms);
            }
        }
        if self.head.is_none_or(|h| h.number != number) {
            self.head_first_seen_ms = Some(now_ms);
        }
        self.head = Some(Head { number, seen_ms: now_ms });
    }

    /// Whether the endpoint has just confirmed a head that should have moved on long ago:
    /// more than FROZEN_HEAD_INTERVALS of its own advance cadences (and FROZEN_HEAD_MIN_MS)
    /// after it appeared. Either the chain stalled for everyone, or this source stopped
    /// following it.
    pub fn head_frozen(&self) -> bool {
        match (self.head, self.head_advanced_ms, self.advance_cadence_ms) {
            (Some(h), Some(since), Some(cadence)) => {
                let unchanged = h.seen_ms.saturating_sub(since);
                unchanged > FROZEN_HEAD_MIN_MS && unchanged as f64 > FROZEN_HEAD_INTERVALS * cadence
            }
            _ => false,
        }
    }

    /// How long this source may trail the chain while following it on its own cadence:
    /// FROZEN_HEAD_INTERVALS cadences once its rhythm is known, `unknown_ms` before.
    pub fn cache_tolerance_ms(&self, unknown_ms: u64) -> u64 {
        self.advance_cadence_ms
            .map_or(unknown_ms, |c| (FROZEN_HEAD_INTERVALS * c).min(u64::MAX as f64) as u64)
    }

    /// This source's head as evidence for [`crate::head_truth`].
    pub fn head_report(&self) -> Option<crate::head_truth::Report> {
        self.head.map(|h| crate::head_truth::Report {
            number: h.number,
            seen_ms: h.seen_ms,
            since_ms: self.head_since_ms().unwrap_or(h.seen_ms),
            interval_ms: self.block_interval_ms,
        })
    }

    /// While the head is frozen: fallback heads older than this cannot tell whether it is
    /// behind (at most one fresh look per block interval, and per second).
    pub fn frozen_recheck_after_ms(&self) -> Option<u64> {
        let (head, interval) = (self.head?, self.block_interval_ms?);
        self.head_frozen().then(|| head.seen_ms.saturating_sub((interval as u64).max(FROZEN_HEAD_MIN_MS)))
    }

    /// How long another node may know a block before this one without this one being behind.
    pub fn propagation_margin_ms(&self) -> Option<u64> {
        self.block_interval_ms.map(|interval| (interval * PROPAGATION_INTERVALS) as u64)
    }

    /// When this endpoint first reported its current head (later than the truth, never
    /// earlier).
    pub fn head_since_ms(&self) -> Option<u64> {
        self.head.map(|h| self.head_first_seen_ms.unwrap_or(h.seen_ms))
    }

    pub fn head(&self) -> Option<Head> {
        self.head
    }
}

fn ewma(previous: Option<f64>, sample: f64) -> f64 {
    match previous {
        Some(prev) => prev + EWMA_ALPHA * (sample - prev),
        None => sample,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::DappOutcome;

    fn fail(kind: FailureKind) -> Outcome {
        Outcome::Infra { failure: Failure { kind, retry_after_ms: None } }
    }

    #[test]
    fn opens_after_consecutive_failures_and_recovers_through_half_open() {
        let s = Settings::default();
        let mut h = EndpointHealth::default();
        for t in 0..2 {
            h.record(t, 10, &fail(FailureKind::Timeout), &s);
        }
        assert_eq!(h.circuit(), Circuit::Closed);
        h.record(2, 10, &fail(FailureKind::Timeout), &s);
        assert_eq!(h.circuit(), Circuit::Open { until_ms: 2 + s.cooldown_ms });
        assert!(!h.usable(3));
        h.advance(2 + s.cooldown_ms, &s);
        assert_eq!(h.circuit(), Circuit::HalfOpen { successes: 0 });
        h.record(6000, 10, &Outcome::Success, &s);
        h.record(6001, 10, &Outcome::Success, &s);
        assert_eq!(h.circuit(), Circuit::Closed);
    }

    #[test]
    fn cooldown_doubles_on_repeated_opens() {
        let s = Settings::default();
        let mut h = EndpointHealth::default();
        for t in 0..3 {
            h.record(t, 10, &fail(FailureKind::Transport), &s);
        }
        h.advance(10_000, &s);
        h.record(10_000, 10, &fail(FailureKind::Transport), &s);
        assert_eq!(h.circuit(), Circuit::Open { until_ms: 10_000 + 2 * s.cooldown_ms });
    }

    #[test]
    fn dapp_outcomes_never_hurt() {
        let s = Settings::default();
        let mut h = EndpointHealth::default();
        for t in 0..20 {
            h.record(t, 10, &Outcome::Dapp { kind: DappOutcome::Reverted }, &s);
        }
        assert_eq!(h.error_counts(), (0, 20));
        assert_eq!(h.circuit(), Circuit::Closed);
    }

    #[test]
    fn error_rate_opens_a_flapping_endpoint() {
        let s = Settings::default();
        let mut h = EndpointHealth::default();
        for t in 0..9 {
            let o = if t % 2 == 0 { fail(FailureKind::HttpStatus) } else { Outcome::Success };
            h.record(t, 10, &o, &s);
        }
        assert!(matches!(h.circuit(), Circuit::Open { .. }));
    }

    #[test]
    fn retry_after_is_honoured() {
        let s = Settings::default();
        let mut h = EndpointHealth::default();
        let limited = Outcome::Infra {
            failure: Failure { kind: FailureKind::RateLimited, retry_after_ms: Some(9_000) },
        };
        h.record(1_000, 5, &limited, &s);
        assert!(!h.usable(9_999));
        assert!(h.usable(10_000));
    }

    #[test]
    fn percentiles_and_window_age() {
        let s = Settings::default();
        let mut h = EndpointHealth::default();
        for (t, l) in [10, 20, 30, 40, 100].iter().enumerate() {
            h.record(t as u64, *l, &Outcome::Success, &s);
        }
        assert_eq!(h.latency_percentile(50), Some(30));
        assert_eq!(h.latency_percentile(95), Some(40));
        assert_eq!(h.latency_percentile(100), Some(100));
        h.advance(s.window_ms + 10, &s);
        assert_eq!(h.latency_percentile(50), None);
    }

    #[test]
    fn head_only_moves_forward() {
        let mut h = EndpointHealth::default();
        h.record_head(10, 0);
        h.record_head(8, 1);
        assert_eq!(h.head().map(|x| x.number), Some(10));
    }
}
