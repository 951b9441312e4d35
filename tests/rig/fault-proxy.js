// A fault-injecting JSON-RPC "provider" in front of a real node, on 127.0.0.1.
//
// Modes (switch any time with `await setMode(mode)` or `POST /__control {"mode": "..."}`):
//   ok              forward to upstream
//   refuse          stop listening: connections are refused until the mode changes. The control
//                   API lives on the same port, so in this mode only in-process setMode() works.
//   hang            accept and never answer (sockets are freed on mode change / stop)
//   slow:N          wait N ms, then forward
//   slow:N:METHOD   wait N ms before forwarding a request that calls METHOD; others at once
//   http:STATUS     answer that HTTP status (4xx/5xx) with a plain-text body
//   http:429:S      429 with `Retry-After: S`
//   rpcerr:CODE     HTTP 200 with a JSON-RPC error of that code (same id)
//   stale           head frozen at the moment the mode was set
//   wrongchain      eth_chainId 0x1 / net_version 1, everything else forwarded
//   garbage         HTTP 200 with a non-JSON body
//   oversized       HTTP 200 with a valid JSON-RPC response padded to 9 MiB
//   liar:N          an attacker: the right chain id and genesis, a head N blocks ahead of the
//                   chain, and a forged balance (FORGED_BALANCE) for every address
//   fork            an attacker: the right chain id, another genesis block hash, and a forged
//                   balance (a reset testnet or a fork reusing the chain id)
// GET /__stats → { requests, byMethod }: `requests` counts JSON-RPC HTTP requests (not
// preflights or control calls); `byMethod` counts each call, batch entries included.
import http from "node:http";
import { rpcCall } from "./json-rpc.js";

const OVERSIZED_BYTES = 9 * 1024 * 1024;
/** What the liar and fork modes answer to every eth_getBalance. */
export const FORGED_BALANCE = "0x1bad1bad1bad";
const FORGED_GENESIS_HASH = `0x${"ba".repeat(32)}`;

// EIP-1474 names, so an injected error reads like one a node would send.
const RPC_ERROR_MESSAGES = {
  3: "execution reverted",
  [-32700]: "Parse error",
  [-32600]: "Invalid request",
  [-32601]: "Method not found",
  [-32602]: "Invalid params",
  [-32603]: "Internal error",
  [-32000]: "Server error",
  [-32001]: "Resource not found",
  [-32002]: "Resource unavailable",
  [-32003]: "Transaction rejected",
  [-32004]: "Method not supported",
  [-32005]: "Limit exceeded",
};

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "content-type, authorization",
  "access-control-expose-headers": "retry-after",
  "access-control-max-age": "600",
};

/**
 * `cors: false` drops every CORS header, like a node that was never meant for browser pages.
 * @param {{ upstream: string, port?: number, cors?: boolean }} options
 * @returns {Promise<{ url: string, port: number, setMode: (mode: string) => Promise<void>,
 *   stats: () => { requests: number, byMethod: Record<string, number> },
 *   resetStats: () => void, stop: () => Promise<void> }>}
 */
