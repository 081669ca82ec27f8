/**
 * `npm run bench` runs every case; `npm run bench -- <name> [<name> ...]` runs the named ones;
 * `npm run bench -- --list` lists them. To add a section, export a BenchCase list from a module
 * under bench/cases/ and add it to `cases` below.
 */
import { cliStartCases } from './cases/cli-start.ts';
import { cliVsKcatCases } from './cases/cli-vs-kcat.ts';
import { compressedBatchCases } from './cases/compressed-batches.ts';
import { kafkaScanCases } from './cases/kafka-scan.ts';
import { offsetsReplayCases } from './cases/offsets-replay.ts';
import { rehearsalCases } from './cases/rehearsal.ts';
import { localKafkaCases } from './local-kafka/cluster-load.ts';
import { floorMet } from './types.ts';
import type { BenchCase, FloorCheck } from './types.ts';

const cases: BenchCase[] = [...offsetsReplayCases, ...compressedBatchCases, ...kafkaScanCases, ...cliVsKcatCases, ...localKafkaCases, ...cliStartCases, ...rehearsalCases];

/** Ratios and small times keep two decimals; rates are whole numbers. */
function formatValue(value: number): string {
  return Math.abs(value) < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US');
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--list') || args.includes('--help')) {
    for (const c of cases) console.log(`${c.name.padEnd(20)} ${c.description}`);
    return 0;
  }
  const unknown = args.filter((name) => !cases.some((c) => c.name === name));
  if (unknown.length > 0) {
    console.error(`bench: unknown case(s) ${unknown.join(', ')}. Known: ${cases.map((c) => c.name).join(', ')}`);
    return 2;
  }
  const selected = args.length === 0 ? cases : cases.filter((c) => args.includes(c.name));
  const checks: Array<FloorCheck & { bench: string }> = [];
  for (const c of selected) {
    console.log(`\n== ${c.name}: ${c.description}`);
    const outcome = await c.run();
    checks.push(...outcome.floors.map((f) => ({ ...f, bench: c.name })));
  }
  if (checks.length > 0) {
    console.log('\n== floors');
    for (const check of checks) {
      const verdict = floorMet(check) ? 'met' : 'NOT MET';
      console.log(
        `${check.bench} / ${check.label}: ${formatValue(check.value)} ${check.unit} ` +
          `(${check.atMost === true ? 'at most' : 'floor'} ${check.floor.toLocaleString('en-US')}) ${verdict}`,
      );
    }
  }
  // Floors are reported, not enforced: a busy shared machine must not fail a build.
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
