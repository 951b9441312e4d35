//! The binding layer, once, in a real browser (headless Chromium through wasm-pack test):
//! the exported API works across the boundary, and gloo-net reaches a local anvil node.
//! The node's URL is baked in at build time by `tests/rig/with-anvil.js`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use js_sys::{JSON, Reflect};
use rpc_lifeline::wasm::Lifeline;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ANVIL_URL: &str = env!("LIFELINE_ANVIL_URL", "run through tests/rig/with-anvil.js");
const ENDLESS_URL: &str = env!("LIFELINE_ENDLESS_URL", "run through tests/rig/with-anvil.js");

fn json(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).expect("property readable")
}

fn chains() -> JsValue {
    chains_on(ANVIL_URL)
}

fn chains_on(url: &str) -> JsValue {
    json(&format!(
        r#"[{{"chainId":31337,"name":"Anvil","nativeCurrency":{{"name":"Ether","symbol":"ETH","decimals":18}},
            "rpcs":[{{"url":"{url}","tracking":"none"}}]}}]"#
    ))
}

fn actions_of(value: &JsValue) -> Vec<JsValue> {
    js_sys::Array::from(value).iter().collect()
}

#[wasm_bindgen_test]
fn bad_input_is_a_typed_error_with_a_code() {
    let err = Lifeline::new(json(r#"{"openErrorRate": 7}"#), chains()).err().expect("refused");
    assert_eq!(get(&err, "name"), JsValue::from_str("LifelineError"));
    assert_eq!(get(&err, "code"), JsValue::from_f64(-32602.0));
    let message = get(&err, "message").as_string().unwrap();
    assert!(message.contains("openErrorRate"), "{message}");

    let lifeline = Lifeline::new(JsValue::UNDEFINED, chains()).unwrap();
    let err = lifeline
        .handle(json(r#"{"type":"fetch","url":"https://evil.example"}"#), 1.0)
        .err()
        .expect("refused");
    assert_eq!(get(&err, "code"), JsValue::from_f64(-32602.0));
}

#[wasm_bindgen_test]
fn events_in_actions_out() {
    let lifeline = Lifeline::new(json(r#"{"mode":"observe"}"#), chains()).unwrap();
    let started = r#"{"type":"requestStarted","tab":3,"wallet":"io.metamask","chainId":31337,"method":"eth_call","requestId":1}"#;
    lifeline.handle(json(started), 10.0).unwrap();
    let finished = r#"{"type":"requestFinished","tab":3,"wallet":"io.metamask","chainId":31337,"method":"eth_call",
        "requestId":1,"latencyMs":12.7,"outcome":{"kind":"rpcError","code":-32603,"message":"Internal JSON-RPC error.","data":"{\"cause\":{\"message\":\"Failed to fetch\"}}"}}"#;
    let actions = actions_of(&lifeline.handle(json(finished), 30.0).unwrap());
    let badge =
        actions.iter().find(|a| get(a, "type") == JsValue::from_str("badge")).expect("a badge action");
    assert_eq!(get(badge, "state"), JsValue::from_str("degraded"));
    assert_eq!(get(badge, "tab"), JsValue::from_f64(3.0));
    let status = lifeline.status(3).unwrap();
    assert_eq!(get(&status, "mode"), JsValue::from_str("observe"));
    let wallets = js_sys::Array::from(&get(&status, "wallets"));
    assert_eq!(get(&wallets.get(0), "chainName"), JsValue::from_str("Anvil"));
    let saved = lifeline.export_state().unwrap();
    let restored = Lifeline::restore(json(r#"{"mode":"observe"}"#), chains(), &saved).unwrap();
    let again = actions_of(&restored.handle(json(r#"{"type":"tick"}"#), 40.0).unwrap());
    assert!(
        again.iter().any(|a| get(a, "state") == JsValue::from_str("degraded")),
        "state survives a restart"
    );
}

#[wasm_bindgen_test]
async fn probes_and_a_fallback_read_reach_anvil_through_gloo_net() {
    let lifeline = Lifeline::new(JsValue::UNDEFINED, chains()).unwrap();
    let started = r#"{"type":"requestStarted","tab":1,"wallet":"w","chainId":31337,"method":"eth_blockNumber","requestId":1}"#;
    let mut pending = actions_of(&lifeline.handle(json(started), js_sys::Date::now()).unwrap());
    // eth_chainId, the genesis block, then eth_blockNumber: run the probes until the engine
    // asks no more.
    let mut methods = Vec::new();
    while let Some(action) = pending.pop() {
        if get(&action, "type") != JsValue::from_str("probe") {
            continue;
        }
        methods.push(get(&action, "method").as_string().unwrap());
        let id = get(&action, "probeId").as_f64().unwrap() as u64;
        let next = JsFuture::from(lifeline.run_probe(id).unwrap()).await.expect("probe ran");
        pending.extend(actions_of(&next));
    }
    assert_eq!(methods, vec!["eth_chainId", "eth_getBlockByNumber", "eth_blockNumber"]);

    let request = r#"{"tab":1,"wallet":"w","chainId":31337,"method":"eth_getBalance",
        "params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"],"reason":"walletError","walletError":{"kind":"timeout"}}"#;
    let served = JsFuture::from(lifeline.serve_read(json(request)).unwrap()).await.expect("served");
    assert_eq!(get(&served, "served"), JsValue::TRUE, "{:?}", JSON::stringify(&served));
    assert_eq!(get(&served, "endpoint").as_string().unwrap(), ANVIL_URL);
    let balance = get(&get(&served, "response"), "result").as_string().unwrap();
    assert_eq!(balance, "0x21e19e0c9bab2400000", "anvil's first dev account holds 10000 ETH");

    let revert = r#"{"tab":1,"wallet":"w","chainId":31337,"method":"eth_call","params":[{"to":"0x00000000000000000000000000000000000000aa","data":"0x"},"latest"],
        "reason":"walletError","walletError":{"kind":"transport","message":"Failed to fetch"}}"#;
    let served = JsFuture::from(lifeline.serve_read(json(revert)).unwrap()).await.expect("served");
    let error = get(&get(&served, "response"), "error");
    assert_eq!(
        get(&error, "code"),
        JsValue::from_f64(3.0),
        "a fallback's revert reaches the page as the answer"
    );

    let sign = r#"{"tab":1,"wallet":"w","chainId":31337,"method":"personal_sign","params":[],"reason":"walletError","walletError":{"kind":"timeout"}}"#;
    let declined = JsFuture::from(lifeline.serve_read(json(sign)).unwrap()).await.expect("answered");
    assert_eq!(get(&declined, "served"), JsValue::FALSE);
}

#[wasm_bindgen_test]
async fn an_endless_body_is_cut_off_at_the_cap_not_read_until_the_time_out() {
    // A 1 MiB cap and a 20 s probe time-out: the endpoint streams 64 KiB a millisecond with
    // no content-length, so only a cap applied while streaming ends the read early.
    let lifeline =
        Lifeline::new(json(r#"{"maxBodyBytes":1048576,"probeTimeoutMs":20000}"#), chains_on(ENDLESS_URL))
            .unwrap();
    let started = r#"{"type":"requestStarted","tab":1,"wallet":"w","chainId":31337,"method":"eth_blockNumber","requestId":1}"#;
    let actions = actions_of(&lifeline.handle(json(started), js_sys::Date::now()).unwrap());
    let probe = actions.iter().find(|a| get(a, "type") == JsValue::from_str("probe")).expect("a probe");
    let id = get(probe, "probeId").as_f64().unwrap() as u64;
    let began = js_sys::Date::now();
    JsFuture::from(lifeline.run_probe(id).unwrap()).await.expect("probe ran");
    let took = js_sys::Date::now() - began;
    assert!(took < 10_000.0, "the read ended at the cap after {took} ms, not at the time-out");
    let saved = lifeline.export_state().unwrap();
    assert!(saved.contains("oversized"), "judged an oversized body: {saved}");
}
