// Runs generated CloudFront Functions against a batch of CloudFront events, the way CloudFront
// does: strict mode, one `handler(event)` per function file, a fresh copy of the event per call.
// Functions that read a KeyValueStore import `cloudfront`; a stand-in module
// (cloudfront_standin.mjs) serves the function's key-value-store.json.
// stdin: {"functions": [{"path": p, "store": p | null}], "cases": [{"function": i, "event": {...}}]}
// stdout: the value each handler returned, one per case, in order.
import { readFileSync } from "node:fs";

import { functionLoader } from "./cloudfront_load.mjs";

const batch = JSON.parse(readFileSync(0, "utf8"));
const loader = functionLoader();
try {
  const handlers = [];
  for (const fn of batch.functions) handlers.push(await loader.load(fn.path, fn.store));
  const results = [];
  for (const c of batch.cases) {
    const returned = await handlers[c.function](structuredClone(c.event));
    results.push(returned === undefined ? null : returned);
  }
  process.stdout.write(JSON.stringify(results));
} finally {
  loader.close();
}
