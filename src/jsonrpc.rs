//! JSON-RPC 2.0 types with the EIP-1193 and EIP-1474 error codes, and a parser for
//! untrusted response bodies that is size-capped and never panics.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt;

/// Standard error codes, named so that no number is scattered through the engine.
pub mod code {
    /// EIP-1193: the user rejected the request.
    pub const USER_REJECTED: i64 = 4001;
    /// EIP-1193: the method or account has not been authorised by the user.
    pub const UNAUTHORIZED: i64 = 4100;
    /// EIP-1193: the provider does not support the method.
    pub const UNSUPPORTED_METHOD: i64 = 4200;
    /// EIP-1193: the provider is disconnected from all chains.
    pub const DISCONNECTED: i64 = 4900;
    /// EIP-1193: the provider is not connected to the requested chain.
    pub const CHAIN_DISCONNECTED: i64 = 4901;
    /// Geth/EIP-1474 convention for a reverted call or gas estimation.
    pub const EXECUTION_REVERTED: i64 = 3;
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    /// EIP-1474 "invalid input"; nodes use it as a generic server error.
    pub const INVALID_INPUT: i64 = -32000;
    pub const RESOURCE_NOT_FOUND: i64 = -32001;
    pub const RESOURCE_UNAVAILABLE: i64 = -32002;
    pub const TRANSACTION_REJECTED: i64 = -32003;
    pub const METHOD_NOT_SUPPORTED: i64 = -32004;
    pub const LIMIT_EXCEEDED: i64 = -32005;
    /// EIP-1474 "JSON-RPC version not supported"; MetaMask reuses it for HTTP 401.
    pub const VERSION_NOT_SUPPORTED: i64 = -32006;
    /// MetaMask: its upstream answered with an HTTP 4xx.
    pub const HTTP_CLIENT_ERROR: i64 = -32080;
}

/// Default cap on a response body: larger bodies are rejected, not parsed.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// How much of an error's `data` the engine keeps; the rest is cut (classification only
/// needs the first few fields).
pub const MAX_ERROR_DATA_BYTES: usize = 4096;
/// How much of an error's `message` the engine keeps.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;

/// A JSON-RPC id: number, string or null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Number(u64),
    String(String),
    Null,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request<'a> {
    pub jsonrpc: &'static str,
    pub id: Id,
    pub method: &'a str,
    pub params: &'a serde_json::Value,
}

impl<'a> Request<'a> {
    pub fn new(id: Id, method: &'a str, params: &'a serde_json::Value) -> Self {
        Self { jsonrpc: "2.0", id, method, params }
    }
}

/// A JSON-RPC error object. `data` stays raw JSON text (capped), parsed only on demand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl ErrorObject {
    /// Builds an error object from untrusted parts, applying the size caps.
    pub fn capped(code: i64, message: &str, data: Option<&str>) -> Self {
        Self {
            code,
            message: truncate_utf8(message, MAX_ERROR_MESSAGE_BYTES).to_owned(),
            data: data.map(|d| truncate_utf8(d, MAX_ERROR_DATA_BYTES).to_owned()),
        }
    }

    /// `data` as JSON, when it is complete and well-formed.
    pub fn data_json(&self) -> Option<serde_json::Value> {
        self.data.as_deref().and_then(|d| serde_json::from_str(d).ok())
    }
}

/// One response: either a result (kept raw, never interpreted beyond what routing needs)
/// or an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: Id,
    pub payload: Payload,
}

#[derive(Debug, Clone)]
pub enum Payload {
    Result(Box<RawValue>),
    Error(ErrorObject),
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Result(a), Self::Result(b)) => a.get() == b.get(),
            (Self::Error(a), Self::Error(b)) => a == b,
            _ => false,
        }
    }
}

/// A body is either one response or a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseBody {
    Single(Response),
    Batch(Vec<Response>),
}

/// Why a body could not be used. Each variant is an infrastructure failure of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Oversized { bytes: usize, limit: usize },
    NotJson(String),
    NotJsonRpc(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Oversized { bytes, limit } => {
                write!(f, "response body of {bytes} bytes exceeds the {limit}-byte limit")
            }
            Self::NotJson(why) => write!(f, "response body is not JSON: {why}"),
            Self::NotJsonRpc(why) => write!(f, "response is not JSON-RPC 2.0: {why}"),
        }
    }
}

impl std::error::Error for ParseError {}

#[derive(Deserialize)]
struct WireResponse {
    jsonrpc: Option<String>,
    #[serde(default = "null_id")]
    id: Id,
    #[serde(default, deserialize_with = "present")]
    result: Option<Box<RawValue>>,
    error: Option<WireError>,
}

fn null_id() -> Id {
    Id::Null
}

/// `"result": null` is a valid result (e.g. an unknown transaction), not a missing one.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct WireError {
    code: i64,
    #[serde(default)]
    message: String,
    data: Option<Box<RawValue>>,
}

impl TryFrom<WireResponse> for Response {
    type Error = ParseError;

    fn try_from(wire: WireResponse) -> Result<Self, ParseError> {
        if wire.jsonrpc.as_deref() != Some("2.0") {
            return Err(ParseError::NotJsonRpc("missing \"jsonrpc\": \"2.0\""));
        }
        let payload = match (wire.result, wire.error) {
            (Some(result), None) => Payload::Result(result),
            (None, Some(e)) => {
                Payload::Error(ErrorObject::capped(e.code, &e.message, e.data.as_deref().map(RawValue::get)))
            }
            (Some(_), Some(_)) => return Err(ParseError::NotJsonRpc("both result and error")),
            (None, None) => return Err(ParseError::NotJsonRpc("neither result nor error")),
        };
        Ok(Self { id: wire.id, payload })
    }
}

