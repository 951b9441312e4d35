//! The rules JavaScript must share with the engine, written out as one generated module
//! (`extension/contract.js`) instead of copied by hand: the method classes, the name cap and
//! the hop deadlines. `tests/contract.rs` fails when the checked-in file is stale; `make
//! contract` rewrites it. Native only: the wasm module never carries it.

use crate::engine::MAX_NAME_LEN;
use crate::method::{ACCOUNT_DATA_METHODS, BROADCAST_METHODS, READ_METHODS};
use crate::settings::Settings;
use std::fmt::Write;

/// The generated module's text, formatted as biome formats it.
pub fn javascript() -> String {
    let mut js = String::from(
        "// Generated from the Rust engine by `make contract` (src/contract.rs): do not edit.\n\
         // The engine re-checks everything; these copies only let a context act without asking.\n\n",
    );
    list(&mut js, "Methods a fallback may answer (the engine's Read class).", "READ_METHODS", READ_METHODS);
    list(
        &mut js,
        "Signed transactions: wallet first, fallbacks only after the wallet failed that one.",
        "BROADCAST_METHODS",
        BROADCAST_METHODS,
    );
    list(
        &mut js,
        "Reads that may carry account data: hedged only when the policy says accountReads.",
        "ACCOUNT_DATA_METHODS",
        ACCOUNT_DATA_METHODS,
    );
    js.push_str(
        "/**\n * Whether a read may be asked of a fallback before its wallet answers, under the engine's\n \
         * policy: reroute, or hedge (a read with account data only while the wallet is suspect).\n */\n\
         export function mayHedge(policy, method) {\n  \
         if (policy.mode === \"reroute\") return true;\n  \
         return (\n    \
         policy.mode === \"hedge\" &&\n    \
         (policy.accountReads === true || !ACCOUNT_DATA_METHODS.includes(method))\n  \
         );\n}\n\n",
    );
    let _ = writeln!(js, "/** Longest wallet identity (EIP-6963 rdns) or method name the engine judges. */");
    let _ = writeln!(js, "export const MAX_NAME_CHARS = {MAX_NAME_LEN};\n");
    let d = Settings::default().hop_deadlines();
    let _ = writeln!(
        js,
        "/**\n * How long each hop waits for a fallback answer before the page keeps its wallet's own\n \
         * answer, derived from the default fallbackBudgetMs: each gives up a little after the one\n \
         * inside it, so a late answer is never lost between two hops.\n */"
    );
    let _ = writeln!(
        js,
        "export const HOP_DEADLINES = Object.freeze({{\n  workerMs: {},\n  contentMs: {},\n  pageMs: {},\n}});",
        d.worker_ms, d.content_ms, d.page_ms
    );
    js
}

fn list(js: &mut String, doc: &str, name: &str, items: &[&str]) {
    let _ = writeln!(js, "/** {doc} */");
    if items.len() == 1 {
        let _ = writeln!(
            js,
            "export const {name} = Object.freeze([{:?}]);\n",
            items.first().copied().unwrap_or("")
        );
        return;
    }
    let _ = writeln!(js, "export const {name} = Object.freeze([");
    for item in items {
        let _ = writeln!(js, "  {item:?},");
    }
    let _ = writeln!(js, "]);\n");
}
