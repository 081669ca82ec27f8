import { describe, expect, it } from 'vitest';
import { reportSummary, SUMMARY_LINE_CHARS } from '../../../lambdas/handlers/report.ts';

describe('the report summary the state carries', () => {
  it('stays small with thousands of affected groups: a long line is cut and says where the rest is', () => {
    const groups = Array.from({ length: 2000 }, (_, i) => `rehearsal-group-${String(i).padStart(5, '0')}`);
    const text = ['Coordinator recovery report: RECOVERED', 'Execution: e', 'Cluster: c', 'Window: w', 'Cluster state: ACTIVE', 'Diagnosis: d', 'Broker-log lines: 0', `Affected groups: ${groups.join(', ')}`, 'Affected topics: orders'].join('\n');
    const summary = reportSummary(text, 0);
    expect(summary.length).toBeLessThan(2048);
    const lines = summary.split('\n');
    expect(lines[0]).toBe('Coordinator recovery report: RECOVERED');
    expect(lines.at(-1)).toBe(`Affected groups: ${groups.join(', ')}`.slice(0, SUMMARY_LINE_CHARS) + '... (cut; the whole line is in the result document)');
  });

  it('keeps short lines whole', () => {
    expect(reportSummary('Coordinator recovery report: RECOVERED\nAffected groups: billing', 0)).toBe('Coordinator recovery report: RECOVERED\nAffected groups: billing');
  });
});
