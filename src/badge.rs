//! What the user is told: the badge state and one plain sentence of what happened and
//! what is being done about it.

use crate::outcome::FailureKind;
use crate::settings::Mode;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BadgeState {
    Healthy,
    Degraded,
    Rerouting,
    Failing,
}

/// Everything a sentence is made from, gathered by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict<'a> {
    pub chain_name: &'a str,
    pub state: BadgeState,
    pub failures: usize,
    pub samples: usize,
    pub cause: Option<FailureKind>,
    /// How long the oldest unanswered read has waited, when that is why we are degraded.
    pub waiting_ms: Option<u64>,
    pub mode: Mode,
    /// The fallback serving reads (host, latency), when rerouting.
    pub fallback: Option<(&'a str, Option<u64>)>,
    pub recovered: bool,
}

impl Verdict<'_> {
    pub fn sentence(&self) -> String {
        let rpc = format!("Your wallet's {} RPC", self.chain_name);
        let record = match (self.failures, self.cause) {
            (0, _) | (_, None) => String::new(),
            (f, Some(cause)) => {
                format!(" failed {f} of the last {} requests ({})", self.samples, cause.plural_phrase())
            }
        };
        match self.state {
            BadgeState::Healthy if self.recovered => {
                format!("{rpc} has recovered; requests go to your wallet again.")
            }
            // No figures here: a sentence that changed with every request would re-send the
            // badge to the page each time. The popup shows the latency.
            BadgeState::Healthy => format!("{rpc} is answering normally."),
            BadgeState::Degraded => match (self.waiting_ms, record.is_empty()) {
                // Tenths of a second by integer arithmetic: float formatting would add ~20 KB
                // to the wasm module for this one number.
                (Some(ms), true) => format!(
                    "{rpc} is slow: a request has waited {}.{} s for an answer. Watching closely.",
                    ms / 1000,
                    ms % 1000 / 100
                ),
                _ => format!("{rpc}{record}. Watching closely; nothing has been changed yet."),
            },
            BadgeState::Failing => {
                let what = match self.mode {
                    Mode::Observe => "RPC Lifeline is only watching (Observe mode).",
                    Mode::Suggest => "You can add a working RPC to your wallet from this badge.",
                    Mode::Protect => {
                        "No verified fallback is available yet, so reads still go to your wallet."
                    }
                };
                let record = if record.is_empty() { " is failing".to_owned() } else { record };
                format!("{rpc}{record}. {what}")
            }
            BadgeState::Rerouting => {
                let (host, latency) = self.fallback.unwrap_or(("a fallback endpoint", None));
                let latency = latency.map(|ms| format!(" ({ms} ms)")).unwrap_or_default();
                let record = if record.is_empty() { " is failing".to_owned() } else { record };
                format!("{rpc}{record}. Reads on this page are now served by {host}{latency}.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(state: BadgeState) -> Verdict<'static> {
        Verdict {
            chain_name: "Ethereum",
            state,
            failures: 7,
            samples: 8,
            cause: Some(FailureKind::Timeout),
            waiting_ms: None,
            mode: Mode::Protect,
            fallback: Some(("ethereum-rpc.publicnode.com", Some(84))),
            recovered: false,
        }
    }

    #[test]
    fn rerouting_sentence_reads_like_the_design() {
        assert_eq!(
            verdict(BadgeState::Rerouting).sentence(),
            "Your wallet's Ethereum RPC failed 7 of the last 8 requests (time-outs). Reads on this page are now served by ethereum-rpc.publicnode.com (84 ms)."
        );
    }

    #[test]
    fn failing_sentence_says_what_the_mode_does() {
        let v = Verdict { mode: Mode::Observe, ..verdict(BadgeState::Failing) };
        assert!(v.sentence().ends_with("(Observe mode)."));
    }

    #[test]
    fn slow_and_recovered_sentences() {
        let v = Verdict { failures: 0, waiting_ms: Some(1600), ..verdict(BadgeState::Degraded) };
        assert_eq!(
            v.sentence(),
            "Your wallet's Ethereum RPC is slow: a request has waited 1.6 s for an answer. Watching closely."
        );
        let v = Verdict { recovered: true, ..verdict(BadgeState::Healthy) };
        assert!(v.sentence().contains("has recovered"));
    }
}
