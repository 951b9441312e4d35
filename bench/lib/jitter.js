// A tiny latency proxy in front of anvil: each request waits a uniformly random 40–80 ms
// (like a remote node provider), then goes to anvil. It logs when each request arrived, so
// the harness knows when an endpoint really answered reads (it sits behind a fault proxy,
// which forwards only in its healthy modes).
import http from "node:http";

export async function startJitterProxy({ upstream, minMs = 40, maxMs = 80 }) {
  const agent = new http.Agent({ keepAlive: true });
  const hits = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      hits.push(Date.now());
      const delay = minMs + Math.random() * (maxMs - minMs);
      setTimeout(() => {
        const up = http.request(
          upstream,
          {
            method: "POST",
            agent,
            headers: { "content-type": "application/json", "content-length": body.length },
          },
          (upRes) => {
            res.writeHead(upRes.statusCode, { "content-type": "application/json" });
            upRes.pipe(res);
          },
        );
        up.on("error", () => res.destroy());
        up.end(body);
      }, delay);
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    hits,
    stop: () => {
      server.closeAllConnections();
      agent.destroy();
      return new Promise((done) => server.close(done));
    },
  };
}
