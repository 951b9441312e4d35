//! The binding layer: the only code that knows about wasm-bindgen, js-sys, web-sys and
//! gloo-net. It converts values, calls the engine, and performs the actions that need HTTP
//! (probes, fallback reads). No decisions are made here.
//!
//! Values cross the boundary as JSON text (`JSON.stringify` / `JSON.parse` on the JS side
//! of the call, serde_json on ours). serde-wasm-bindgen would do the same job, but every
//! type would then be compiled for two deserializers: that alone added ~30 % to the module.

mod http;

use crate::engine::{Action, Engine, Event, FallbackRequest, FallbackStep, ProbeMethod, SavedState};
use crate::jsonrpc::{block_fingerprint, code};
use crate::outcome::{Observed, classify};
use crate::registry::ChainSpec;
use crate::settings::Settings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
export type Mode = "observe" | "suggest" | "protect";
export type Tracking = "none" | "limited" | "yes" | "unspecified";
export interface ChainSpec {
  chainId: number; name: string; shortName?: string;
  nativeCurrency: { name: string; symbol: string; decimals: number };
  blockExplorerUrls?: string[];
  rpcs?: { url: string; tracking: Tracking; source?: string }[];
}
export type Observed =
  | { kind: "ok" }
  | { kind: "rpcError"; code: number; message: string; data?: string }
  | { kind: "timeout" }
  | { kind: "transport"; message: string }
  | { kind: "http"; status: number; retryAfterMs?: number };
export type EngineEvent =
  | { type: "requestStarted"; tab: number; wallet: string; chainId: number; method: string; requestId: number }
  | { type: "requestFinished"; tab: number; wallet: string; chainId: number; method: string; requestId: number;
      latencyMs: number; outcome: Observed; blockNumber?: number }
  | { type: "tabClosed"; tab: number }
  | { type: "tabMode"; tab: number; mode: Mode | null }
  | { type: "tick" }
  | { type: "settingsChanged"; settings: Record<string, unknown> };
export type Policy = { mode: "pass" } | { mode: "hedge"; afterMs: number; checkHead: boolean } | { mode: "reroute" };
export type BadgeState = "healthy" | "degraded" | "rerouting" | "failing";
export interface AddChainParams {
  chainId: string; chainName: string; nativeCurrency: { name: string; symbol: string; decimals: number };
  rpcUrls: string[]; blockExplorerUrls: string[];
}
export type Action =
  | { type: "policy"; tab: number; wallet: string; chainId: number; policy: Policy }
  | { type: "badge"; tab: number; wallet: string; chainId: number; state: BadgeState; sentence: string }
  | { type: "probe"; probeId: number; chainId: number; url: string; method: "eth_chainId" | "eth_blockNumber" }
  | { type: "suggestFix"; tab: number; wallet: string; chainId: number; params: AddChainParams };
export interface ServeReadRequest {
  tab: number; wallet: string; chainId: number; method: string; params?: unknown[];
  reason: "walletError" | "hedge" | "reroute"; walletError?: Observed;
}
export type ServeResult =
  | { served: true; endpoint: string; latencyMs: number; response: { result: unknown } | { error: { code: number; message: string; data?: unknown } }; actions: Action[] }
  | { served: false; reason: string; actions: Action[] };
export interface WalletStatus {
  wallet: string; chainId: number; chainName: string; state: BadgeState; sentence: string;
  latencyMs: number[]; errors: number[]; p50Ms?: number; p95Ms?: number;
}
export interface TabStatus { mode: Mode; wallets: WalletStatus[] }
"#;

/// Errors reach JS as `Error` objects named `LifelineError` with an EIP-1474 `code`.
fn lifeline_error(code: i64, message: impl std::fmt::Display) -> JsValue {
    let error = js_sys::Error::new(&message.to_string());
    error.set_name("LifelineError");
    // Setting a property on a fresh Error cannot fail; if it did, the message still says why.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &JsValue::from_f64(code as f64));
    error.into()
}

fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    let text = js_sys::JSON::stringify(&value).ok().and_then(|t| t.as_string());
    let text =
        text.ok_or_else(|| lifeline_error(code::INVALID_PARAMS, format!("invalid {what}: not JSON")))?;
    serde_json::from_str(&text)
        .map_err(|e| lifeline_error(code::INVALID_PARAMS, format!("invalid {what}: {e}")))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| lifeline_error(code::INTERNAL_ERROR, e))?;
    js_sys::JSON::parse(&text)
}

