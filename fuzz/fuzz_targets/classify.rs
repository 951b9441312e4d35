//! The outcome classifier on arbitrary observations: never panics, is deterministic, survives
//! the JSON trip the host makes, and keeps the README's promises: a user rejection (4001) and
//! a revert (code 3) never count against an endpoint; a success never does; a time-out and a
//! transport error always do.
#![no_main]
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use rpc_lifeline::outcome::{Observed, Outcome, classify, parse_retry_after_ms};

/// Codes worth hitting often: the ones the classifier branches on.
const CODES: [i64; 18] = [
    3, 4001, 4100, 4200, 4900, 4901, -32700, -32600, -32601, -32602, -32603, -32000, -32001, -32002, -32003,
    -32004, -32005, -32006,
];
/// Fragments the classifier looks for, so the fuzzer need not guess them byte by byte.
const WORDS: [&str; 16] = [
    "execution reverted",
    "user rejected",
    "Failed to fetch",
    "rate limit",
    "retrying in ",
    " minutes",
    " seconds",
    "timeout",
    "header not found",
    "insufficient funds",
    "nonce too low",
    "circuit breaker",
    "1e308",
    "NaN",
    "-1",
    "0.5",
];

fn text(u: &mut Unstructured) -> arbitrary::Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=4)? {
        if u.arbitrary()? {
            s.push_str(WORDS[u.choose_index(WORDS.len())?]);
        } else {
            s.push_str(&String::arbitrary(u)?);
        }
    }
    Ok(s)
}

/// A JSON `data` in the shapes wallets nest upstream errors in, or arbitrary text.
fn data(u: &mut Unstructured, depth: u8) -> arbitrary::Result<String> {
    if depth > 4 || u.ratio(1, 3)? {
        return text(u);
    }
    let code = if u.arbitrary()? { CODES[u.choose_index(CODES.len())?] } else { i64::arbitrary(u)? };
    let message = serde_json::to_string(&text(u)?).unwrap();
    let inner = data(u, depth + 1)?;
    let inner = if serde_json::from_str::<serde_json::Value>(&inner).is_ok() { inner } else { "null".into() };
    Ok(match u.int_in_range(0..=4)? {
        0 => format!(r#"{{"cause":{{"code":{code},"message":{message},"data":{inner}}}}}"#),
        1 => format!(r#"{{"originalError":{inner}}}"#),
        2 => format!(r#"{{"httpStatus":{}}}"#, u64::arbitrary(u)?),
        3 => format!(r#"{{"isBrokenCircuitError":{}}}"#, bool::arbitrary(u)?),
        _ => format!(r#"{{"code":{code},"message":{message},"data":{inner}}}"#),
    })
}

fn observed(u: &mut Unstructured) -> arbitrary::Result<Observed> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Observed::Ok,
        1 => Observed::Timeout,
        2 => Observed::Transport { message: text(u)? },
        3 => Observed::Http { status: u.arbitrary()?, retry_after_ms: u.arbitrary()? },
        4 => {
            // BadBody's failure kinds through their JSON names.
            let json =
                format!(r#"{{"kind":"badBody","failure":{}}}"#, serde_json::to_string(&text(u)?).unwrap());
            serde_json::from_str(&json).unwrap_or(Observed::Timeout)
        }
        _ => {
            let code = if u.arbitrary()? { CODES[u.choose_index(CODES.len())?] } else { u.arbitrary()? };
            let data = if u.arbitrary()? { Some(data(u, 0)?) } else { None };
            Observed::RpcError { code, message: text(u)?, data }
        }
    })
}

fn check(o: &Observed) {
    let outcome = classify(o);
    assert_eq!(outcome, classify(&o.clone()), "not deterministic");
    match o {
        Observed::Ok => assert_eq!(outcome, Outcome::Success),
        Observed::Timeout | Observed::Transport { .. } | Observed::Http { .. } | Observed::BadBody { .. } => {
            assert!(outcome.failure().is_some(), "{o:?} is not a failure")
        }
        Observed::RpcError { code: 4001 | 3, .. } => {
            assert!(outcome.failure().is_none(), "{o:?} counted against the endpoint: {outcome:?}")
        }
        Observed::RpcError { .. } => {}
    }
    // The host sends observations as JSON: the trip changes nothing.
    let json = serde_json::to_string(o).unwrap();
    let back: Observed = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, o);
    assert_eq!(classify(&back), outcome);
}

fuzz_target!(|bytes: &[u8]| {
    // The raw bytes as the host's JSON, as a Retry-After header, and as a structured value.
    if let Ok(o) = serde_json::from_slice::<Observed>(bytes) {
        check(&o);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        let _ = parse_retry_after_ms(s);
    }
    let mut u = Unstructured::new(bytes);
    while let Ok(o) = observed(&mut u) {
        check(&o);
        if u.is_empty() {
            break;
        }
    }
});
