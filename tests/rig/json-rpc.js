// Minimal HTTP/JSON-RPC client for the rig. It uses node:http without keep-alive so that no
// pooled socket outlives a test (global fetch keeps sockets open and delays process exit).
import http from "node:http";

/** POST `body` (string or object) to `url`; resolves `{ status, headers, text }`. */
export function postRaw(url, body, { timeoutMs = 10_000 } = {}) {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)),
    );
    req.on("error", reject);
    req.end(payload);
  });
}

let nextId = 1;

/** One JSON-RPC call; resolves the result, rejects with an Error carrying `code`/`data`. */
export async function rpcCall(url, method, params = [], options) {
  const { status, text } = await postRaw(
    url,
    { jsonrpc: "2.0", id: nextId++, method, params },
    options,
  );
  if (status !== 200) throw new Error(`${method}: HTTP ${status}: ${text.slice(0, 200)}`);
  const reply = JSON.parse(text);
  if (reply.error) {
    const { code, message, data } = reply.error;
    throw Object.assign(new Error(`${method}: ${message}`), { code, data });
  }
  return reply.result;
}
