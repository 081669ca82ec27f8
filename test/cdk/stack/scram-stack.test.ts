import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Duration } from 'aws-cdk-lib';
import { resourcesOfType, synthesize, type Synthesized } from '../helpers.ts';

const SCRAM_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_recovery-AbCdEf';
const SCRAM_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({
    config: { authMode: 'scram', scramSecretArn: SCRAM_SECRET, scramSecretKmsKeyArn: SCRAM_KEY, approvalTimeoutHours: 4 },
    props: { approvalHeartbeat: Duration.hours(1) },
  });
}, 120_000);
afterAll(() => synth?.dispose());

type Statement = { Action: string | string[]; Resource: unknown };
const statements = (): Statement[] =>
  resourcesOfType(synth.json, 'AWS::IAM::Policy').flatMap(([, props]) => (props['PolicyDocument'] as { Statement: Statement[] }).Statement);
const actions = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

describe('a SCRAM cluster', () => {
  it('grants no MSK IAM data-plane actions, which SCRAM clients never use', () => {
    expect(statements().flatMap(actions).filter((action) => action.startsWith('kafka-cluster:'))).toEqual([]);
  });

  it('lets exactly the seven Kafka-facing functions read and decrypt the SCRAM secret', () => {
    const reads = statements().filter((statement) => actions(statement).includes('secretsmanager:GetSecretValue') && statement.Resource === SCRAM_SECRET);
    expect(reads).toHaveLength(7);
    expect(statements().filter((statement) => actions(statement).includes('kms:Decrypt') && statement.Resource === SCRAM_KEY)).toHaveLength(7);
    for (const [, props] of resourcesOfType(synth.json, 'AWS::Lambda::Function')) {
      const variables = (props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      if (props['VpcConfig']) expect(variables).toMatchObject({ AUTH_MODE: 'scram', SCRAM_SECRET_ARN: SCRAM_SECRET });
      else expect(variables['SCRAM_SECRET_ARN']).toBeUndefined();
    }
  });

  it('waits for approval as long as configured, with the configured heartbeat, and links expire with the wait', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { APPROVAL_LINK_TTL_SECONDS: String(4 * 3600) } } });
    const [, machine] = resourcesOfType(synth.json, 'AWS::StepFunctions::StateMachine').find(([, props]) => props['StateMachineName'])!;
    const definition = JSON.stringify(machine['DefinitionString']);
    expect(definition).toContain('\\"TimeoutSeconds\\":14400');
    expect(definition).toContain('\\"HeartbeatSeconds\\":3600');
  });
});
