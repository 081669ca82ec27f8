import { describe, expect, it } from 'vitest';
import { renderApprovalPage } from '../../../lambdas/handlers/approval-page.ts';

const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:CoordinatorRecovery:run-1';

describe('approval page', () => {
  it('escapes the plan on the approval page and posts the form, never acting on GET', () => {
    const html = renderApprovalPage({ planText: '<script>alert(1)</script>', formAction: '?a=1&b=2', executionArn: EXECUTION_ARN, expiresAt: 'soon' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<form method="post" action="?a=1&amp;b=2">');
    expect(html).toMatch(/name="decision" value="approve"/);
    expect(html).toMatch(/name="decision" value="reject"/);
  });
});
