//! Which head is true: decided by agreement between independent sources, never by one.
//!
//! A listed endpoint can lie (report a head ahead of the chain) and any single source can be
//! behind. So a head counts only once [`QUORUM`] independent sources (distinct operators, see `Endpoint::operator`) have
//! reached it; a source is behind only when a quorum of *others* had a newer head before it
//! spoke; and a source far ahead of every other is suspect, not truth. With fewer than a
//! quorum of sources, no head judges anyone: a lone fallback is used (the page's own
//! no-time-travel rule still applies) but never makes the wallet stale.

/// Independent sources that must agree before a head counts.
pub const QUORUM: usize = 2;
/// Block interval assumed before any source has shown one: one block a second, faster than
/// Ethereum and slower than the fastest rollups, whose intervals are learned within seconds.
const DEFAULT_INTERVAL_MS: f64 = 1_000.0;
/// No chain makes blocks faster than this; a learned interval below it is noise (or a liar).
const MIN_INTERVAL_MS: f64 = 100.0;

/// One source's latest head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub number: u64,
    /// When the source last confirmed `number`.
    pub seen_ms: u64,
    /// When the source first reported `number` (later than the truth, never earlier).
    pub since_ms: u64,
    /// The block interval the source's own advances show, when known.
    pub interval_ms: Option<f64>,
}

/// The highest head at least [`QUORUM`] sources have reached: the quorum-th highest report.
pub fn agreed_head(reports: &[Report]) -> Option<u64> {
    let mut numbers: Vec<u64> = reports.iter().map(|r| r.number).collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    numbers.get(QUORUM - 1).copied()
}

/// Since when at least [`QUORUM`] sources have reported a head above `number`.
pub fn superseded_since(reports: &[Report], number: u64) -> Option<u64> {
    let mut since: Vec<u64> = reports.iter().filter(|r| r.number > number).map(|r| r.since_ms).collect();
    since.sort_unstable();
    since.get(QUORUM - 1).copied()
}

/// The chain's block interval: the median of what the sources show, floored.
pub fn chain_interval_ms(reports: &[Report]) -> f64 {
    let mut known: Vec<f64> =
        reports.iter().filter_map(|r| r.interval_ms).filter(|i| i.is_finite()).collect();
    known.sort_unstable_by(f64::total_cmp);
    known.get(known.len() / 2).copied().unwrap_or(DEFAULT_INTERVAL_MS).max(MIN_INTERVAL_MS)
}

/// Blocks the chain can plausibly have made in `elapsed_ms`, rounded up.
pub fn plausible_growth(elapsed_ms: u64, interval_ms: f64) -> u64 {
    let blocks = (elapsed_ms as f64 / interval_ms.max(MIN_INTERVAL_MS)).ceil();
    if blocks.is_finite() && blocks > 0.0 { blocks.min(u64::MAX as f64) as u64 } else { 0 }
}

/// Whether `number`, reported at `at_ms`, is further ahead of every one of `others` than the
/// chain could have moved since each spoke (plus `max_lag` for propagation). Needs a quorum of
/// others: between two sources that disagree, neither is trusted to judge the other.
pub fn ahead_of_all(number: u64, at_ms: u64, others: &[Report], max_lag: u64, interval_ms: f64) -> bool {
    others.len() >= QUORUM
        && others.iter().all(|o| {
            let ceiling = o
                .number
                .saturating_add(plausible_growth(at_ms.saturating_sub(o.seen_ms), interval_ms))
                .saturating_add(max_lag);
            number > ceiling
        })
}

/// Whether a source that reported `number` at `at_ms` was behind: a quorum of others had
/// already reported a head more than `max_lag` above it at least `tolerance_ms` earlier.
pub fn behind(number: u64, at_ms: u64, others: &[Report], max_lag: u64, tolerance_ms: u64) -> bool {
    superseded_since(others, number.saturating_add(max_lag))
        .is_some_and(|since| at_ms.saturating_sub(since) > tolerance_ms && since <= at_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(number: u64, ms: u64) -> Report {
        Report { number, seen_ms: ms, since_ms: ms, interval_ms: Some(1_000.0) }
    }

    #[test]
    fn one_source_ahead_does_not_move_the_agreed_head() {
        let reports = [at(1_010, 0), at(1_000, 0), at(1_000, 0)];
        assert_eq!(agreed_head(&reports), Some(1_000));
        assert_eq!(agreed_head(&reports[..1]), None, "a lone source is no agreement");
    }

    #[test]
    fn a_liar_far_ahead_is_suspect_an_honest_lead_is_not() {
        let others = [at(1_000, 0), at(1_000, 0)];
        assert!(ahead_of_all(1_010, 0, &others, 3, 1_000.0));
        assert!(!ahead_of_all(1_002, 0, &others, 3, 1_000.0));
        // Five seconds later the chain has moved on: a head five blocks up is plausible.
        assert!(!ahead_of_all(1_008, 5_000, &others, 3, 1_000.0));
        // Between two sources that disagree, neither judges the other.
        assert!(!ahead_of_all(1_010, 0, &others[..1], 3, 1_000.0));
    }

    #[test]
    fn behind_needs_a_quorum_that_spoke_earlier() {
        let others = [at(1_010, 1_000), at(1_010, 2_000)];
        assert!(behind(1_000, 5_000, &others, 3, 2_000));
        assert!(!behind(1_000, 3_500, &others, 3, 2_000), "the quorum is only 1.5 s old");
        assert!(!behind(1_000, 5_000, &others[..1], 3, 0), "one source is not a quorum");
        assert!(!behind(1_008, 5_000, &others, 3, 0), "within the lag bound");
        // Heads reported after the source spoke say nothing about it.
        assert!(!behind(1_000, 500, &others, 3, 0));
    }

    #[test]
    fn the_interval_is_the_median_and_floored() {
        let mut reports = [at(1, 0), at(1, 0), at(1, 0)];
        reports[0].interval_ms = Some(1.0);
        reports[1].interval_ms = Some(2_000.0);
        reports[2].interval_ms = Some(12_000.0);
        assert_eq!(chain_interval_ms(&reports), 2_000.0);
        assert_eq!(chain_interval_ms(&[]), DEFAULT_INTERVAL_MS);
        reports[1].interval_ms = Some(f64::NAN);
        reports[2].interval_ms = Some(1.0);
        assert_eq!(chain_interval_ms(&reports), MIN_INTERVAL_MS);
        assert_eq!(plausible_growth(2_500, 1_000.0), 3);
        assert_eq!(plausible_growth(u64::MAX, 100.0), (u64::MAX as f64 / 100.0).ceil() as u64);
    }
}
