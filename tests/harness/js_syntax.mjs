// Parses JavaScript files with acorn at a given ECMAScript version, as CloudFront's runtimes
// require: cloudfront-js-1.0 code must be ES5 (a script: no const, let, async or import).
// stdin: [{"path": p, "ecmaVersion": 5 | 2017, "sourceType": "script" | "module"}]
// stdout: [{"path": p, "error": null | message}]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let acorn;
try {
  acorn = require("acorn");
} catch {
  process.stderr.write("acorn is missing: run scripts/test.sh, which installs it (npm ci, cached under ~/.cache/corsgen) and links tests/harness/node_modules\n");
  process.exit(3);
}
const files = JSON.parse(readFileSync(0, "utf8"));
const results = files.map((f) => {
  try {
    acorn.parse(readFileSync(f.path, "utf8"), { ecmaVersion: f.ecmaVersion, sourceType: f.sourceType });
    return { path: f.path, error: null };
  } catch (e) {
    return { path: f.path, error: e.message };
  }
});
process.stdout.write(JSON.stringify(results));
