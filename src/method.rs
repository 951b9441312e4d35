//! Which requests may ever leave the wallet. The table is explicit on purpose: a method
//! is routable only if it is listed here as Read; anything unknown is Wallet.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MethodClass {
    /// Chain state any honest node answers the same way: may be hedged or rerouted.
    Read,
    /// An already signed transaction: may be sent to several endpoints, never altered.
    Broadcast,
    /// Accounts, signing, permissions, chain switching, filters, subscriptions and
    /// everything unknown: never rerouted, never hedged, never delayed.
    Wallet,
}

/// Read methods. `eth_chainId` and `net_version` are absent on purpose: they are the
/// wallet's own state (the chain it is on), answered by the wallet only; a fallback's answer,
/// even a right one, may race a chain switch. Filter methods (`eth_newFilter`, `eth_getFilterChanges`, …) are absent
/// on purpose: a filter lives on one node, so another node cannot answer for it.
pub const READ_METHODS: &[&str] = &[
    "eth_blockNumber",
    "eth_call",
    "eth_estimateGas",
    "eth_feeHistory",
    "eth_gasPrice",
    "eth_getBalance",
    "eth_getBlockByHash",
    "eth_getBlockByNumber",
    "eth_getBlockReceipts",
    "eth_getBlockTransactionCountByHash",
    "eth_getBlockTransactionCountByNumber",
    "eth_getCode",
    "eth_getLogs",
    "eth_getProof",
    "eth_getStorageAt",
    "eth_getTransactionByBlockHashAndIndex",
    "eth_getTransactionByBlockNumberAndIndex",
    "eth_getTransactionByHash",
    "eth_getTransactionCount",
    "eth_getTransactionReceipt",
    "eth_getUncleCountByBlockHash",
    "eth_getUncleCountByBlockNumber",
    "eth_maxPriorityFeePerGas",
    "eth_blobBaseFee",
    "eth_syncing",
    "web3_clientVersion",
];

pub const BROADCAST_METHODS: &[&str] = &["eth_sendRawTransaction"];

/// Reads whose params may carry the user's account data (an address, a `from`, a filter by
/// address). While the wallet is healthy they stay with it: only once it is suspect may one be
/// hedged to a fallback the user did not choose as their provider.
pub const ACCOUNT_DATA_METHODS: &[&str] = &[
    "eth_call",
    "eth_estimateGas",
    "eth_getBalance",
    "eth_getCode",
    "eth_getLogs",
    "eth_getProof",
    "eth_getStorageAt",
    "eth_getTransactionCount",
];

pub fn carries_account_data(method: &str) -> bool {
    ACCOUNT_DATA_METHODS.contains(&method)
}

pub fn classify_method(method: &str) -> MethodClass {
    if READ_METHODS.contains(&method) {
        MethodClass::Read
    } else if BROADCAST_METHODS.contains(&method) {
        MethodClass::Broadcast
    } else {
        MethodClass::Wallet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_read_method_is_read() {
        for m in READ_METHODS {
            assert_eq!(classify_method(m), MethodClass::Read, "{m}");
        }
        assert_eq!(READ_METHODS.len(), 26, "the table changed: review the tests below");
    }

    #[test]
    fn each_read_method_named_by_the_design_is_read() {
        for m in [
            "eth_blockNumber",
            "eth_call",
            "eth_getBalance",
            "eth_getCode",
            "eth_getStorageAt",
            "eth_getTransactionCount",
            "eth_getBlockByNumber",
            "eth_getBlockByHash",
            "eth_getTransactionByHash",
            "eth_getTransactionReceipt",
            "eth_getLogs",
            "eth_estimateGas",
            "eth_gasPrice",
            "eth_maxPriorityFeePerGas",
            "eth_feeHistory",
        ] {
            assert_eq!(classify_method(m), MethodClass::Read, "{m}");
        }
    }

    #[test]
    fn reads_with_account_data_are_reads_and_block_reads_carry_none() {
        for m in ACCOUNT_DATA_METHODS {
            assert_eq!(classify_method(m), MethodClass::Read, "{m}");
        }
        for m in [
            "eth_blockNumber",
            "eth_getBlockByNumber",
            "eth_gasPrice",
            "eth_feeHistory",
            "eth_getTransactionReceipt",
        ] {
            assert!(!carries_account_data(m), "{m}");
        }
    }

    #[test]
    fn the_wallets_own_chain_is_never_routable() {
        for m in ["eth_chainId", "net_version"] {
            assert_eq!(classify_method(m), MethodClass::Wallet, "{m}");
        }
    }

    #[test]
    fn signed_transactions_are_broadcast() {
        assert_eq!(classify_method("eth_sendRawTransaction"), MethodClass::Broadcast);
    }

    #[test]
    fn wallet_methods_are_wallet() {
        for m in [
            "eth_accounts",
            "eth_requestAccounts",
            "eth_sendTransaction",
            "eth_sign",
            "eth_signTransaction",
            "eth_signTypedData",
            "eth_signTypedData_v3",
            "eth_signTypedData_v4",
            "personal_sign",
            "wallet_addEthereumChain",
            "wallet_switchEthereumChain",
            "wallet_requestPermissions",
            "wallet_getPermissions",
            "wallet_watchAsset",
            "wallet_sendCalls",
            "eth_subscribe",
            "eth_unsubscribe",
        ] {
            assert_eq!(classify_method(m), MethodClass::Wallet, "{m}");
        }
    }

    #[test]
    fn filters_hold_node_state_and_are_never_routable() {
        for m in [
            "eth_newFilter",
            "eth_newBlockFilter",
            "eth_newPendingTransactionFilter",
            "eth_getFilterChanges",
            "eth_getFilterLogs",
            "eth_uninstallFilter",
        ] {
            assert_eq!(classify_method(m), MethodClass::Wallet, "{m}");
        }
    }

    #[test]
    fn unknown_and_odd_names_are_wallet() {
        for m in ["", "ETH_CALL", "eth_call ", "eth_blockNumber\0", "anvil_mine", "debug_traceCall"] {
            assert_eq!(classify_method(m), MethodClass::Wallet, "{m:?}");
        }
    }
}