export async function startFaultProxy({ upstream, port = 0, cors = true }) {
  const upstreamAgent = new http.Agent({ keepAlive: true });
  const hung = new Set();
  let mode = parseMode("ok");
  let counts = { requests: 0, byMethod: {} };

  const server = http.createServer((req, res) => {
    if (!cors) withoutCors(res);
    handle(req, res).catch((error) => {
      if (!res.headersSent)
        send(res, 502, { "content-type": "text/plain" }, `proxy: ${error.message}`);
      else res.destroy();
    });
  });

  async function handle(req, res) {
    if (req.method === "OPTIONS") return send(res, 204, {}, "");
    const body = await readBody(req);
    if (req.url === "/__stats") return sendJson(res, stats());
    if (req.url === "/__control" && req.method === "POST") return control(body, res);
    if (req.method !== "POST") return send(res, 405, { "content-type": "text/plain" }, "POST only");
    count(body);
    return answer(mode, body, res);
  }

  async function control(body, res) {
    try {
      await setMode(parseJson(body)?.mode);
    } catch (error) {
      return send(res, 400, { "content-type": "text/plain" }, error.message);
    }
    return sendJson(res, { mode: mode.name });
  }

  async function answer(current, body, res) {
    switch (current.kind) {
      case "hang":
        hung.add(res);
        res.on("close", () => hung.delete(res));
        return;
      case "slow":
        if (current.method === undefined || callsMethod(body, current.method))
          await new Promise((resolve) => setTimeout(resolve, current.delayMs));
        return forwardRaw(body, res);
      case "http": {
        const headers = { "content-type": "text/plain" };
        if (current.retryAfter !== undefined) headers["retry-after"] = String(current.retryAfter);
        return send(res, current.status, headers, http.STATUS_CODES[current.status] ?? "error");
      }
      case "rpcerr":
        return sendJson(
          res,
          mapCalls(body, (call) => rpcError(call, current.code)),
        );
      case "garbage":
        return send(
          res,
          200,
          { "content-type": "text/html" },
          "<html><body>Bad Gateway</body></html>",
        );
      case "oversized": {
        const reply = await forwardJson(body);
        const text = JSON.stringify(reply);
        return send(
          res,
          200,
          { "content-type": "application/json" },
          text.padEnd(OVERSIZED_BYTES, " "),
        );
      }
      case "wrongchain":
        return forwardWith(body, wrongChainAnswer, res);
      case "stale":
        return forwardWith(body, (call) => staleAnswer(call, current.head), res);
      case "liar":
      case "fork": {
        const parsed = parseJson(body);
        if (parsed === undefined) return forwardRaw(body, res);
        const calls = Array.isArray(parsed) ? parsed : [parsed];
        const answers = await forwardJson(JSON.stringify(calls));
        const byId = new Map(answers.map((reply) => [reply.id, reply]));
        const replies = calls.map((call) => forged(call, byId.get(call.id), current));
        return sendJson(res, Array.isArray(parsed) ? replies : replies[0]);
      }
      default:
        return forwardRaw(body, res);
    }
  }

  // Answers what `intercept` answers itself; the other calls go upstream as one batch.
  async function forwardWith(body, intercept, res) {
    const parsed = parseJson(body);
    if (parsed === undefined) return forwardRaw(body, res);
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const plans = calls.map((call) => intercept(call) ?? { forward: call });
    const outgoing = plans.filter((plan) => plan.forward).map((plan) => plan.forward);
    if (outgoing.length > 0) {
      const answers = await forwardJson(JSON.stringify(outgoing));
      const byId = new Map(answers.map((reply) => [reply.id, reply]));
      for (const plan of plans) if (plan.forward) plan.reply = byId.get(plan.forward.id);
    }
    const replies = plans.map((plan) => plan.reply);
    return sendJson(res, Array.isArray(parsed) ? replies : replies[0]);
  }

  function forwardRaw(body, res) {
    return new Promise((resolve, reject) => {
      const upstreamReq = http.request(upstream, upstreamRequestOptions(body), (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode, {
          ...CORS_HEADERS,
          "content-type": upstreamRes.headers["content-type"] ?? "application/json",
        });
        upstreamRes.pipe(res);
        upstreamRes.on("end", resolve);
        upstreamRes.on("error", reject);
      });
      upstreamReq.on("error", reject);
      upstreamReq.end(body);
    });
  }

  function forwardJson(body) {
    return new Promise((resolve, reject) => {
      const upstreamReq = http.request(upstream, upstreamRequestOptions(body), (upstreamRes) => {
        const chunks = [];
        upstreamRes.on("data", (chunk) => chunks.push(chunk));
        upstreamRes.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch (error) {
            reject(error);
          }
        });
        upstreamRes.on("error", reject);
      });
      upstreamReq.on("error", reject);
      upstreamReq.end(body);
    });
  }

  function upstreamRequestOptions(body) {
    return {
      method: "POST",
      agent: upstreamAgent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    };
  }

  function count(body) {
    counts.requests += 1;
    const parsed = parseJson(body) ?? { method: "<unparsable>" };
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    for (const call of calls) {
      const method = typeof call?.method === "string" ? call.method : "<no method>";
      counts.byMethod[method] = (counts.byMethod[method] ?? 0) + 1;
    }
  }

  function stats() {
    return { requests: counts.requests, byMethod: { ...counts.byMethod } };
  }

  function resetStats() {
    counts = { requests: 0, byMethod: {} };
  }

  async function setMode(name) {
    const next = parseMode(name);
    if (next.kind === "stale") {
      next.head = await rpcCall(upstream, "eth_blockNumber");
    }
    releaseHung();
    const wasRefusing = mode.kind === "refuse";
    mode = next;
    if (next.kind === "refuse" && !wasRefusing) await closeListener();
    if (next.kind !== "refuse" && wasRefusing) await listen(port);
  }

  function releaseHung() {
    for (const res of hung) res.destroy();
    hung.clear();
  }

  async function closeListener() {
    const closed = new Promise((resolve) => server.close(resolve));
    // Keep-alive connections would otherwise keep being served while "refusing".
    server.closeAllConnections();
    await closed;
  }

  function listen(onPort) {
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(onPort, "127.0.0.1", () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
  }

  async function stop() {
    releaseHung();
    if (mode.kind !== "refuse") await closeListener();
    upstreamAgent.destroy();
  }

  await listen(port);
  port = server.address().port;
  return { url: `http://127.0.0.1:${port}`, port, setMode, stats, resetStats, stop };
}

