import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRecoveryConfig } from '../../../lib/config.ts';
import { STATE } from '../../../lib/recovery-state-machine.ts';
import { TRANSIENT_ERROR_NAME } from '../../../lambdas/core/workflow/documents.ts';
import { renderDefinition, stateMachineIds, type CfnTemplate } from '../../../local/stepfunctions/asl.ts';
import { resourcesOfType, synthesize, type Synthesized } from '../helpers.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ config: { approvalMode: 'both', approvalsRequired: 2, approvalEndpointConcurrency: 3 } });
}, 120_000);
afterAll(() => synth?.dispose());

function endpointFunction(): [string, Record<string, unknown>] {
  const found = resourcesOfType(synth.json, 'AWS::Lambda::Function').find(([, props]) => (props['Environment'] as { Variables: Record<string, unknown> }).Variables['RECOVERY_STEP'] === 'approval-endpoint');
  if (!found) throw new Error('no approval-endpoint function');
  return found;
}

function variablesOf(step: string): Record<string, unknown> {
  const found = resourcesOfType(synth.json, 'AWS::Lambda::Function').find(([, props]) => (props['Environment'] as { Variables: Record<string, unknown> }).Variables['RECOVERY_STEP'] === step)!;
  return (found[1]['Environment'] as { Variables: Record<string, unknown> }).Variables;
}

describe('approvals bound to an identity (approvalMode both, two approvers)', () => {
  it('serves a public URL on the function and an AWS_IAM URL on its alias iam', () => {
    const [endpointId, endpoint] = endpointFunction();
    const urls = resourcesOfType(synth.json, 'AWS::Lambda::Url').map(([, props]) => props);
    expect(urls.map((url) => url['AuthType']).sort()).toEqual(['AWS_IAM', 'NONE']);
    const iamUrl = urls.find((url) => url['AuthType'] === 'AWS_IAM')!;
    expect(iamUrl['Qualifier']).toBe('iam');
    const [aliasId, alias] = resourcesOfType(synth.json, 'AWS::Lambda::Alias')[0]!;
    expect(alias['Name']).toBe('iam');
    expect(alias['FunctionName']).toEqual({ Ref: endpointId });
    expect(JSON.stringify(iamUrl['TargetFunctionArn'])).toContain(endpointId);
    expect(aliasId).toMatch(/IamAlias/);
    // Capped: a flood of requests cannot use up the account's concurrency.
    expect(endpoint['ReservedConcurrentExecutions']).toBe(3);
  });

  it('tells request-approval and the endpoint the mode, and request-approval the IAM URL for the commands', () => {
    for (const step of ['request-approval', 'approval-endpoint']) {
      expect(variablesOf(step)).toMatchObject({ APPROVAL_MODE: 'both', APPROVALS_REQUIRED: '2' });
    }
    const [urlId] = resourcesOfType(synth.json, 'AWS::Lambda::Url').find(([, props]) => props['AuthType'] === 'AWS_IAM')!;
    expect(variablesOf('request-approval')['APPROVAL_IAM_ENDPOINT_URL']).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
    expect(variablesOf('approval-endpoint')['APPROVAL_IAM_ENDPOINT_URL']).toBeUndefined();
  });

  it('gives approvers a managed policy that calls the IAM URL and invokes only through a URL', () => {
    const policies = resourcesOfType(synth.json, 'AWS::IAM::ManagedPolicy').filter(([id]) => id.includes('ApproversPolicy'));
    expect(policies).toHaveLength(1);
    const statements = (policies[0]![1]['PolicyDocument'] as { Statement: Array<{ Action: string; Condition: unknown; Resource: unknown }> }).Statement;
    expect(statements.map((s) => [s.Action, s.Condition])).toEqual([
      ['lambda:InvokeFunctionUrl', { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } }],
      ['lambda:InvokeFunction', { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } }],
    ]);
    const [aliasId] = resourcesOfType(synth.json, 'AWS::Lambda::Alias')[0]!;
    for (const statement of statements) expect(statement.Resource).toEqual({ Ref: aliasId });
    expect(Object.keys((synth.json as { Outputs?: Record<string, unknown> }).Outputs ?? {}).some((name) => name.includes('ApproversPolicyArn'))).toBe(true);
  });

  it('retries RequestApproval on its transient errors, so an SNS throttle does not end the run', () => {
    const id = stateMachineIds(synth.json as CfnTemplate).find((name) => name.startsWith('Runbook'))!;
    const state = renderDefinition(synth.json as CfnTemplate, id).States[STATE.awaitApproval] as { Retry?: Array<{ ErrorEquals: string[] }> };
    expect(state.Retry?.flatMap((retry) => retry.ErrorEquals)).toContain(TRANSIENT_ERROR_NAME);
  });

  it('refuses two approvers with links alone at synth, naming the key', () => {
    expect(() => resolveRecoveryConfig(() => undefined, { approvalMode: 'link', approvalsRequired: 2 })).toThrow(/recovery:approvalsRequired is 2 but approvalMode is link/);
    expect(() => resolveRecoveryConfig(() => undefined, { approvalMode: 'sso' as never })).toThrow(/recovery:approvalMode has the value "sso".*use one of link, iam, both/);
  });
});
