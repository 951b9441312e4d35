//! The one-click wallet fix: EIP-3085 `wallet_addEthereumChain` parameters that point the
//! wallet at a verified, healthy endpoint.

use crate::registry::{ChainSpec, NativeCurrency};
use serde::Serialize;

/// EIP-3085 `AddEthereumChainParameter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddChainParams {
    /// Hex with 0x prefix and no leading zeros, as EIP-3085 requires.
    pub chain_id: String,
    pub chain_name: String,
    pub native_currency: NativeCurrency,
    pub rpc_urls: Vec<String>,
    pub block_explorer_urls: Vec<String>,
}

pub fn add_chain_params(spec: &ChainSpec, rpc_url: &str) -> AddChainParams {
    AddChainParams {
        chain_id: format!("{:#x}", spec.chain_id),
        chain_name: spec.name.clone(),
        native_currency: spec.native_currency.clone(),
        rpc_urls: vec![rpc_url.to_owned()],
        // Wallets reject non-https explorers; keep only those.
        block_explorer_urls: spec
            .block_explorer_urls
            .iter()
            .filter(|u| u.starts_with("https://"))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_follow_eip_3085() {
        let spec = ChainSpec {
            chain_id: 137,
            name: "Polygon Mainnet".into(),
            short_name: None,
            native_currency: NativeCurrency { name: "POL".into(), symbol: "POL".into(), decimals: 18 },
            block_explorer_urls: vec!["https://polygonscan.com".into(), "http://insecure".into()],
            rpcs: vec![],
        };
        let p = add_chain_params(&spec, "https://polygon-rpc.com");
        assert_eq!(p.chain_id, "0x89");
        assert_eq!(p.rpc_urls, vec!["https://polygon-rpc.com"]);
        assert_eq!(p.block_explorer_urls, vec!["https://polygonscan.com"]);
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(json["nativeCurrency"]["decimals"], 18);
        assert!(json.get("rpcUrls").is_some());
    }
}
