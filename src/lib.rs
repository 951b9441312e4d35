//! RPC Lifeline's engine: watches the outcomes of a page's wallet requests, judges the
//! wallet's RPC and the fallback endpoints, and decides what to do. Sans-IO: see
//! [`engine::Engine`]. The only code that knows about the browser is [`wasm`].

#![cfg_attr(test, allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod badge;
#[cfg(not(target_arch = "wasm32"))]
pub mod contract;
pub mod engine;
pub mod head_truth;
pub mod health;
pub mod jsonrpc;
pub mod method;
pub mod outcome;
pub mod registry;
pub mod settings;
pub mod suggest;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use engine::{Action, Engine, EngineError, Event, FallbackRequest, FallbackStep, Policy};
