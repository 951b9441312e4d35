// The dapp workload in a page: the rig's test wallet (a MetaMask-like wallet on ?rpc=URL) as
// window.ethereum, and an open-loop mix of reads sent through window.ethereum.request().
// With the extension loaded, window.ethereum is the extension's wrapper around that wallet.
import { createTestWallet } from "/rig/test-wallet.js";
import { openLoop } from "/workload-core.js";

const query = new URLSearchParams(location.search);
const errorShapes = await (await fetch("/fixtures/wallet-errors.json")).json();
createTestWallet({
  rpcUrl: query.get("rpc"),
  errorShapes,
  accounts: [],
  chainIdHex: "0x7a69",
  setWindowEthereum: true,
});

window.records = [];
window.startLoad = (options) => {
  const request = ({ method, params }) => window.ethereum.request({ method, params });
  window.stopLoad = openLoop({ ...options, request, records: window.records });
};
window.workloadReady = true;
