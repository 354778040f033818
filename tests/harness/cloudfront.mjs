// Runs generated CloudFront Functions against a batch of CloudFront events, the way CloudFront
// does: strict mode, one `handler(event)` per function file, a fresh copy of the event per call.
// Functions that read a KeyValueStore import `cloudfront`; a stand-in module
// (cloudfront_standin.mjs) serves the function's key-value-store.json.
// stdin: {"functions": [{"path": p, "store": p | null}], "cases": [{"function": i, "event": {...}}]}
// stdout: the value each handler returned, one per case, in order.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const batch = JSON.parse(readFileSync(0, "utf8"));
const dir = mkdtempSync(join(tmpdir(), "corsgen-cloudfront-"));
try {
  const standin = join(dir, "node_modules", "cloudfront");
  mkdirSync(standin, { recursive: true });
  writeFileSync(join(standin, "package.json"), JSON.stringify({ name: "cloudfront", type: "module", main: "index.mjs" }));
  writeFileSync(
    join(standin, "index.mjs"),
    `export { default } from ${JSON.stringify(pathToFileURL(join(here, "cloudfront_standin.mjs")).href)};\n`,
  );
  const handlers = [];
  for (const [i, fn] of batch.functions.entries()) {
    globalThis.__corsgenStore = fn.store === null ? null : JSON.parse(readFileSync(fn.store, "utf8"));
    const file = join(dir, `function${i}.mjs`);
    // CloudFront calls the top-level `handler`; a module export lets node reach it.
    writeFileSync(file, readFileSync(fn.path, "utf8") + "\nexport { handler };\n");
    handlers.push((await import(pathToFileURL(file).href)).handler);
  }
  const results = [];
  for (const c of batch.cases) {
    const returned = await handlers[c.function](structuredClone(c.event));
    results.push(returned === undefined ? null : returned);
  }
  process.stdout.write(JSON.stringify(results));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
