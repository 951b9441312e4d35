// Runs a command with a fresh anvil node on 127.0.0.1, its URL in LIFELINE_ANVIL_URL.
// Used by the wasm-bindgen browser tests, which bake the URL in at build time.
import { spawn } from "node:child_process";
import { startAnvil } from "./anvil.js";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node tests/rig/with-anvil.js <command> [args...]");
  process.exit(2);
}
const anvil = await startAnvil();
const child = spawn(command, args, {
  stdio: "inherit",
  env: { ...process.env, LIFELINE_ANVIL_URL: anvil.url },
});
const code = await new Promise((resolve) =>
  child.on("exit", (c, signal) => resolve(signal ? 1 : c)),
);
await anvil.stop();
process.exit(code);
