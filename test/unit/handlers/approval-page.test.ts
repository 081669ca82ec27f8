import { describe, expect, it } from 'vitest';
import { consoleExecutionUrl, renderApprovalPage, renderBlastRadiusSvg, renderResultPage, type ApprovalPageInput } from '../../../lambdas/handlers/approval-page.ts';
import { PAGE_EXECUTION_ARN, pageGroup, pageIncident, pagePlan } from './approval-page-fixtures.ts';

const NOW = new Date('2026-12-05T10:00:00Z');

function pageInput(overrides: Partial<ApprovalPageInput> = {}): ApprovalPageInput {
  return {
    plan: pagePlan(),
    planSha256: 'ab'.repeat(32),
    planLocation: 's3://bucket/executions/plan.json',
    executionArn: PAGE_EXECUTION_ARN,
    expiresAt: new Date('2026-12-06T09:30:00Z'),
    now: NOW,
    incident: pageIncident(),
    formAction: '?a=1&b=2',
    ...overrides,
  };
}

describe('approval page', () => {
  it('escapes every plan-supplied text and posts the form, never acting on GET', () => {
    const hostile = '<script>alert(1)</script>';
    const html = renderApprovalPage(pageInput({ plan: pagePlan([pageGroup({ sourceGroup: hostile, warnings: [hostile] })], [hostile]) }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<form method="post" action="?a=1&amp;b=2">');
    expect(html).toMatch(/name="decision" value="approve"/);
    expect(html).toMatch(/name="decision" value="reject"/);
  });

  it('opens with the summary: groups, partitions, total lag, warnings, nothing written, time left', () => {
    const blocked = pageGroup({ sourceGroup: 'billing', targetGroup: 'billing-recovered-1', blocked: true, blockedReason: 'target has members' });
    const html = renderApprovalPage(pageInput({ plan: pagePlan([pageGroup(), blocked], ['shard 9 could not be read']) }));
    const summary = html.slice(0, html.indexOf('Blast radius'));
    expect(summary).toContain('Nothing has been written to Kafka yet.');
    expect(summary).toMatch(/<b>1<\/b><span>groups to seed \(1 blocked\)<\/span>/);
    // Only the seeded group's partitions and lag count: 30 + 21 + 0 + 13.
    expect(summary).toMatch(/<b>4<\/b><span>partitions<\/span>/);
    expect(summary).toMatch(/<b>64<\/b><span>total lag/);
    expect(summary).toMatch(/<b>2<\/b><span>warnings<\/span>/);
    expect(summary).toMatch(/<b>23 h 30 min<\/b><span>left to decide<\/span>/);
  });

  it('shows the plan as a table and the diff against the target\'s existing offsets', () => {
    const group = pageGroup({ existingTargetOffsets: [{ topic: 'orders', partition: 1, existing: '500', planned: '980', change: 'OVERWRITE' }] });
    const html = renderApprovalPage(pageInput({ plan: pagePlan([group]) }));
    expect(html).toMatch(/<tr><td>orders<\/td><td class="n">1<\/td><td class="n">980<\/td><td class="n">0<\/td><td class="n">1001<\/td><td class="n">21<\/td><td><span class="tag t-ok">OK<\/span><\/td><\/tr>/);
    expect(html).toContain('<th>target has</th>');
    expect(html).toMatch(/<td>orders<\/td><td class="n">1<\/td><td class="n">500<\/td><td class="n">980<\/td><td><span class="tag t-warn">OVERWRITE<\/span>/);
  });

  it('draws the blast radius as inline SVG, broker to shard to groups to topics, the planned groups marked', () => {
    const svg = renderBlastRadiusSvg(pageIncident(), new Set(['orders-service']));
    for (const label of ['broker 2', '__consumer_offsets-17', 'inventory-sync', 'orders-service', 'orders', 'payments']) expect(svg).toContain(`<title>${label}</title>`);
    // broker->shard, shard->2 groups, 2 groups x 2 topics.
    expect(svg.match(/<path /g)).toHaveLength(1 + 2 + 4);
    expect(svg).toMatch(/<title>orders-service<\/title><rect [^>]*fill="#dcebfb"/);
    expect(svg).toMatch(/<title>inventory-sync<\/title><rect [^>]*fill="#eef1f4"/);
    expect(svg).not.toMatch(/<script|on\w+=/);
  });

  it('says how many more nodes a column has when there are too many to draw', () => {
    const groups = Array.from({ length: 30 }, (_, i) => `group-${String(i).padStart(2, '0')}`);
    const svg = renderBlastRadiusSvg({ verdict: 'COORDINATOR_FAILED', evidence: [], shards: [{ partition: 3, brokerId: 1, groups, topics: ['t'] }] }, new Set());
    expect(svg).toContain('+ 6 more');
    expect(svg).not.toContain('<title>group-29</title>');
  });

  it('leaves out the blast radius and evidence when the request carries no incident', () => {
    const html = renderApprovalPage(pageInput({ incident: null }));
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('Evidence');
    expect(html).toContain('Approve and seed');
  });

  it('result page says what happens next and links the execution in its region\'s console', () => {
    const html = renderResultPage({ title: 'Approved', message: 'ok', status: 'ok', next: ['SeedOffsets <commits>'], executionArn: PAGE_EXECUTION_ARN });
    expect(html).toContain('<li>SeedOffsets &lt;commits&gt;</li>');
    expect(html).toContain(`href="https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(PAGE_EXECUTION_ARN)}"`);
    expect(consoleExecutionUrl('not-an-arn')).toBeNull();
  });
});
