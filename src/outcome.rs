//! Outcome classification: is a finished request a success, the dapp's or user's own
//! business, or an infrastructure failure that counts against the endpoint?

use crate::jsonrpc::{ErrorObject, code};
use serde::{Deserialize, Serialize};

/// What was observed when a request finished, before any judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Observed {
    Ok,
    /// A JSON-RPC / EIP-1193 error object as the wallet or endpoint returned it.
    #[serde(rename_all = "camelCase")]
    RpcError {
        code: i64,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<String>,
    },
    /// No answer within the time budget.
    Timeout,
    /// The request never completed at the transport level ("Failed to fetch", reset…).
    Transport {
        message: String,
    },
    /// A non-2xx HTTP answer from an endpoint we called ourselves.
    #[serde(rename_all = "camelCase")]
    Http {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// A body we fetched ourselves that was unusable (not JSON, oversized, wrong id…).
    #[serde(rename_all = "camelCase")]
    BadBody {
        failure: FailureKind,
    },
}

impl Observed {
    pub fn rpc_error(error: &ErrorObject) -> Self {
        Self::RpcError { code: error.code, message: error.message.clone(), data: error.data.clone() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DappOutcome {
    UserRejected,
    Unauthorized,
    Unsupported,
    Reverted,
    InvalidParams,
    InsufficientFunds,
    NonceTooLow,
    /// Any other error that says something about the request, not the node.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureKind {
    Timeout,
    Transport,
    HttpStatus,
    RateLimited,
    ResourceUnavailable,
    LimitExceeded,
    ParseError,
    InternalUpstream,
    Disconnected,
    Malformed,
    Oversized,
    IdMismatch,
    WrongChain,
    StaleHead,
}

impl FailureKind {
    /// Plain-language plural used in badge sentences ("failed 3 of 4 requests (time-outs)").
    pub fn plural_phrase(self) -> &'static str {
        match self {
            Self::Timeout => "time-outs",
            Self::Transport => "connection failures",
            Self::HttpStatus => "HTTP errors",
            Self::RateLimited => "rate limiting",
            Self::ResourceUnavailable => "endpoint unavailable",
            Self::LimitExceeded => "request limits exceeded",
            Self::ParseError | Self::Malformed => "unreadable answers",
            Self::InternalUpstream => "internal errors from the node",
            Self::Disconnected => "wallet disconnected from the chain",
            Self::Oversized => "oversized answers",
            Self::IdMismatch => "mismatched answers",
            Self::WrongChain => "answers from the wrong chain",
            Self::StaleHead => "stale blocks",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub kind: FailureKind,
    /// How long the endpoint asked us to stay away, when it said.
    pub retry_after_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "camelCase")]
pub enum Outcome {
    Success,
    Dapp { kind: DappOutcome },
    Infra { failure: Failure },
}

impl Outcome {
    fn infra(kind: FailureKind) -> Self {
        Self::Infra { failure: Failure { kind, retry_after_ms: None } }
    }

    fn dapp(kind: DappOutcome) -> Self {
        Self::Dapp { kind }
    }

    pub fn failure(&self) -> Option<Failure> {
        match self {
            Self::Infra { failure } => Some(*failure),
            _ => None,
        }
    }
}

/// Judges one observed outcome.
pub fn classify(observed: &Observed) -> Outcome {
    match observed {
        Observed::Ok => Outcome::Success,
        Observed::Timeout => Outcome::infra(FailureKind::Timeout),
        Observed::Transport { .. } => Outcome::infra(FailureKind::Transport),
        Observed::Http { status, retry_after_ms } => classify_http(*status, *retry_after_ms),
        Observed::BadBody { failure } => Outcome::infra(*failure),
        Observed::RpcError { code, message, data } => {
            let data = data.as_deref().and_then(|d| serde_json::from_str(d).ok());
            classify_rpc_error(*code, message, data.as_ref(), 0)
        }
    }
}

fn classify_http(status: u16, retry_after_ms: Option<u64>) -> Outcome {
    if status == 429 {
        return Outcome::Infra { failure: Failure { kind: FailureKind::RateLimited, retry_after_ms } };
    }
    Outcome::infra(FailureKind::HttpStatus)
}

/// Wallets nest the upstream's error in `data` (MetaMask: `data.cause`, or `data` being the
/// node's own error object); look that deep and no deeper.
const MAX_NESTING: u8 = 3;

fn classify_rpc_error(code: i64, message: &str, data: Option<&serde_json::Value>, depth: u8) -> Outcome {
    let lower = message.to_ascii_lowercase();
    let http_status = data.and_then(|d| d.get("httpStatus")).and_then(|s| s.as_u64());
    match code {
        code::USER_REJECTED => Outcome::dapp(DappOutcome::UserRejected),
        code::UNAUTHORIZED => Outcome::dapp(DappOutcome::Unauthorized),
        code::UNSUPPORTED_METHOD => Outcome::dapp(DappOutcome::Unsupported),
        code::DISCONNECTED | code::CHAIN_DISCONNECTED => Outcome::infra(FailureKind::Disconnected),
        code::EXECUTION_REVERTED => Outcome::dapp(DappOutcome::Reverted),
        code::INVALID_PARAMS => Outcome::dapp(DappOutcome::InvalidParams),
        code::PARSE_ERROR => Outcome::infra(FailureKind::ParseError),
        code::RESOURCE_UNAVAILABLE => Outcome::Infra {
            failure: Failure {
                kind: FailureKind::ResourceUnavailable,
                retry_after_ms: retry_hint_ms(&lower),
            },
        },
        code::LIMIT_EXCEEDED => {
            let kind = if http_status == Some(429) || lower.contains("rate limit") {
                FailureKind::RateLimited
            } else {
                FailureKind::LimitExceeded
            };
            Outcome::Infra { failure: Failure { kind, retry_after_ms: retry_hint_ms(&lower) } }
        }
        code::VERSION_NOT_SUPPORTED | code::HTTP_CLIENT_ERROR if http_status.is_some() => {
            Outcome::infra(FailureKind::HttpStatus)
        }
        code::INTERNAL_ERROR | code::INVALID_INPUT => classify_by_cause(code, &lower, data, depth),
        _ => match infra_by_message(&lower) {
            Some(kind) => Outcome::infra(kind),
            None => dapp_by_message(&lower).unwrap_or(Outcome::dapp(DappOutcome::Other)),
        },
    }
}

/// `-32603` and `-32000` say little by their code: the message and the wrapped cause decide.
fn classify_by_cause(code: i64, lower: &str, data: Option<&serde_json::Value>, depth: u8) -> Outcome {
    if let Some(outcome) = dapp_by_message(lower) {
        return outcome;
    }
    if let Some(kind) = infra_by_message(lower) {
        return Outcome::infra(kind);
    }
    if let Some(inner) = data.filter(|_| depth < MAX_NESTING) {
        if inner.get("isBrokenCircuitError").and_then(|b| b.as_bool()) == Some(true) {
            return Outcome::infra(FailureKind::InternalUpstream);
        }
        if let Some(status) = inner.get("httpStatus").and_then(|s| s.as_u64()) {
            return classify_http(u16::try_from(status).unwrap_or(u16::MAX), None);
        }
        let inner_message = inner.get("message").and_then(|m| m.as_str()).unwrap_or_default();
        let inner_code = inner.get("code").and_then(|c| c.as_i64());
        if let Some(cause) = inner.get("cause").or(inner.get("originalError")) {
            let nested = cause.get("message").and_then(|m| m.as_str()).unwrap_or_default();
            let nested_code = cause.get("code").and_then(|c| c.as_i64()).unwrap_or(code);
            return classify_rpc_error(nested_code, nested, Some(cause), depth + 1);
        }
        if inner_code.is_some() || !inner_message.is_empty() {
            return classify_rpc_error(
                inner_code.unwrap_or(code),
                inner_message,
                inner.get("data"),
                depth + 1,
            );
        }
    }
    // A bare internal error is how many wallets report that their node failed; a bare
    // -32000 is a node rejecting the request's content.
    if code == code::INTERNAL_ERROR {
        Outcome::infra(FailureKind::InternalUpstream)
    } else {
        Outcome::dapp(DappOutcome::Other)
    }
}

fn dapp_by_message(lower: &str) -> Option<Outcome> {
    let kind = if lower.contains("revert") {
        DappOutcome::Reverted
    } else if lower.contains("insufficient funds") {
        DappOutcome::InsufficientFunds
    } else if lower.contains("nonce too low") {
        DappOutcome::NonceTooLow
    } else if lower.contains("user rejected") || lower.contains("user denied") {
        DappOutcome::UserRejected
    } else {
        return None;
    };
    Some(Outcome::dapp(kind))
}

/// Message fragments that wallets and client libraries use when the *node* failed.
const INFRA_MESSAGES: &[(&str, FailureKind)] = &[
    ("failed to fetch", FailureKind::Transport),
    ("fetch failed", FailureKind::Transport),
    ("networkerror", FailureKind::Transport),
    ("network error", FailureKind::Transport),
    ("load failed", FailureKind::Transport),
    ("econnrefused", FailureKind::Transport),
    ("econnreset", FailureKind::Transport),
    ("socket hang up", FailureKind::Transport),
    ("connection refused", FailureKind::Transport),
    ("http request failed", FailureKind::Transport),
    ("timed out", FailureKind::Timeout),
    ("timeout", FailureKind::Timeout),
    ("circuit breaker", FailureKind::InternalUpstream),
    ("too many requests", FailureKind::RateLimited),
    ("rate limit", FailureKind::RateLimited),
    ("did not return json", FailureKind::ParseError),
    ("not found or unavailable", FailureKind::ResourceUnavailable),
    ("header not found", FailureKind::StaleHead),
    ("missing trie node", FailureKind::StaleHead),
    ("could not coalesce error", FailureKind::InternalUpstream),
    ("bad gateway", FailureKind::HttpStatus),
    ("service unavailable", FailureKind::HttpStatus),
    ("gateway timeout", FailureKind::Timeout),
];

fn infra_by_message(lower: &str) -> Option<FailureKind> {
    INFRA_MESSAGES.iter().find(|(needle, _)| lower.contains(needle)).map(|(_, kind)| *kind)
}

/// MetaMask's open circuit says "retrying in 29.5 minutes"; honour it as a Retry-After.
fn retry_hint_ms(lower: &str) -> Option<u64> {
    let rest = lower.split("retrying in ").nth(1)?;
    let mut words = rest.split_whitespace();
    let amount: f64 = words.next()?.parse().ok()?;
    let unit_ms = match words.next()?.trim_end_matches(['.', ',']) {
        "second" | "seconds" => 1_000.0,
        "minute" | "minutes" => 60_000.0,
        "hour" | "hours" => 3_600_000.0,
        _ => return None,
    };
    let ms = amount * unit_ms;
    (ms.is_finite() && ms >= 0.0).then(|| ms.min(u64::MAX as f64) as u64)
}

/// Parses an HTTP `Retry-After` header given in seconds (the form RPC providers use).
pub fn parse_retry_after_ms(header: &str) -> Option<u64> {
    header.trim().parse::<u64>().ok().map(|s| s.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i64, message: &str, data: Option<&str>) -> Outcome {
        classify(&Observed::RpcError { code, message: message.into(), data: data.map(Into::into) })
    }

    #[test]
    fn transport_outcomes_are_infra() {
        assert_eq!(classify(&Observed::Timeout).failure().map(|f| f.kind), Some(FailureKind::Timeout));
        let t = Observed::Transport { message: "Failed to fetch".into() };
        assert_eq!(classify(&t).failure().map(|f| f.kind), Some(FailureKind::Transport));
        assert_eq!(classify(&Observed::Ok), Outcome::Success);
    }

    #[test]
    fn http_429_carries_retry_after() {
        let o = classify(&Observed::Http { status: 429, retry_after_ms: Some(7000) });
        assert_eq!(o.failure(), Some(Failure { kind: FailureKind::RateLimited, retry_after_ms: Some(7000) }));
        let o = classify(&Observed::Http { status: 503, retry_after_ms: None });
        assert_eq!(o.failure().map(|f| f.kind), Some(FailureKind::HttpStatus));
    }

    #[test]
    fn metamask_circuit_message_becomes_a_retry_hint() {
        let o = rpc(
            -32002,
            "RPC endpoint returned too many errors, retrying in 29.5 minutes. Consider using a different RPC endpoint.",
            None,
        );
        assert_eq!(o.failure().and_then(|f| f.retry_after_ms), Some(1_770_000));
    }

    #[test]
    fn revert_wrapped_in_internal_error_is_the_dapps_business() {
        let o = rpc(-32603, "Internal JSON-RPC error.", Some(r#"{"code":3,"message":"execution reverted"}"#));
        assert_eq!(o, Outcome::Dapp { kind: DappOutcome::Reverted });
    }

    #[test]
    fn bare_internal_error_counts_but_bare_invalid_input_does_not() {
        assert!(rpc(-32603, "Internal JSON-RPC error.", None).failure().is_some());
        assert_eq!(rpc(-32000, "invalid sender", None), Outcome::Dapp { kind: DappOutcome::Other });
    }

    #[test]
    fn deep_nesting_and_truncated_data_do_not_confuse_it() {
        let deep = r#"{"cause":{"cause":{"cause":{"cause":{"message":"execution reverted"}}}}}"#;
        assert!(rpc(-32603, "Internal JSON-RPC error.", Some(deep)).failure().is_some());
        let cut = r#"{"cause":{"message":"Failed to fe"#;
        assert!(rpc(-32603, "Internal JSON-RPC error.", Some(cut)).failure().is_some());
    }

    #[test]
    fn retry_after_header_in_seconds() {
        assert_eq!(parse_retry_after_ms(" 5 "), Some(5000));
        assert_eq!(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn odd_hint_numbers_are_ignored_or_clamped() {
        assert_eq!(retry_hint_ms("retrying in nan minutes"), None);
        assert_eq!(retry_hint_ms("retrying in -1 minutes"), None);
        assert_eq!(retry_hint_ms("retrying in 1e400 minutes"), None);
        assert_eq!(retry_hint_ms("retrying in 2 seconds."), Some(2000));
    }
}
