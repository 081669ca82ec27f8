/**
 * Captures the embedded-metric-format documents the handlers write to stdout (what CloudWatch
 * turns into metrics), and lets every other line through.
 */
import { vi } from 'vitest';

export interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

export interface EmfCapture {
  documents: EmfDocument[];
  /** The value of `name` in each document that declares it as a metric, with that document's dimensions. */
  metric(name: string): { value: unknown; namespace: string; dimensions: Record<string, unknown> }[];
  restore(): void;
}

export function captureEmf(): EmfCapture {
  const documents: EmfDocument[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let passOn = '';
    for (const line of text.split('\n')) {
      const parsed = parseEmf(line);
      if (parsed) documents.push(parsed);
      else if (line !== '') passOn += `${line}\n`;
    }
    return passOn === '' ? true : (write as (c: string, ...r: unknown[]) => boolean)(passOn, ...rest);
  });
  return {
    documents,
    metric: (name) =>
      documents.flatMap((document) =>
        document._aws.CloudWatchMetrics.filter((directive) => directive.Metrics.some((metric) => metric.Name === name)).map((directive) => ({
          value: document[name],
          namespace: directive.Namespace,
          dimensions: Object.fromEntries(directive.Dimensions.flat().map((dimension) => [dimension, document[dimension]])),
        })),
      ),
    restore: () => spy.mockRestore(),
  };
}

function parseEmf(line: string): EmfDocument | undefined {
  if (!line.includes('"CloudWatchMetrics"')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<EmfDocument>;
    return parsed._aws?.CloudWatchMetrics ? (parsed as EmfDocument) : undefined;
  } catch {
    return undefined;
  }
}
