//! The JSON-RPC response parser on arbitrary bytes: never panics, never accepts a body over
//! its size cap, and what it accepts is JSON-RPC 2.0 with exactly one of result and error.
#![no_main]
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use libfuzzer_sys::fuzz_target;
use rpc_lifeline::jsonrpc::{ParseError, Payload, ResponseBody, parse_quantity, parse_response};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the cap, so the oversized path is exercised too.
    let (cap, body) = match data.split_first() {
        Some((b, rest)) => (usize::from(*b) * 16, rest),
        None => (0, data),
    };
    match parse_response(body, cap) {
        Err(ParseError::Oversized { bytes, limit }) => assert!(bytes > limit && limit == cap),
        Err(_) => assert!(body.len() <= cap),
        Ok(parsed) => {
            assert!(body.len() <= cap);
            let responses = match parsed {
                ResponseBody::Single(r) => vec![r],
                ResponseBody::Batch(rs) => {
                    assert!(!rs.is_empty());
                    rs
                }
            };
            for r in responses {
                match r.payload {
                    Payload::Result(raw) => {
                        // A result is kept raw: it must still be JSON text (by the grammar: a
                        // lone surrogate escape such as "\uDF23" is JSON, though not Unicode,
                        // and reaches the page's JSON.parse as it came).
                        assert!(serde_json::from_str::<&serde_json::value::RawValue>(raw.get()).is_ok());
                        let _ = parse_quantity(&raw);
                    }
                    Payload::Error(e) => {
                        let _ = e.data_json();
                        let _ =
                            rpc_lifeline::outcome::classify(&rpc_lifeline::outcome::Observed::rpc_error(&e));
                    }
                }
            }
        }
    }
    // The same bytes with no cap to speak of: the parser itself never panics.
    let _ = parse_response(data, usize::MAX);
});
