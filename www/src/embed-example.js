// The embed example: a dapp page that protects its wallet's provider with attachLifeline and
// shows the inline <lifeline-badge>. Under the demo (scripts/demo.js) the wallet is the test
// wallet on the breakable RPC, put on window.ethereum like a real wallet's (so an installed
// extension wraps it, and this copy steps back). Elsewhere it uses the browser's own wallet
// with the bundled public endpoints of the wallet's chain.
import { createClient, custom } from "viem";
import { getBlockNumber, getChainId } from "viem/actions";
import { CHAIN_ID, DEV_ACCOUNT } from "../../tests/rig/chain.js";
import { attachLifeline } from "../lifeline/embed.js";
import { createTestWallet } from "../rig/test-wallet.js";
import { formatMs, loadDemoConfig, setWalletFault } from "./common.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1500;

async function boot() {
  const config = await loadDemoConfig();
  let options;
  if (config) {
    const errorShapes = await (await fetch("fixtures/wallet-errors.json")).json();
    createTestWallet({
      rpcUrl: config.walletRpc,
      errorShapes,
      accounts: [DEV_ACCOUNT],
      setWindowEthereum: true,
    });
    options = {
      chain: {
        chainId: CHAIN_ID,
        name: "Anvil (local test chain)",
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      },
      fallbacks: config.fallbacks.map(({ url }) => ({ url, tracking: "none" })),
    };
    setUpDemoButtons();
  } else if (window.ethereum) {
    // A real wallet: its chain's public endpoints from the bundled list.
    const chainId = Number.parseInt(await window.ethereum.request({ method: "eth_chainId" }), 16);
    options = { chain: chainId };
  } else {
    $("example-who").textContent =
      "No wallet in this browser, so nothing to protect here. Run make demo for a test wallet.";
    return;
  }

  // The dapp's part: exactly what the five lines on the left say.
  const lifeline = attachLifeline({ provider: window.ethereum, badge: $("badge"), ...options });
  const client = createClient({ transport: custom(lifeline.provider, { retryCount: 0 }) });
  window.embedExample = { lifeline, client };

  $("example-who").replaceChildren(
    ...(lifeline.steppedBack
      ? [
          "The ",
          Object.assign(document.createElement("strong"), {
            textContent: "RPC Lifeline extension",
          }),
          " protects this page, so the page's own copy stepped back (its badge says so). The extension's badge is in the bottom-right corner.",
        ]
      : [
          Object.assign(document.createElement("strong"), {
            textContent: "This page's own RPC Lifeline",
          }),
          " watches the wallet's provider (no extension in this browser).",
        ]),
  );
  document.body.dataset.protectedBy = lifeline.steppedBack ? "extension" : "page";

  getChainId(client).then(
    (id) => {
      $("example-chain").textContent = String(id);
    },
    () => {},
  );
  const poll = async () => {
    const started = Date.now();
    try {
      const block = await getBlockNumber(client, { cacheTime: 0 });
      $("example-block").textContent = `#${block}`;
      $("example-read").textContent = `answered in ${formatMs(Date.now() - started)}`;
    } catch (error) {
      $("example-read").textContent = `failed: ${error.shortMessage ?? error.message}`;
    }
  };
  poll();
  setInterval(poll, POLL_MS);
}

function setUpDemoButtons() {
  const box = $("demo-actions");
  box.hidden = false;
  for (const button of box.querySelectorAll("button")) {
    button.addEventListener("click", async () => {
      const mode = await setWalletFault(button.dataset.mode);
      $("example-note").textContent =
        mode === "ok"
          ? "The wallet's RPC works again."
          : `The wallet's RPC now fails (${mode}); reads keep working through a fallback.`;
    });
  }
}

boot().catch((error) => {
  console.error(error);
  $("example-who").textContent = `The example could not start: ${error.message}`;
});
