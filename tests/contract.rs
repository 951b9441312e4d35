//! The generated JavaScript contract is current: CI fails when a rule changed in Rust and
//! `extension/contract.js` was not regenerated (`make contract`).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::panic)]

use std::path::Path;

#[test]
fn the_javascript_contract_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("extension/contract.js");
    let expected = rpc_lifeline::contract::javascript();
    if std::env::var_os("UPDATE_CONTRACT").is_some() {
        std::fs::write(&path, &expected).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(current == expected, "extension/contract.js is stale: run `make contract`");
}