fn optional_settings(value: JsValue) -> Result<Settings, JsValue> {
    if value.is_undefined() || value.is_null() { Ok(Settings::default()) } else { from_js(value, "settings") }
}

fn drain(engine: &mut Engine) -> Vec<Action> {
    std::iter::from_fn(|| engine.poll_action()).collect()
}

fn milliseconds(now_ms: f64) -> u64 {
    if now_ms.is_finite() && now_ms > 0.0 { now_ms as u64 } else { 0 }
}

/// The engine, shared between the synchronous entry points and the async I/O ones.
#[wasm_bindgen]
pub struct Lifeline {
    engine: Rc<RefCell<Engine>>,
}

#[wasm_bindgen]
impl Lifeline {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Partial<Record<string, unknown>> | undefined")]
        settings: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChainSpec[]")] chains: JsValue,
    ) -> Result<Lifeline, JsValue> {
        let settings = optional_settings(settings)?;
        let chains: Vec<ChainSpec> = from_js(chains, "chains")?;
        let engine = Engine::new(settings, chains).map_err(|e| lifeline_error(code::INVALID_PARAMS, e))?;
        Ok(Self { engine: Rc::new(RefCell::new(engine)) })
    }

    /// Rebuilds the engine with the health saved by `exportState`.
    pub fn restore(
        #[wasm_bindgen(unchecked_param_type = "Partial<Record<string, unknown>> | undefined")]
        settings: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChainSpec[]")] chains: JsValue,
        state: &str,
    ) -> Result<Lifeline, JsValue> {
        let settings = optional_settings(settings)?;
        let chains: Vec<ChainSpec> = from_js(chains, "chains")?;
        let saved: SavedState = serde_json::from_str(state)
            .map_err(|e| lifeline_error(code::INVALID_PARAMS, format!("invalid saved state: {e}")))?;
        let engine =
            Engine::restore(settings, chains, saved).map_err(|e| lifeline_error(code::INVALID_PARAMS, e))?;
        Ok(Self { engine: Rc::new(RefCell::new(engine)) })
    }

    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> Result<String, JsValue> {
        serde_json::to_string(&self.engine.borrow().save())
            .map_err(|e| lifeline_error(code::INTERNAL_ERROR, e))
    }

    #[wasm_bindgen(unchecked_return_type = "Action[]")]
    pub fn handle(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EngineEvent")] event: JsValue,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let event: Event = from_js(event, "event")?;
        let mut engine = self.engine.borrow_mut();
        engine.handle(event, milliseconds(now_ms)).map_err(|e| lifeline_error(code::INVALID_PARAMS, e))?;
        to_js(&drain(&mut engine))
    }

    #[wasm_bindgen(js_name = nextTimeout)]
    pub fn next_timeout(&self) -> Option<f64> {
        self.engine.borrow().poll_timeout().map(|t| t as f64)
    }

    #[wasm_bindgen(unchecked_return_type = "TabStatus")]
    pub fn status(&self, tab: u32) -> Result<JsValue, JsValue> {
        to_js(&self.engine.borrow().status(tab))
    }

    /// Classifies one observed outcome (the wrapper ships errors here instead of judging them).
    #[wasm_bindgen(unchecked_return_type = "{ class: \"success\" | \"dapp\" | \"infra\" }")]
    pub fn classify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Observed")] observed: JsValue,
    ) -> Result<JsValue, JsValue> {
        let observed: Observed = from_js(observed, "outcome")?;
        to_js(&classify(&observed))
    }

    /// Performs the probe a `probe` action asked for and feeds the answer back; resolves
    /// to the actions that produced. Only the id is taken from JS: the URL is the one the
    /// engine chose from its registry.
    #[wasm_bindgen(js_name = runProbe, unchecked_return_type = "Promise<Action[]>")]
    pub fn run_probe(&self, probe_id: u64) -> Result<js_sys::Promise, JsValue> {
        let target = self.engine.borrow().probe_target(probe_id);
        let Some((url, method)) = target else {
            return Err(lifeline_error(code::INVALID_PARAMS, format!("no probe {probe_id} is pending")));
        };
        let engine = Rc::clone(&self.engine);
        Ok(future_to_promise(async move {
            let (timeout_ms, max_bytes) = limits(&engine);
            let params = serde_json::from_str(method.params_json()).unwrap_or(serde_json::Value::Null);
            let answer = http::call(&url, probe_id, method.as_str(), &params, timeout_ms, max_bytes).await;
            let value = match method {
                ProbeMethod::Genesis => answer.result.as_deref().and_then(block_fingerprint),
                ProbeMethod::ChainId | ProbeMethod::BlockNumber => answer.quantity(),
            };
            let event = Event::ProbeAnswered {
                probe_id,
                latency_ms: answer.latency_ms,
                value,
                outcome: answer.observed,
            };
            let mut engine = engine.borrow_mut();
            engine
                .handle(event, milliseconds(js_sys::Date::now()))
                .map_err(|e| lifeline_error(code::INTERNAL_ERROR, e))?;
            to_js(&drain(&mut engine))
        }))
    }

    /// Serves one read from the fallbacks the engine picks, trying the next on failure
    /// within the engine's time budget.
    #[wasm_bindgen(js_name = serveRead, unchecked_return_type = "Promise<ServeResult>")]
    pub fn serve_read(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ServeReadRequest")] request: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let read: ReadRequest = from_js(request, "read request")?;
        let engine = Rc::clone(&self.engine);
        Ok(future_to_promise(async move {
            let params = read.params.unwrap_or_else(|| serde_json::Value::Array(vec![]));
            let is_block_number = read.request.method == "eth_blockNumber";
            let method = read.request.method.clone();
            let mut step =
                engine.borrow_mut().begin_fallback(read.request, milliseconds(js_sys::Date::now()));
            // Every answer by endpoint: the page gets the one the engine names as served.
            let mut answers = Vec::new();
            while let FallbackStep::Send { ticket, url, timeout_ms } = step {
                let max_bytes = engine.borrow().settings().max_body_bytes;
                let answer = http::call(&url, ticket, &method, &params, timeout_ms, max_bytes).await;
                let block = if is_block_number { answer.quantity() } else { None };
                step = engine.borrow_mut().fallback_answered(
                    ticket,
                    &answer.observed,
                    block,
                    milliseconds(js_sys::Date::now()),
                );
                answers.push((url, answer));
            }
            let actions = drain(&mut engine.borrow_mut());
            match step {
                FallbackStep::Served { url } => match answers.into_iter().find(|(u, _)| *u == url) {
                    Some((_, answer)) => served(&url, answer, &actions),
                    None => to_js(&Declined { served: false, reason: "no answer to serve", actions }),
                },
                FallbackStep::Declined { reason } => to_js(&Declined { served: false, reason, actions }),
                FallbackStep::Send { .. } => {
                    to_js(&Declined { served: false, reason: "no answer to serve", actions })
                }
            }
        }))
    }
}

