// Real-browser CORS run in three engines, one after another, against the same servers: a page on
// one loopback origin fetches, one scenario at a time, from an API on another port. The API
// answers each scenario with the headers of a generated artifact run in node (the Lambda Node
// snippet, or the CloudFront viewer-request/viewer-response functions) or with fixed, often
// deliberately broken, headers.
// - chromium: Debian's /usr/bin/chromium, headless, driven by playwright-core (Chrome DevTools
//   protocol); console messages from the page's console events.
// - firefox: Debian's /usr/bin/firefox-esr, headless, driven by puppeteer-core over WebDriver
//   BiDi. BiDi's log events carry Firefox's CORS errors but not its warnings, so a console
//   listener registered in the browser's own (chrome) context, which `--remote-allow-system-access`
//   allows, reads every message, warnings included.
// - webkit: WebKitGTK's MiniBrowser (Debian's libwebkit2gtk-4.1-0) under Xvfb, without WebDriver:
//   run with --enable-write-console-messages-to-stdout, it prints every console message on
//   stderr; the page brackets each scenario with its own console lines and reports the verdict
//   there too.
//
// argv: <input.json>. Input: {"page_port", "api_port", "engines": ["chromium", "firefox",
//   "webkit"] (default ["chromium"]), "har": {engine: path} (where each engine's HAR is written),
//   "scenarios": [{"id", "path",
//   "method", "headers": [[n, v]], "credentials": "omit"|"include", "xhr": bool,
//   "same_origin": bool (the page fetches its own origin, which answers as the API does),
//   "server": {"kind": "lambda-node", "module": path} | {"kind": "cloudfront", "dir": path}
//           | {"kind": "fixed", "preflight": {"status", "headers"}, "actual": {"status", "headers"},
//              "redirect": null | {"status", "headers"} (the first actual request's answer;
//              the request its Location leads to carries `hop=1` and gets "actual")}
//           | {"kind": "echo"} (allows the request's origin, and on a preflight the method and
//              headers it asks for)
//           | {"kind": "external"} (another server answers)},
//   "base": an absolute URL the path is appended to instead of the API's (an API deployed in
//     LocalStack, or this API under another host name),
//   "repeat": {"pause_ms", "times" (default 1)} (the request is made again after the pause;
//     the last one's verdict is "again")}]}
// stdout: {"engines": {engine: {"version", "results": [{"id", "url", "verdict":
//   "allowed"|"blocked", "messages": [the console messages that belong to the scenario, in order,
//   then the exception the call threw when it is not the engine's plain network error],
//   "received": [{"method", "url", "headers": [[n, v]]}]: every request the API received for
//   the scenario (the request target as sent, raw header lines with values ISO-8859-1
//   decoded)}]}}}.
// The HARs: Chromium's from its DevTools-protocol network events (the source DevTools' "Save all
// as HAR" uses), preflights included, raw headers, `_error`, in Chrome DevTools' shape;
// Firefox's from its BiDi network events, in the shape Firefox DevTools exports; WebKit's (no
// network events without WebDriver) from the requests the server received and the console, in
// the shape Safari's Web Inspector exports (no preflight entries; a blocked request's entry has
// status 0 and the console message as `_error`).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";

import { functionLoader } from "./cloudfront_load.mjs";

