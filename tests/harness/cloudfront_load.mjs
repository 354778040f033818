// Loads generated CloudFront Functions into node the way CloudFront runs them: strict mode, the
// top-level `handler`, and `import cf from "cloudfront"` answered by the stand-in
// (cloudfront_standin.mjs) serving the function's KeyValueStore import file.
// Shared by the conformance harness (cloudfront.mjs) and scripts/bench_cloudfront.mjs.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** A scratch directory where `cloudfront` resolves to the stand-in; remove it with `close()`. */
export function functionLoader() {
  const dir = mkdtempSync(join(tmpdir(), "corsgen-cloudfront-"));
  const standin = join(dir, "node_modules", "cloudfront");
  mkdirSync(standin, { recursive: true });
  writeFileSync(join(standin, "package.json"), JSON.stringify({ name: "cloudfront", type: "module", main: "index.mjs" }));
  writeFileSync(
    join(standin, "index.mjs"),
    `export { default } from ${JSON.stringify(pathToFileURL(join(here, "cloudfront_standin.mjs")).href)};\n`,
  );
  let count = 0;
  return {
    /** Loads module source text that exports `handler`, and returns that handler. */
    async loadSource(text) {
      const file = join(dir, `function${count++}.mjs`);
      writeFileSync(file, text);
      return (await import(pathToFileURL(file).href)).handler;
    },
    /** The `handler` of the function at `path`; `store` is its import file's path, or null. */
    async load(path, store) {
      globalThis.__corsgenStore = store === null ? null : JSON.parse(readFileSync(store, "utf8"));
      // CloudFront calls the top-level `handler`; a module export lets node reach it.
      return this.loadSource(readFileSync(path, "utf8") + "\nexport { handler };\n");
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