fn limits(engine: &Rc<RefCell<Engine>>) -> (u64, usize) {
    let engine = engine.borrow();
    (engine.settings().probe_timeout_ms, engine.settings().max_body_bytes)
}

fn served(url: &str, answer: http::Answer, actions: &[Action]) -> Result<JsValue, JsValue> {
    let response = match (&answer.observed, answer.result.as_deref()) {
        (_, Some(result)) => ServedResponse::Result { result },
        (Observed::RpcError { code, message, data }, None) => {
            // `data` is raw JSON text when complete; a truncated one travels as a string.
            let data = data.as_deref().and_then(|d| serde_json::from_str::<&RawValue>(d).ok());
            ServedResponse::Error { error: ServedError { code: *code, message, data } }
        }
        _ => return Err(lifeline_error(code::INTERNAL_ERROR, "served answer without result or error")),
    };
    to_js(&Served { served: true, endpoint: url, latency_ms: answer.latency_ms, response, actions })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadRequest {
    #[serde(flatten)]
    request: FallbackRequest,
    params: Option<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Declined<'a> {
    served: bool,
    reason: &'a str,
    actions: Vec<Action>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Served<'a> {
    served: bool,
    endpoint: &'a str,
    latency_ms: u64,
    response: ServedResponse<'a>,
    actions: &'a [Action],
}

#[derive(Serialize)]
#[serde(untagged)]
enum ServedResponse<'a> {
    Result { result: &'a RawValue },
    Error { error: ServedError<'a> },
}

#[derive(Serialize)]
struct ServedError<'a> {
    code: i64,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a RawValue>,
}
