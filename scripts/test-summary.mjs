// Prints the plain closing line CI reads ("vitest: N passed, N failed, N skipped") from vitest's JSON report,
// and one line per real-broker suite that did not run, with its reason (taken from the skipped suite's title).
import { readFileSync } from 'node:fs';
import process from 'node:process';

const NOT_RUN_MARK = 'real Kafka suite not run';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  process.stderr.write(`test-summary: cannot read ${file}: ${error.message}\n`);
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
process.stdout.write(`vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped\n`);
const notRun = new Set();
for (const suite of report.testResults ?? []) {
  for (const test of suite.assertionResults ?? []) {
    const title = (test.ancestorTitles ?? []).find((t) => t.includes(NOT_RUN_MARK));
    if (title) notRun.add(title);
  }
}
for (const title of [...notRun].sort()) process.stdout.write(`NOT RUN: ${title}\n`);