function parseMode(name) {
  const [kind, first, second] = String(name).split(":");
  const invalid = () => new Error(`fault-proxy: unknown mode "${name}"`);
  switch (kind) {
    case "ok":
    case "refuse":
    case "hang":
    case "stale":
    case "wrongchain":
    case "garbage":
    case "oversized":
      if (first !== undefined) throw invalid();
      return { name, kind };
    case "liar":
      return { name, kind, ahead: toInteger(first, invalid) };
    case "fork":
      if (first !== undefined) throw invalid();
      return { name, kind };
    case "slow":
      if (second !== undefined && !/^[a-z0-9_]+$/i.test(second)) throw invalid();
      return { name, kind, delayMs: toInteger(first, invalid), method: second };
    case "http": {
      const status = toInteger(first, invalid);
      if (status < 400 || status > 599) throw invalid();
      const retryAfter = second === undefined ? undefined : toInteger(second, invalid);
      return { name, kind, status, retryAfter };
    }
    case "rpcerr":
      return { name, kind, code: toInteger(first, invalid) };
    default:
      throw invalid();
  }
}

function toInteger(text, invalid) {
  if (!/^-?\d+$/.test(text ?? "")) throw invalid();
  return Number(text);
}

function wrongChainAnswer(call) {
  if (call.method === "eth_chainId") return { reply: result(call, "0x1") };
  if (call.method === "net_version") return { reply: result(call, "1") };
  return undefined;
}

// Answers the frozen head; a "latest" block request is rewritten to ask for that block.
function staleAnswer(call, head) {
  if (call.method === "eth_blockNumber") return { reply: result(call, head) };
  if (call.method === "eth_getBlockByNumber" && call.params?.[0] === "latest") {
    return { forward: { ...call, params: [head, ...call.params.slice(1)] } };
  }
  return undefined;
}

/** The liar's and the fork's answer to one call, from the honest upstream's `reply`. */
function forged(call, reply, mode) {
  if (!reply || !("result" in reply)) return reply;
  if (call.method === "eth_getBalance") return { ...reply, result: FORGED_BALANCE };
  if (mode.kind === "liar" && call.method === "eth_blockNumber") {
    return { ...reply, result: `0x${(BigInt(reply.result) + BigInt(mode.ahead)).toString(16)}` };
  }
  if (
    mode.kind === "fork" &&
    call.method === "eth_getBlockByNumber" &&
    call.params?.[0] === "0x0"
  ) {
    return { ...reply, result: { ...reply.result, hash: FORGED_GENESIS_HASH } };
  }
  return reply;
}

function mapCalls(body, answerCall) {
  const parsed = parseJson(body) ?? { id: null };
  return Array.isArray(parsed) ? parsed.map(answerCall) : answerCall(parsed);
}

function callsMethod(body, method) {
  const parsed = parseJson(body);
  return (Array.isArray(parsed) ? parsed : [parsed]).some((call) => call?.method === method);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function result(call, value) {
  return { jsonrpc: "2.0", id: call.id ?? null, result: value };
}

function rpcError(call, code) {
  const message = RPC_ERROR_MESSAGES[code] ?? "Server error";
  return { jsonrpc: "2.0", id: call.id ?? null, error: { code, message } };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

function withoutCors(res) {
  const writeHead = res.writeHead.bind(res);
  res.writeHead = (status, headers = {}) =>
    writeHead(
      status,
      Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith("access-control-"))),
    );
}

function send(res, status, headers, text) {
  res.writeHead(status, { ...CORS_HEADERS, ...headers, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendJson(res, value) {
  send(res, 200, { "content-type": "application/json" }, JSON.stringify(value));
}
