// Runs generated Node snippets against a batch of API Gateway events.
// stdin: {"modules": [path, ...], "cases": [{"module": i, "event": {...}, "response": {...}}]}
// (a response {"__throw__": message} makes the handler throw instead)
// stdout: one result per case, in order.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const batch = JSON.parse(readFileSync(0, "utf8"));
const modules = [];
for (const path of batch.modules) modules.push(await import(pathToFileURL(path).href));
const results = [];
for (const c of batch.cases) {
  const module = modules[c.module];
  let called = false;
  const handler = async () => {
    called = true;
    if (c.response && c.response.__throw__) throw new Error(c.response.__throw__);
    return c.response === undefined ? undefined : JSON.parse(JSON.stringify(c.response));
  };
  const wrapped = await module.withCors(handler)(c.event, {});
  results.push({
    headers: Object.entries(module.corsHeaders(c.event)),
    preflight: module.preflightResponse(c.event),
    wrapped,
    wrapped_headers: Object.entries((wrapped && wrapped.headers) || {}),
    handler_called: called,
  });
}
process.stdout.write(JSON.stringify(results));
