// A local upstream for `corsgen serve`, on node's own HTTP server: it answers with CORS headers
// of its own (which the proxy must replace) and shows what it received.
//
// argv: none. stdout: one line {"port"} once listening, on a loopback port of its choosing.
// Paths:
//   /stream        200, chunked: "first\n" at once, "second\n" only after /release is fetched
//   /release       204, lets /stream finish
//   /count         200, the number of requests received so far (these three not counted)
//   /status/NNN    that status, with the echo below as its body
//   anything else  200 with a JSON echo: {method, url, headers: [[name, value]], body}
// Every answer but /release and /count carries `Access-Control-Allow-Origin: *`,
// `Access-Control-Allow-Credentials: true`, `Access-Control-Expose-Headers: *`, `Vary:
// Accept-Encoding`, `X-Request-Id: r-1` and two `Set-Cookie` lines.
import http from "node:http";

let release;
let count = 0;
const released = new Promise((resolve) => {
  release = resolve;
});

const OWN = [
  ["Access-Control-Allow-Origin", "*"],
  ["Access-Control-Allow-Credentials", "true"],
  ["Access-Control-Expose-Headers", "*"],
  ["Vary", "Accept-Encoding"],
  ["X-Request-Id", "r-1"],
];

const server = http.createServer(async (req, res) => {
  const chunks = [];
  try {
    for await (const chunk of req) chunks.push(chunk);
  } catch {
    // The client gave up inside the body (a proxy that refused the rest): nothing to answer.
    return res.destroy();
  }
  const body = Buffer.concat(chunks).toString("utf8");
  if (req.url === "/release") {
    release();
    res.writeHead(204);
    return res.end();
  }
  if (req.url === "/count") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    return res.end(String(count));
  }
  count += 1;
  for (const [name, value] of OWN) res.setHeader(name, value);
  res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2; Path=/"]);
  if (req.url === "/stream") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write("first\n");
    await released;
    return res.end("second\n");
  }
  const headers = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  const echo = JSON.stringify({ method: req.method, url: req.url, headers, body });
  const status = req.url.startsWith("/status/") ? Number(req.url.split("/")[2]) : 200;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(echo) });
  res.end(req.method === "HEAD" ? undefined : echo);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
