// Prints the plain closing line CI reads ("vitest: N passed, N failed, N skipped") from vitest's JSON report.
import { readFileSync } from 'node:fs';
import process from 'node:process';

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
