// Times CloudFront Functions in node (not a test): per-invocation time of each function's
// handler against a minimal function that only copies Origin into Access-Control-Allow-Origin,
// measured in the same run, in 30 alternating rounds; each side's fastest round counts.
// usage: node scripts/bench_cloudfront.mjs FUNCTION.js STORE.json|- ORIGIN ITERATIONS
// stdout: {"function_ns": n, "minimal_ns": n, "ratio": r}
import { functionLoader } from "../tests/harness/cloudfront_load.mjs";

const [file, storeFile, origin, iterationsText] = process.argv.slice(2);
const iterations = Number(iterationsText);
const loader = functionLoader();
const MINIMAL = `function handler(event) {
  var origin = event.request.headers.origin;
  if (origin) event.response.headers["access-control-allow-origin"] = {value: origin.value};
  return event.response;
}
export { handler };
`;

function event() {
  return {
    version: "1.0",
    context: { eventType: "viewer-response" },
    viewer: { ip: "198.51.100.11" },
    request: {
      method: "GET",
      uri: "/orders/42",
      querystring: {},
      headers: { host: { value: "d111111abcdef8.cloudfront.net" }, origin: { value: origin }, accept: { value: "*/*" } },
      cookies: {},
    },
    response: {
      statusCode: 200,
      statusDescription: "OK",
      headers: { "content-type": { value: "application/json" }, vary: { value: "Accept-Encoding" } },
      cookies: {},
    },
  };
}

async function time(handler, isAsync) {
  const events = Array.from({ length: iterations }, event);
  const start = process.hrtime.bigint();
  if (isAsync) for (const e of events) await handler(e);
  else for (const e of events) handler(e);
  return Number(process.hrtime.bigint() - start) / iterations;
}

try {
  const generated = await loader.load(file, storeFile === "-" ? null : storeFile);
  const minimal = await loader.loadSource(MINIMAL);
  const isAsync = generated.constructor.name === "AsyncFunction";
  const check = await generated(event());
  if (!check.headers["access-control-allow-origin"] || check.headers["access-control-allow-origin"].value !== origin) {
    throw new Error(`${origin} is not allowed by ${file}`);
  }
  const ours = [];
  const theirs = [];
  for (let round = 0; round < 30; round++) {
    ours.push(await time(generated, isAsync));
    theirs.push(await time(minimal, false));
  }
  // The fastest round of each: the least disturbed by GC and the machine (rounds alternate).
  const f = Math.min(...ours);
  const m = Math.min(...theirs);
  process.stdout.write(JSON.stringify({ function_ns: f, minimal_ns: m, ratio: f / m }));
} finally {
  loader.close();
}
