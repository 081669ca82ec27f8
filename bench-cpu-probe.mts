import { decodeRecordBatches } from './lambdas/core/record-batch/index.ts';
import { buildOffsetsSegment, DEFAULT_SHAPE } from './bench/offsets-workload.ts';
const s = buildOffsetsSegment(DEFAULT_SHAPE);
for (let w = 0; w < 2; w++) for (const f of s.fetches) decodeRecordBatches(f);
const rates: number[] = [];
for (let run = 0; run < 7; run++) {
  const c = process.cpuUsage();
  let records = 0;
  for (const f of s.fetches) for (const b of decodeRecordBatches(f).batches) if (b.kind === 'records') records += b.recordCount;
  const u = process.cpuUsage(c);
  rates.push(records / ((u.user + u.system) / 1e6));
}
rates.sort((a, b) => a - b);
console.log(`median ${Math.round(rates[3]!).toLocaleString('en-US')} records/s CPU (min ${Math.round(rates[0]!).toLocaleString('en-US')}, max ${Math.round(rates[6]!).toLocaleString('en-US')})`);
