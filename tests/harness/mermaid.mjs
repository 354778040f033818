// Mermaid's own parser, run in headless Debian Chromium (driven by playwright-core): does each
// diagram parse, and as what?
//
// argv: <input.json>, a list of {"id", "text"}. stdout: [{"id", "ok", "type" | "error"}].
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)`);
  process.exit(2);
}
const bundle = createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js");
const diagrams = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  await page.setContent("<!doctype html><title>mermaid</title>");
  await page.addScriptTag({ path: bundle });
  const results = await page.evaluate(async (list) => {
    const out = [];
    for (const d of list) {
      try {
        const parsed = await mermaid.parse(d.text);
        out.push({ id: d.id, ok: true, type: parsed.diagramType });
      } catch (e) {
        out.push({ id: d.id, ok: false, error: String((e && e.message) || e) });
      }
    }
    return out;
  }, diagrams);
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
