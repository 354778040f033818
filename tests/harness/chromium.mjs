// Real-browser CORS run: headless Debian Chromium (driven by playwright-core) loads a page from
// one loopback origin that fetches, one scenario at a time, from an API on another port. The API
// answers each scenario with the headers of a generated artifact run in node (the Lambda Node
// snippet, or the CloudFront viewer-request/viewer-response functions) or with fixed, often
// deliberately broken, headers.
//
// argv: <input.json>. Input: {"page_port", "api_port", "har", "scenarios": [{"id", "path",
//   "method", "headers": [[n, v]], "credentials": "omit"|"include", "xhr": bool,
//   "same_origin": bool (the page fetches its own origin, which answers as the API does),
//   "server": {"kind": "lambda-node", "module": path} | {"kind": "cloudfront", "dir": path}
//           | {"kind": "fixed", "preflight": {"status", "headers"}, "actual": {"status", "headers"},
//              "redirect": null | {"status", "headers"} (the first actual request's answer;
//              the request its Location leads to carries `hop=1` and gets "actual")}
//           | {"kind": "echo"} (allows the request's origin, and on a preflight the method and
//              headers it asks for)
//           | {"kind": "external"} (another server answers: the scenario's "base", an absolute
//              URL the path is appended to, e.g. an API deployed in LocalStack)}]}
// stdout: {"chromium": version, "results": [{"id", "url", "verdict": "allowed"|"blocked",
//   "messages": [console texts that name the URL, then the exception the call threw when it
//   is not the plain "Failed to fetch"], "received": [{"method", "url", "headers": [[n, v]]}]:
//   every request the API received for the scenario (the request target as sent, raw header
//   lines with values ISO-8859-1 decoded)}]}.
// The HAR written to input.har is built from Chromium's own DevTools-protocol network events
// (the source DevTools' "Save all as HAR" uses): preflights included, raw headers, `_error`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

import { functionLoader } from "./cloudfront_load.mjs";

