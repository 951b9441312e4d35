// Facts about the test chain shared by Node-side rig code and the bundled dapp page.

export const CHAIN_ID = 31337;
export const CHAIN_ID_HEX = "0x7a69";

// First account of anvil's default mnemonic ("test test ... junk"), unlocked on the node.
export const DEV_ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

// Fixed address where startAnvil() installs a contract that always reverts with "nope".
export const REVERTER = "0x00000000000000000000000000000000000000aa";
export const REVERT_REASON = "nope";

// Runtime code: mstore Error(string) selector, offset 0x20, length 4, "nope"; revert(0, 0x64).
export const REVERTER_CODE =
  "0x6308c379a060e01b6000526020600452600460245263" + "6e6f706560e01b60445260646000fd";

// The sha256 precompile: a successful eth_call every node answers identically.
export const SHA256_PRECOMPILE = "0x0000000000000000000000000000000000000002";
