import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

/** Peak-memory sampler: call sample() from the loop being measured (it is cheap). */
export class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  private calls = 0;

  constructor(private readonly every = 64) {
    this.take();
  }

  sample(): void {
    if (++this.calls % this.every === 0) this.take();
  }

  take(): void {
    const usage = process.memoryUsage();
    if (usage.rss > this.peakRss) this.peakRss = usage.rss;
    if (usage.heapUsed > this.peakHeapUsed) this.peakHeapUsed = usage.heapUsed;
  }
}

let collector: (() => void) | undefined;

/** A full GC between runs, so one run's garbage does not count against the next one's peak. */
export function collectGarbage(): void {
  if (collector === undefined) {
    // tsx starts node without --expose-gc; the flag can still be turned on at run time.
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  }
  collector();
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const perSecond = (count: number, ms: number): number => (count * 1000) / ms;
export const formatRate = (rate: number): string => `${Math.round(rate).toLocaleString('en-US')} records/s`;
