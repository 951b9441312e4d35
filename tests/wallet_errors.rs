//! Every wallet error shape in the shared fixture (the same file the JS test wallet uses
//! to produce its errors) is classified as the fixture says.
#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rpc_lifeline::outcome::{Observed, Outcome, classify};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    shapes: Vec<Shape>,
}

#[derive(Deserialize)]
struct Shape {
    name: String,
    error: WalletError,
    expect: Expect,
}

#[derive(Deserialize)]
struct WalletError {
    code: i64,
    message: String,
    data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Expect {
    class: String,
    kind: String,
}

#[test]
fn every_fixture_shape_is_classified_as_expected() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/wallet-errors.json")).expect("fixture parses");
    assert!(fixture.shapes.len() >= 25, "the fixture lost shapes");
    for shape in fixture.shapes {
        let observed = Observed::RpcError {
            code: shape.error.code,
            message: shape.error.message.clone(),
            data: shape.error.data.as_ref().map(|d| d.to_string()),
        };
        let (class, kind) = match classify(&observed) {
            Outcome::Success => ("success".to_owned(), String::new()),
            Outcome::Dapp { kind } => {
                ("dapp".to_owned(), serde_json::to_value(kind).unwrap().as_str().unwrap().to_owned())
            }
            Outcome::Infra { failure } => {
                ("infra".to_owned(), serde_json::to_value(failure.kind).unwrap().as_str().unwrap().to_owned())
            }
        };
        assert_eq!(
            (class.as_str(), kind.as_str()),
            (shape.expect.class.as_str(), shape.expect.kind.as_str()),
            "{}",
            shape.name
        );
    }
}