/// Parses an untrusted response body. Bodies over `max_bytes` are rejected before parsing.
pub fn parse_response(body: &[u8], max_bytes: usize) -> Result<ResponseBody, ParseError> {
    if body.len() > max_bytes {
        return Err(ParseError::Oversized { bytes: body.len(), limit: max_bytes });
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let wires: Vec<WireResponse> =
            serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
        if wires.is_empty() {
            return Err(ParseError::NotJsonRpc("empty batch"));
        }
        let responses = wires.into_iter().map(Response::try_from).collect::<Result<_, _>>()?;
        Ok(ResponseBody::Batch(responses))
    } else {
        let wire: WireResponse =
            serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
        Ok(ResponseBody::Single(Response::try_from(wire)?))
    }
}

/// Parses a hex quantity (`"0x1a"`) as used for block numbers and chain ids.
pub fn parse_quantity(raw: &RawValue) -> Option<u64> {
    let text: &str = serde_json::from_str(raw.get()).ok()?;
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// A block's identity for comparing chains: the first 64 bits of its `hash` (finding another
/// block with the same 64 bits would take about 2^64 hashes).
pub fn block_fingerprint(raw: &RawValue) -> Option<u64> {
    #[derive(Deserialize)]
    struct Block<'a> {
        #[serde(borrow)]
        hash: &'a str,
    }
    let block: Block = serde_json::from_str(raw.get()).ok()?;
    hash_fingerprint(block.hash)
}

/// The first 64 bits of a 32-byte block hash (`0x` and 64 hex digits), or `None`.
pub fn hash_fingerprint(hash: &str) -> Option<u64> {
    let digits = hash.strip_prefix("0x")?;
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits.get(..16)?, 16).ok()
}

/// Cuts a string to at most `max` bytes without splitting a character.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_known_by_the_first_64_bits_of_its_hash() {
        let raw = |t: &str| RawValue::from_string(t.to_owned()).unwrap();
        let mainnet =
            r#"{"number":"0x0","hash":"0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"}"#;
        assert_eq!(block_fingerprint(&raw(mainnet)), Some(0xd4e5_6740_f876_aef8));
        for bad in [r#"{"hash":"0x12"}"#, r#"{"hash":7}"#, "null", r#"{"number":"0x0"}"#] {
            assert_eq!(block_fingerprint(&raw(bad)), None, "{bad}");
        }
    }

    fn single(body: &str) -> Response {
        match parse_response(body.as_bytes(), DEFAULT_MAX_BODY_BYTES) {
            Ok(ResponseBody::Single(r)) => r,
            other => unreachable!("expected a single response, got {other:?}"),
        }
    }

    #[test]
    fn parses_result_with_number_string_and_null_ids() {
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":7,"result":"0x1"}"#).id, Id::Number(7));
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":"a","result":null}"#).id, Id::String("a".into()));
        assert_eq!(single(r#"{"jsonrpc":"2.0","id":null,"result":1}"#).id, Id::Null);
    }

    #[test]
    fn keeps_error_data_raw() {
        let r = single(
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"x","data":{"httpStatus":503}}}"#,
        );
        let Payload::Error(e) = r.payload else { unreachable!() };
        assert_eq!(e.code, code::RESOURCE_UNAVAILABLE);
        assert_eq!(e.data.as_deref(), Some(r#"{"httpStatus":503}"#));
        assert_eq!(e.data_json().and_then(|d| d["httpStatus"].as_u64()), Some(503));
    }

    #[test]
    fn parses_batches() {
        let body = r#"[{"jsonrpc":"2.0","id":1,"result":"0x1"},{"jsonrpc":"2.0","id":2,"error":{"code":3,"message":"execution reverted"}}]"#;
        let Ok(ResponseBody::Batch(rs)) = parse_response(body.as_bytes(), 1 << 20) else { unreachable!() };
        assert_eq!(rs.len(), 2);
    }

    #[test]
    fn rejects_oversized_bodies_before_parsing() {
        let body = vec![b' '; 101];
        assert_eq!(parse_response(&body, 100), Err(ParseError::Oversized { bytes: 101, limit: 100 }));
        assert!(ParseError::Oversized { bytes: 101, limit: 100 }.to_string().contains("limit"));
    }

    #[test]
    fn rejects_garbage_and_non_jsonrpc() {
        assert!(matches!(parse_response(b"<html>", 100), Err(ParseError::NotJson(_))));
        assert!(matches!(parse_response(b"[]", 100), Err(ParseError::NotJsonRpc(_))));
        assert!(matches!(parse_response(br#"{"id":1,"result":1}"#, 100), Err(ParseError::NotJsonRpc(_))));
        assert!(matches!(
            parse_response(br#"{"jsonrpc":"2.0","id":1}"#, 100),
            Err(ParseError::NotJsonRpc(_))
        ));
    }

    #[test]
    fn parses_quantities() {
        let q = |s: &str| parse_quantity(&RawValue::from_string(s.into()).ok()?);
        assert_eq!(q(r#""0x7a69""#), Some(31337));
        assert_eq!(q(r#""0x""#), None);
        assert_eq!(q(r#""12""#), None);
        assert_eq!(q("12"), None);
        assert_eq!(q(r#""0x10000000000000000""#), None);
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_utf8("héllo", 2), "h");
        assert_eq!(truncate_utf8("abc", 10), "abc");
    }
}