const BINARIES = {
  chromium: ["/usr/bin/chromium", "Debian's chromium"],
  firefox: ["/usr/bin/firefox-esr", "Debian's firefox-esr"],
  webkit: ["/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser", "Debian's libwebkit2gtk-4.1-0 (and xvfb)"],
};
const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const engines = input.engines || ["chromium"];
for (const engine of engines) {
  const [path, what] = BINARIES[engine] || [];
  if (!path) {
    console.error(`unknown engine ${engine}`);
    process.exit(2);
  }
  if (!existsSync(path)) {
    console.error(`${path} is missing: install ${what} (scripts/test.sh does)`);
    process.exit(2);
  }
}
if (engines.includes("webkit") && !existsSync("/usr/bin/xvfb-run")) {
  console.error("/usr/bin/xvfb-run is missing: install Debian's xvfb (scripts/test.sh does)");
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

// Every request the API received, per scenario, for the engine running now.
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
    const seen = { method: req.method, url: req.url, headers: requestPairs(req) };
    received.get(scenario.id).push(seen);
    const { status, headers } = await answer(req, url, scenario);
    seen.status = status;
    seen.response_headers = headers;
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

// The page runs the scenarios in order. Each is bracketed by console lines (WebKit's console
// messages do not always name the URL) and reports its verdict on the console too (WebKit is
// not driven: the page runs by itself when loaded as `/?auto`). A cookie for 127.0.0.1 (every
// port) makes credentialed requests visibly carry credentials.
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
window.runAll = async (list, base) => {
  document.cookie = "session=s1; path=/";
  const out = [];
  for (const s of list) {
    console.log("corsgen-begin " + s.id);
    const r = { id: s.id, ...(await one(s, base)) };
    // A preflight-cache case sends the same request again after a pause ("times" times).
    if (s.repeat) {
      for (let k = 0; k < (s.repeat.times || 1); k++) {
        await new Promise((done) => setTimeout(done, s.repeat.pause_ms));
        r.again = (await one(s, base)).verdict;
      }
    }
    console.log("corsgen-result " + JSON.stringify(r));
    out.push(r);
  }
  console.log("corsgen-done");
  return out;
};
if (location.search === "?auto") fetch("/scenarios.json").then((r) => r.json()).then(([list, base]) => window.runAll(list, base));
</script>`;
const apiBase = `http://127.0.0.1:${input.api_port}`;
// The page's own origin answers a scenario's requests too, for same-origin scenarios.
const page = http.createServer((req, res) => {
  if (req.url === "/scenarios.json") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.end(JSON.stringify([input.scenarios, apiBase]));
  }
  if (req.url !== "/" && req.url !== "/?auto") return serveApi(req, res);
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(PAGE);
});

await new Promise((r) => api.listen(input.api_port, "127.0.0.1", r));
await new Promise((r) => page.listen(input.page_port, "127.0.0.1", r));
const pageUrl = `http://127.0.0.1:${input.page_port}/`;

// The exception each engine's fetch() rejects with for a network error (a CORS failure
// included): it says nothing a console message does not, so it is left out of the messages.
const PLAIN_FAILURE = {
  chromium: "TypeError: Failed to fetch",
  firefox: "TypeError: NetworkError when attempting to fetch resource.",
  webkit: "TypeError: Load failed",
};

/** True when `text` names the scenario `id`'s URL (`s=ID` not followed by more of an id). */
function namesScenario(text, id) {
  const key = `s=${encodeURIComponent(id)}`;
  let at = text.indexOf(key);
  while (at >= 0) {
    const next = text[at + key.length];
    if (next === undefined || !/[A-Za-z0-9_%-]/.test(next)) return true;
    at = text.indexOf(key, at + 1);
  }
  return false;
}

/** The results with each scenario's messages and the requests it sent. */
function finish(engine, results, messagesOf) {
  for (const r of results) {
    r.messages = messagesOf(r);
    if (r.error && r.error !== PLAIN_FAILURE[engine]) r.messages.push(r.error);
    r.received = (received.get(r.id) || []).map(({ method, url, headers }) => ({ method, url, headers }));
  }
  return results;
}

/** A HAR 1.2 document. */
function harLog(creator, browser, pages, entries) {
  const log = { version: "1.2", creator };
  if (browser) log.browser = browser;
  return { log: { ...log, pages, entries } };
}

