//! One JSON-RPC call over HTTP with gloo-net: time-out, size cap, id check. What comes back
//! is an [`Observed`] for the engine, plus the raw result for the page when there is one.

use crate::jsonrpc::{Id, Payload, Request, ResponseBody, parse_quantity, parse_response};
use crate::outcome::{FailureKind, Observed, parse_retry_after_ms};
use gloo_net::http::RequestBuilder;
use gloo_timers::callback::Timeout;
use serde_json::value::RawValue;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, ReadableStreamReadResult};

pub struct Answer {
    pub observed: Observed,
    pub latency_ms: u64,
    /// The `result` as JSON text, when the call succeeded.
    pub result: Option<Box<RawValue>>,
}

impl Answer {
    /// The result read as a hex quantity (block number, chain id).
    pub fn quantity(&self) -> Option<u64> {
        self.result.as_deref().and_then(parse_quantity)
    }
}

/// Sends one request. Never fails: every way it can go wrong is an `Observed` failure.
pub async fn call(
    url: &str,
    id: u64,
    method: &str,
    params: &serde_json::Value,
    timeout_ms: u64,
    max_body_bytes: usize,
) -> Answer {
    let started = js_sys::Date::now();
    let (observed, result) = attempt(url, id, method, params, timeout_ms, max_body_bytes).await;
    let latency_ms = (js_sys::Date::now() - started).max(0.0) as u64;
    Answer { observed, latency_ms, result }
}

async fn attempt(
    url: &str,
    id: u64,
    method: &str,
    params: &serde_json::Value,
    timeout_ms: u64,
    max_body_bytes: usize,
) -> (Observed, Option<Box<RawValue>>) {
    let body = match serde_json::to_string(&Request::new(Id::Number(id), method, params)) {
        Ok(body) => body,
        Err(e) => return (Observed::Transport { message: e.to_string() }, None),
    };
    let Ok(controller) = AbortController::new() else {
        return (Observed::Transport { message: "AbortController unavailable".into() }, None);
    };
    let timed_out = Rc::new(Cell::new(false));
    let signal = controller.signal();
    // Dropping the Timeout cancels it, so a finished call leaves no timer behind.
    let _timer = {
        let timed_out = Rc::clone(&timed_out);
        let controller = controller.clone();
        Timeout::new(u32::try_from(timeout_ms).unwrap_or(u32::MAX), move || {
            timed_out.set(true);
            controller.abort();
        })
    };
    let request = RequestBuilder::new(url)
        .method(gloo_net::http::Method::POST)
        .header("content-type", "application/json")
        .abort_signal(Some(&signal))
        .body(body);
    let response = match request {
        Ok(request) => request.send().await,
        Err(e) => return (Observed::Transport { message: e.to_string() }, None),
    };
    let failed = |e: gloo_net::Error| {
        if timed_out.get() { Observed::Timeout } else { Observed::Transport { message: e.to_string() } }
    };
    let response = match response {
        Ok(r) => r,
        Err(e) => return (failed(e), None),
    };
    if !response.ok() {
        let retry_after_ms = response.headers().get("retry-after").and_then(|h| parse_retry_after_ms(&h));
        return (Observed::Http { status: response.status(), retry_after_ms }, None);
    }
    let declared = response.headers().get("content-length").and_then(|l| l.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > max_body_bytes) {
        return (Observed::BadBody { failure: FailureKind::Oversized }, None);
    }
    let bytes = match read_capped(&response, max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(BodyError::Oversized) => {
            controller.abort();
            return (Observed::BadBody { failure: FailureKind::Oversized }, None);
        }
        Err(BodyError::Read(_)) if timed_out.get() => return (Observed::Timeout, None),
        Err(BodyError::Read(e)) => return (Observed::Transport { message: e }, None),
    };
    judge_body(&bytes, id, max_body_bytes)
}

enum BodyError {
    Oversized,
    Read(String),
}

/// The body, read chunk by chunk and given up at the cap: an endpoint that streams without a
/// content-length (or with a false one) cannot make the worker hold more than the cap.
async fn read_capped(
    response: &gloo_net::http::Response,
    max_body_bytes: usize,
) -> Result<Vec<u8>, BodyError> {
    let read_error = |e: wasm_bindgen::JsValue| BodyError::Read(format!("{e:?}"));
    let Some(stream) = response.body() else { return Ok(Vec::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk: ReadableStreamReadResult =
            JsFuture::from(reader.read()).await.map_err(read_error)?.unchecked_into();
        if chunk.get_done().unwrap_or(true) {
            return Ok(bytes);
        }
        let Ok(part) = chunk.get_value().dyn_into::<js_sys::Uint8Array>() else {
            return Err(BodyError::Read("a body chunk that is not bytes".into()));
        };
        if bytes.len().saturating_add(part.length() as usize) > max_body_bytes {
            let _ = reader.cancel();
            return Err(BodyError::Oversized);
        }
        bytes.extend_from_slice(&part.to_vec());
    }
}

fn judge_body(bytes: &[u8], id: u64, max_body_bytes: usize) -> (Observed, Option<Box<RawValue>>) {
    let bad = |failure| (Observed::BadBody { failure }, None);
    match parse_response(bytes, max_body_bytes) {
        Err(crate::jsonrpc::ParseError::Oversized { .. }) => bad(FailureKind::Oversized),
        Err(_) | Ok(ResponseBody::Batch(_)) => bad(FailureKind::Malformed),
        Ok(ResponseBody::Single(r)) if r.id != Id::Number(id) => bad(FailureKind::IdMismatch),
        Ok(ResponseBody::Single(r)) => match r.payload {
            Payload::Result(result) => (Observed::Ok, Some(result)),
            Payload::Error(e) => (Observed::rpc_error(&e), None),
        },
    }
}