const CHROMIUM = "/usr/bin/chromium";
const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)`);
  process.exit(2);
}

const scenarios = new Map(input.scenarios.map((s) => [s.id, s]));
const lambdas = new Map();
const loader = functionLoader();
const cloudfront = new Map();

async function lambdaModule(path) {
  if (!lambdas.has(path)) lambdas.set(path, await import(pathToFileURL(path).href));
  return lambdas.get(path);
}

async function cloudfrontFunctions(dir) {
  if (!cloudfront.has(dir)) {
    cloudfront.set(dir, {
      request: await loader.load(`${dir}/viewer-request.js`, null),
      response: await loader.load(`${dir}/viewer-response.js`, null),
    });
  }
  return cloudfront.get(dir);
}

const HANDLER_HEADERS = [["Content-Type", "text/plain"], ["X-Request-Id", "r-1"]];

/** [[name, value]] → CloudFront's {lowercase: {value, multiValue}}. */
function toCloudFront(pairs) {
  const out = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    if (out[key]) {
      out[key].multiValue = out[key].multiValue || [{ value: out[key].value }];
      out[key].multiValue.push({ value });
    } else out[key] = { value };
  }
  return out;
}

function fromCloudFront(headers) {
  const out = [];
  for (const [name, h] of Object.entries(headers || {})) {
    if (h.multiValue) for (const m of h.multiValue) out.push([name, m.value]);
    else out.push([name, h.value]);
  }
  return out;
}

function requestPairs(req) {
  const pairs = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  return pairs;
}

/** The answer to one request: {status, headers: [[n, v]]}. */
async function answer(req, url, scenario) {
  const server = scenario.server;
  const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
  if (server.kind === "echo") {
    const headers = [["Access-Control-Allow-Origin", req.headers.origin || ""], ["Vary", "Origin"]];
    if (!preflight) return { status: 200, headers };
    headers.push(["Access-Control-Allow-Methods", req.headers["access-control-request-method"]]);
    const names = req.headers["access-control-request-headers"];
    if (names !== undefined) headers.push(["Access-Control-Allow-Headers", names]);
    return { status: 204, headers };
  }
  if (server.kind === "fixed") {
    if (preflight) return server.preflight;
    return server.redirect && !url.searchParams.has("hop") ? server.redirect : server.actual;
  }
  if (server.kind === "lambda-node") {
    const module = await lambdaModule(server.module);
    const headers = {};
    const multi = {};
    for (const [n, v] of requestPairs(req)) {
      headers[n] = v;
      (multi[n] = multi[n] || []).push(v);
    }
    const event = {
      resource: url.pathname,
      path: url.pathname,
      httpMethod: req.method,
      headers,
      multiValueHeaders: multi,
      queryStringParameters: Object.fromEntries(url.searchParams),
      requestContext: { httpMethod: req.method, path: url.pathname },
      body: null,
      isBase64Encoded: false,
    };
    const handler = async () => ({ statusCode: 200, headers: Object.fromEntries(HANDLER_HEADERS), body: "ok" });
    const out = await module.withCors(handler)(event, {});
    const pairs = [];
    for (const [n, v] of Object.entries(out.headers || {})) pairs.push([n, String(v)]);
    for (const [n, vs] of Object.entries(out.multiValueHeaders || {})) for (const v of vs) pairs.push([n, String(v)]);
    return { status: out.statusCode, headers: pairs };
  }
  if (server.kind === "cloudfront") {
    const fns = await cloudfrontFunctions(server.dir);
    const request = {
      method: req.method,
      uri: url.pathname,
      querystring: Object.fromEntries([...url.searchParams].map(([k, v]) => [k, { value: v }])),
      headers: toCloudFront(requestPairs(req)),
      cookies: {},
    };
    const viewer = { ip: "127.0.0.1" };
    const first = await fns.request({ version: "1.0", context: { eventType: "viewer-request" }, viewer, request });
    if (first && first.statusCode !== undefined) return { status: first.statusCode, headers: fromCloudFront(first.headers) };
    const response = { statusCode: 200, statusDescription: "OK", headers: toCloudFront(HANDLER_HEADERS), cookies: {} };
    const last = await fns.response({ version: "1.0", context: { eventType: "viewer-response" }, viewer, request: first, response });
    return { status: last.statusCode, headers: fromCloudFront(last.headers) };
  }
  throw new Error(`unknown server kind ${server.kind}`);
}

const received = new Map();
const serveApi = async (req, res) => {
  try {
    const url = new URL(req.url, `http://127.0.0.1:${input.api_port}`);
    const scenario = scenarios.get(url.searchParams.get("s"));
    if (!scenario) {
      res.writeHead(404);
      return res.end();
    }
    if (!received.has(scenario.id)) received.set(scenario.id, []);
    received.get(scenario.id).push({ method: req.method, url: req.url, headers: requestPairs(req) });
    const { status, headers } = await answer(req, url, scenario);
    const grouped = new Map();
    for (const [name, value] of headers) {
      const key = name.toLowerCase();
      if (!grouped.has(key)) grouped.set(key, [name, []]);
      grouped.get(key)[1].push(value);
    }
    for (const [name, values] of grouped.values()) res.setHeader(name, values.length === 1 ? values[0] : values);
    res.writeHead(status);
    res.end(status === 204 || req.method === "OPTIONS" ? undefined : "ok");
  } catch (error) {
    console.error(error);
    res.writeHead(599);
    res.end();
  }
};
const api = http.createServer(serveApi);

const PAGE = `<!doctype html><meta charset="utf-8"><title>corsgen</title><script>
async function one(s, base) {
  const url = (s.same_origin ? location.origin : s.base || base) + s.path + "?s=" + encodeURIComponent(s.id);
  if (s.xhr) {
    return new Promise((resolve) => {
      const x = new XMLHttpRequest();
      try {
        x.open(s.method, url);
      } catch (e) {
        return resolve({ url, verdict: "blocked", error: String(e) });
      }
      x.withCredentials = s.credentials === "include";
      try {
        for (const [n, v] of s.headers) x.setRequestHeader(n, v);
      } catch (e) {
        return resolve({ url, verdict: "blocked", error: String(e) });
      }
      x.onload = () => resolve({ url, verdict: "allowed", status: x.status });
      x.onerror = () => resolve({ url, verdict: "blocked" });
      x.send();
    });
  }
  try {
    const r = await fetch(url, { method: s.method, headers: s.headers, credentials: s.credentials, mode: "cors" });
    await r.text();
    return { url, verdict: "allowed", status: r.status };
  } catch (e) {
    return { url, verdict: "blocked", error: String(e) };
  }
}
window.runAll = async (list, base) => { const out = []; for (const s of list) out.push({ id: s.id, ...(await one(s, base)) }); return out; };
</script>`;
// The page's own origin answers a scenario's requests too, for same-origin scenarios.
const page = http.createServer((req, res) => {
  if (req.url !== "/") return serveApi(req, res);
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(PAGE);
});