async function runChromium() {
  const browser = await chromium.launch({
    executablePath: BINARIES.chromium[0],
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const messages = [];
    tab.on("console", (m) => messages.push({ text: m.text(), url: m.location().url || "" }));
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
    const results = await tab.evaluate(([list, base]) => window.runAll(list, base), [input.scenarios, apiBase]);
    await new Promise((r) => setTimeout(r, 500));
    // A CORS message quotes the URL (after a redirect the final one first, then
    // "(redirected from 'URL')"); a network error's ("Failed to load resource: …") is located at
    // the URL instead.
    finish("chromium", results, (r) => messages.filter((m) => m.text.includes(`'${r.url}'`) || namesScenario(m.url, r.id)).map((m) => m.text));

    // CDP joins repeated header lines with "\n"; HAR keeps one {name, value} per line.
    const pairs = (headers) => Object.entries(headers || {}).flatMap(([name, value]) => String(value).split("\n").map((v) => ({ name, value: v })));
    const entries = order
      .map((id) => requests.get(id))
      .filter((r) => r.request && r.request.url.startsWith("http://127.0.0.1:") && !r.request.url.endsWith("/scenarios.json"))
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
    const version = browser.version();
    const pages = [{ id: "page_1", title: pageUrl, startedDateTime: new Date().toISOString(), pageTimings: {} }];
    const har = harLog({ name: "WebInspector", version: "537.36" }, { name: "Chromium", version }, pages, entries);
    return { version, results, har };
  } finally {
    await browser.close();
  }
}

async function runFirefox() {
  const browser = await puppeteer.launch({
    browser: "firefox",
    protocol: "webDriverBiDi",
    executablePath: BINARIES.firefox[0],
    headless: true,
    // Lets BiDi run script in the browser's own window, where the console listener goes.
    args: ["--remote-allow-system-access"],
  });
  try {
    const bidi = browser.connection;
    const events = [];
    for (const name of ["network.beforeRequestSent", "network.responseStarted", "network.responseCompleted", "network.fetchError"]) {
      bidi.on(name, (params) => events.push({ name, params }));
    }
    const tree = await bidi.send("browsingContext.getTree", { "moz:scope": "chrome" });
    const chrome = tree.result.contexts[0].context;
    const inChrome = async (expression) => {
      const r = await bidi.send("script.evaluate", { expression, target: { context: chrome }, awaitPromise: true });
      if (r.result.type === "exception") throw new Error(`chrome-context script: ${JSON.stringify(r.result.exceptionDetails)}`);
      return r.result.result.value;
    };
    // Every error and warning the content page logs, as the browser console shows it.
    await inChrome(`(() => {
      globalThis.corsgenConsole = [];
      Services.console.registerListener({ observe(m) {
        if (m instanceof Ci.nsIScriptError && !m.isFromChromeContext) {
          globalThis.corsgenConsole.push({ text: m.errorMessage, category: m.category, warning: (m.flags & Ci.nsIScriptError.warningFlag) !== 0 });
        }
      } });
    })()`);
    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    const results = await tab.evaluate((list, base) => window.runAll(list, base), input.scenarios, apiBase);
    await new Promise((r) => setTimeout(r, 500));
    const messages = JSON.parse(await inChrome("JSON.stringify(globalThis.corsgenConsole.splice(0))"));
    // Firefox's CORS messages are the `CORS…` categories (their keys in security.properties);
    // others, such as the XML parser's about an XHR's plain-text body, are no CORS rule's.
    finish("firefox", results, (r) => messages.filter((m) => m.category.startsWith("CORS") && namesScenario(m.text, r.id)).map((m) => m.text));
    const version = (await browser.version()).replace(/^firefox\//, "");
    return { version, results, har: firefoxHar(version, events) };
  } finally {
    await browser.close();
  }
}

/** Firefox DevTools' HAR shape, from BiDi's network events (a redirect is a new entry). */
function firefoxHar(version, events) {
  const entries = new Map();
  const pairs = (headers) => (headers || []).map((h) => ({ name: h.name, value: h.value.type === "base64" ? Buffer.from(h.value.value, "base64").toString("latin1") : h.value.value }));
  for (const { name, params } of events) {
    const url = params.request.url;
    if (!url.startsWith("http://127.0.0.1:") && !url.startsWith("http://localhost:")) continue;
    if (url === pageUrl || url.endsWith("/scenarios.json")) continue;
    const key = `${params.request.request}:${params.redirectCount}`;
    if (!entries.has(key)) {
      entries.set(key, {
        pageref: "page_1",
        startedDateTime: new Date(params.timestamp).toISOString(),
        request: { bodySize: 0, method: params.request.method, url, httpVersion: "HTTP/1.1", headers: [], cookies: [], queryString: [], headersSize: -1 },
        response: { status: 0, statusText: "", httpVersion: "", headers: [], cookies: [], content: { mimeType: "", size: 0, comment: "Response bodies are not included." }, redirectURL: "", headersSize: -1, bodySize: -1 },
        cache: {},
        timings: { blocked: -1, dns: 0, connect: 0, ssl: 0, send: 0, wait: 0, receive: 0 },
        time: 0,
        _securityState: "insecure",
        serverIPAddress: "127.0.0.1",
        connection: new URL(url).port,
      });
    }
    const entry = entries.get(key);
    // The headers as sent: beforeRequestSent's are incomplete.
    if (params.request.headers && (name !== "network.beforeRequestSent" || entry.request.headers.length === 0)) {
      entry.request.headers = pairs(params.request.headers);
    }
    if (params.response) {
      entry.response.status = params.response.status;
      entry.response.statusText = params.response.statusText;
      entry.response.httpVersion = params.response.protocol === "http/1.1" ? "HTTP/1.1" : params.response.protocol;
      entry.response.headers = pairs(params.response.headers);
      const location = entry.response.headers.find((h) => h.name.toLowerCase() === "location");
      if (location) entry.response.redirectURL = location.value;
    }
  }
  const pages = [{ startedDateTime: new Date().toISOString(), id: "page_1", title: "corsgen", pageTimings: { onContentLoad: -1, onLoad: -1 } }];
  return harLog({ name: "Firefox", version }, { name: "Firefox", version }, pages, [...entries.values()]);
}

async function runWebKit() {
  const profile = mkdtempSync(join(tmpdir(), "corsgen-webkit-"));
  const version = execFileSync("dpkg-query", ["-W", "-f=${Version}", "libwebkit2gtk-4.1-0"], { encoding: "utf8" }).split("-")[0];
  // A fresh profile: MiniBrowser keeps its caches and cookies under HOME and the XDG folders.
  const env = { ...process.env, HOME: profile, XDG_CACHE_HOME: join(profile, "cache"), XDG_DATA_HOME: join(profile, "data"), XDG_CONFIG_HOME: join(profile, "config"), LANG: "C.UTF-8" };
  const child = spawn(
    "/usr/bin/xvfb-run",
    ["-a", "-s", "-screen 0 1280x1024x24 -nolisten tcp", BINARIES.webkit[0], "--enable-write-console-messages-to-stdout=true", "--enable-page-cache=false", `${pageUrl}?auto`],
    { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines = [];
  let rest = "";
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const read = (chunk) => {
    rest += chunk.toString("utf8");
    const parts = rest.split("\n");
    rest = parts.pop();
    for (const line of parts) {
      lines.push(line);
      if (line.endsWith("CONSOLE LOG corsgen-done")) done(true);
    }
  };
  child.stdout.on("data", read);
  child.stderr.on("data", read);
  child.on("exit", () => done(false));
  const timer = setTimeout(() => done(false), 180_000);
  const ok = await finished;
  clearTimeout(timer);
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {}
  rmSync(profile, { recursive: true, force: true });
  if (!ok) throw new Error(`MiniBrowser did not finish the scenarios:\n${lines.slice(-40).join("\n")}`);
  // `[URL:LINE:COL: ]CONSOLE LOG text` for console.log, `[…]CONSOLE SOURCE LEVEL text` for the
  // engine's own messages (`CONSOLE SECURITY ERROR`, `CONSOLE JS ERROR`).
  const results = [];
  let current = null;
  for (const line of lines) {
    const at = line.indexOf("CONSOLE ");
    if (at < 0 || (at > 0 && !/^\S+:\d+:\d+: $/.test(line.slice(0, at)))) continue;
    const message = line.slice(at + 8);
    if (message.startsWith("LOG ")) {
      const text = message.slice(4);
      if (text.startsWith("corsgen-begin ")) current = { id: text.slice(14), messages: [] };
      else if (text.startsWith("corsgen-result ")) results.push({ ...JSON.parse(text.slice(15)), console: current ? current.messages : [] });
      continue;
    }
    const m = /^\S+ \S+ (.*)$/.exec(message);
    if (current && m) current.messages.push(m[1]);
  }
  finish("webkit", results, (r) => r.console);
  for (const r of results) delete r.console;
  return { version, results, har: webkitHar(version, results) };
}

/** Safari Web Inspector's HAR shape, from what the server received and the console: Web
 * Inspector lists no preflight; a request that failed has status 0 (or the status it got, when
 * it got one) and the console message as `_error`. */
function webkitHar(version, results) {
  const entries = [];
  const started = new Date().toISOString();
  for (const r of results) {
    const sent = (received.get(r.id) || []).filter((q) => !(q.method === "OPTIONS" && q.headers.some(([n]) => n.toLowerCase() === "access-control-request-method")));
    const failure = r.verdict === "blocked" ? r.messages.find((m) => !m.endsWith("due to access control checks.")) : undefined;
    // A request the page never got to send (its preflight failed) is listed with the headers
    // its preflight carried the origin in.
    const preflights = (received.get(r.id) || []).filter((q) => q.method === "OPTIONS");
    const prepared = preflights.length > 0 ? preflights[0].headers.filter(([n]) => ["origin", "accept"].includes(n.toLowerCase())) : [];
    const hops = sent.length > 0 ? sent : [{ method: scenarios.get(r.id).method.toUpperCase(), url: new URL(r.url).pathname + new URL(r.url).search, headers: prepared }];
    hops.forEach((q, i) => {
      const last = i === hops.length - 1;
      const url = new URL(q.url, r.url).href;
      const response = {
        status: q.status ?? 0,
        statusText: "",
        httpVersion: q.status ? "HTTP/1.1" : "",
        headers: (q.response_headers || []).map(([name, value]) => ({ name, value })),
        cookies: [],
        content: { size: 0, compression: 0, mimeType: "x-unknown" },
        redirectURL: "",
        headersSize: -1,
        bodySize: -1,
        _transferSize: 0,
      };
      if (last && failure) response._error = failure;
      entries.push({
        pageref: "page_0",
        startedDateTime: started,
        time: 0,
        request: { method: q.method, url, httpVersion: "HTTP/1.1", cookies: [], headers: q.headers.map(([name, value]) => ({ name, value })), queryString: [], headersSize: -1, bodySize: 0 },
        response,
        cache: {},
        timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 0, receive: 0 },
        _fetchType: "Network Load",
        _priority: "medium",
      });
    });
  }
  const pages = [{ startedDateTime: started, id: "page_0", title: pageUrl, pageTimings: { onContentLoad: -1, onLoad: -1 } }];
  return harLog({ name: "WebKit Web Inspector", version: "605.1.15" }, null, pages, entries);
}

const RUN = { chromium: runChromium, firefox: runFirefox, webkit: runWebKit };
const output = { engines: {} };
try {
  for (const engine of engines) {
    received.clear();
    const { version, results, har } = await RUN[engine]();
    if (input.har && input.har[engine]) writeFileSync(input.har[engine], JSON.stringify(har, null, 1));
    output.engines[engine] = { version, results };
  }
  process.stdout.write(JSON.stringify(output));
} finally {
  api.close();
  page.close();
  loader.close();
}
