// Synthesizes sample CDK apps in one node process (aws-cdk-lib loads once). Each app module
// exports synth(outdir), which builds its App into outdir and synthesizes it.
// argv: <input.json>: {"apps": [{"module": path, "outdir": path}]}
// stdout: one {"ok": true} or {"error": message} per app, in order.
"use strict";
const { readFileSync } = require("node:fs");

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const app of input.apps) {
  try {
    require(app.module).synth(app.outdir);
    results.push({ ok: true });
  } catch (error) {
    results.push({ error: String((error && error.message) || error) });
  }
}
process.stdout.write(JSON.stringify(results));