await new Promise((r) => api.listen(input.api_port, "127.0.0.1", r));
await new Promise((r) => page.listen(input.page_port, "127.0.0.1", r));
const pageUrl = `http://127.0.0.1:${input.page_port}/`;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext();
  // A cookie for the API's host, so credentialed requests visibly carry credentials.
  await context.addCookies([{ name: "session", value: "s1", domain: "127.0.0.1", path: "/" }]);
  const tab = await context.newPage();
  const messages = [];
  tab.on("console", (m) => messages.push(m.text()));
  const cdp = await context.newCDPSession(tab);
  await cdp.send("Network.enable");
  const requests = new Map();
  const order = [];
  const entry = (id) => {
    if (!requests.has(id)) {
      requests.set(id, { id });
      order.push(id);
    }
    return requests.get(id);
  };
  cdp.on("Network.requestWillBeSent", (e) => Object.assign(entry(e.requestId), { request: e.request, type: e.type, time: e.wallTime }));
  cdp.on("Network.requestWillBeSentExtraInfo", (e) => Object.assign(entry(e.requestId), { rawRequest: e.headers }));
  cdp.on("Network.responseReceived", (e) => Object.assign(entry(e.requestId), { response: e.response, type: e.type }));
  cdp.on("Network.responseReceivedExtraInfo", (e) => Object.assign(entry(e.requestId), { rawResponse: e.headers, rawStatus: e.statusCode }));
  cdp.on("Network.loadingFailed", (e) => Object.assign(entry(e.requestId), { failed: e.errorText, type: e.type }));

  await tab.goto(pageUrl);
  const results = await tab.evaluate(([list, base]) => window.runAll(list, base), [input.scenarios, `http://127.0.0.1:${input.api_port}`]);
  await new Promise((r) => setTimeout(r, 500));

  for (const r of results) {
    // After a redirect the message names the final URL first, then "(redirected from 'URL')".
    r.messages = messages.filter((m) => m.includes(`'${r.url}'`));
    if (r.error && !r.error.endsWith("Failed to fetch")) r.messages.push(r.error);
    r.received = received.get(r.id) || [];
  }

  // CDP joins repeated header lines with "\n"; HAR keeps one {name, value} per line.
  const pairs = (headers) => Object.entries(headers || {}).flatMap(([name, value]) => String(value).split("\n").map((v) => ({ name, value: v })));
  const entries = order
    .map((id) => requests.get(id))
    .filter((r) => r.request && r.request.url.startsWith("http://127.0.0.1:"))
    .map((r) => {
      const status = r.rawStatus ?? (r.response ? r.response.status : 0);
      const response = {
        status,
        statusText: "",
        httpVersion: "HTTP/1.1",
        headers: pairs(r.rawResponse || (r.response && r.response.headers)),
        cookies: [],
        content: { size: 0, mimeType: "" },
        redirectURL: "",
        headersSize: -1,
        bodySize: -1,
      };
      if (r.failed) response._error = r.failed;
      return {
        pageref: "page_1",
        startedDateTime: new Date((r.time || 0) * 1000).toISOString(),
        time: 0,
        _resourceType: String(r.type || "other").toLowerCase(),
        request: {
          method: r.request.method,
          url: r.request.url,
          httpVersion: "HTTP/1.1",
          headers: pairs(r.rawRequest || r.request.headers),
          queryString: [],
          cookies: [],
          headersSize: -1,
          bodySize: 0,
        },
        response,
        cache: {},
        timings: { send: 0, wait: 0, receive: 0 },
      };
    });
  const har = {
    log: {
      version: "1.2",
      creator: { name: "corsgen-test (Chromium DevTools protocol)", version: "1" },
      browser: { name: "Chromium", version: browser.version() },
      pages: [{ id: "page_1", title: pageUrl, startedDateTime: new Date().toISOString(), pageTimings: {} }],
      entries,
    },
  };
  writeFileSync(input.har, JSON.stringify(har, null, 1));
  process.stdout.write(JSON.stringify({ chromium: browser.version(), results }));
} finally {
  await browser.close();
  api.close();
  page.close();
  loader.close();
}
