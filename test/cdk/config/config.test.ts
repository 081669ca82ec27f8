import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, kafkaPortFor, resolveRecoveryConfig } from '../../../lib/config.ts';
import { mskClusterArn, mskGroupArn, mskTopicArn, parseClusterArn } from '../../../lib/msk-arns.ts';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import { suggestedName } from '../../../lambdas/core/workflow/planning.ts';
import { matchesNamePattern } from '../../../lambdas/core/workflow/name-pattern.ts';

const context = (values: Record<string, unknown>) => (key: string): unknown => values[key];

function configError(values: Record<string, unknown>): RecoveryError {
  try {
    resolveRecoveryConfig(context(values));
  } catch (error) {
    expect(error).toBeInstanceOf(RecoveryError);
    return error as RecoveryError;
  }
  throw new Error('expected a configuration error');
}

describe('resolveRecoveryConfig', () => {
  it('falls back to the documented example and lists the example keys that must be replaced', () => {
    const { config, cluster, exampleKeys } = resolveRecoveryConfig(context({}));
    expect(config).toEqual(EXAMPLE_CONFIG);
    expect(cluster).toEqual({ partition: 'aws', region: 'eu-west-1', account: '123456789012', clusterName: 'orders-prod', clusterUuid: '6e1f8c2a-0b7d-4a1e-9d3c-5f2b8e7a1c40-3' });
    expect(exampleKeys.sort()).toEqual(
      ['recovery:approverEmail', 'recovery:brokerLogGroupName', 'recovery:clusterArn', 'recovery:securityGroupId', 'recovery:subnetIds', 'recovery:vpcId'].sort(),
    );
  });

  it('reads context values, including comma-separated and JSON lists and numbers given as strings', () => {
    const { config, exampleKeys } = resolveRecoveryConfig(
      context({
        'recovery:clusterArn': 'arn:aws:kafka:us-east-2:210987654321:cluster/payments/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab-7',
        'recovery:vpcId': 'vpc-11112222333344445',
        'recovery:subnetIds': 'subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb',
        'recovery:availabilityZones': '["us-east-2a","us-east-2b"]',
        'recovery:securityGroupId': 'sg-0fedcba9876543210',
        'recovery:brokerLogGroupName': 'payments-broker-logs',
        'recovery:approverEmail': 'payments-oncall@example.org',
        'recovery:approvalTimeoutHours': '4',
        'recovery:logRetentionDays': 30,
        'recovery:authMode': 'scram',
        'recovery:scramSecretArn': 'arn:aws:secretsmanager:us-east-2:210987654321:secret:AmazonMSK_recovery-AbCdEf',
        'recovery:scramSecretKmsKeyArn': 'arn:aws:kms:us-east-2:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    );
    expect(exampleKeys).toEqual([]);
    expect(config.subnetIds).toEqual(['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb']);
    expect(config.availabilityZones).toEqual(['us-east-2a', 'us-east-2b']);
    expect(config.approvalTimeoutHours).toBe(4);
    expect(config.logRetentionDays).toBe(30);
    expect(config.authMode).toBe('scram');
    expect(config.scramSecretArn).toMatch(/AmazonMSK_recovery/);
  });

  it('still reports example values that were copied into the context', () => {
    const { exampleKeys } = resolveRecoveryConfig(context({ 'recovery:vpcId': EXAMPLE_CONFIG.vpcId, 'recovery:approverEmail': 'real@example.org' }));
    expect(exampleKeys).toContain('recovery:vpcId');
    expect(exampleKeys).not.toContain('recovery:approverEmail');
  });

  it('lets props win over context', () => {
    const { config } = resolveRecoveryConfig(context({ 'recovery:approverEmail': 'context@example.com' }), { approverEmail: 'props@example.com' });
    expect(config.approverEmail).toBe('props@example.com');
  });

  it.each([
    [{ 'recovery:clusterArn': 'arn:aws:kafka:eu-west-1:123:cluster/x' }, 'recovery:clusterArn', /not an MSK cluster ARN.*list-clusters-v2/],
    [{ 'recovery:subnetIds': 'subnet-0aa11bb22cc33dd44,sg-123' }, 'recovery:subnetIds', /subnet-0aa11bb22cc33dd44,subnet-/],
    [{ 'recovery:subnetIds': [] }, 'recovery:subnetIds', /is empty/],
    [{ 'recovery:securityGroupId': 'default' }, 'recovery:securityGroupId', /sg-0123456789abcdef0/],
    [{ 'recovery:authMode': 'sasl' }, 'recovery:authMode', /iam, scram, tls/],
    [{ 'recovery:authMode': 'scram' }, 'recovery:scramSecretArn', /required when authMode is scram/],
    [
      { 'recovery:authMode': 'scram', 'recovery:scramSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_r-AbCdEf' },
      'recovery:scramSecretKmsKeyArn',
      /required when authMode is scram: set it to the customer managed KMS key/,
    ],
    [{ 'recovery:scramSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mysecret' }, 'recovery:scramSecretArn', /AmazonMSK_/],
    [{ 'recovery:tlsClientCertificateSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cert-AbCdEf' }, 'recovery:tlsClientCertificateSecretArn', /is set but authMode is iam: set recovery:authMode=tls/],
    [{ 'recovery:authMode': 'tls', 'recovery:tlsClientCertificateSecretArn': 'my-cert' }, 'recovery:tlsClientCertificateSecretArn', /"certificate": PEM, "privateKey": PEM/],
    [{ 'recovery:approverEmail': 'oncall' }, 'recovery:approverEmail', /on-call address/],
    [{ 'recovery:approvalTimeoutHours': 0 }, 'recovery:approvalTimeoutHours', /from 1 to 168/],
    [{ 'recovery:approvalTimeoutHours': '2.5' }, 'recovery:approvalTimeoutHours', /whole number/],
    [{ 'recovery:logRetentionDays': 10 }, 'recovery:logRetentionDays', /does not offer/],
    [{ 'recovery:lookupVpc': 'yes' }, 'recovery:lookupVpc', /true or false/],
    [{ 'recovery:targetGroupPattern': '**' }, 'recovery:targetGroupPattern', /matches every group.*-recovered-/],
    [{ 'recovery:targetGroupPattern': 'a b' }, 'recovery:targetGroupPattern', /\*-recovered-\*/],
    [{ 'recovery:brokerLogGroupName': '' }, 'recovery:brokerLogGroupName', /describe-cluster-v2/],
  ])('rejects %j naming %s and the fix', (values, key, fix) => {
    const error = configError(values);
    expect(error.code).toBe('CONFIGURATION');
    expect(error.details['field']).toBe(key);
    expect(error.message).toContain(key);
    expect(error.message).toMatch(fix);
  });
});

describe('the default target group pattern', () => {
  // The same matcher Diagnose applies to target names in the input.
  const iamMatches = (pattern: string, name: string): boolean => matchesNamePattern(name, pattern);

  it('lets SeedOffsets write to the names PlanTarget suggests, and not to the source groups', () => {
    const pattern = EXAMPLE_CONFIG.targetGroupPattern;
    for (const source of ['billing', 'orders.v2', 'x']) {
      expect(iamMatches(pattern, suggestedName(source, 1)), suggestedName(source, 1)).toBe(true);
      expect(iamMatches(pattern, suggestedName(source, 7))).toBe(true);
      expect(iamMatches(pattern, source)).toBe(false);
    }
  });
});

describe('MSK ARNs', () => {
  const cluster = parseClusterArn('arn:aws-cn:kafka:cn-north-1:123456789012:cluster/c1/abcd-1');

  it('builds the cluster, topic and group resource ARNs MSK IAM access control uses', () => {
    expect(mskClusterArn(cluster)).toBe('arn:aws-cn:kafka:cn-north-1:123456789012:cluster/c1/abcd-1');
    expect(mskTopicArn(cluster, '__consumer_offsets')).toBe('arn:aws-cn:kafka:cn-north-1:123456789012:topic/c1/abcd-1/__consumer_offsets');
    expect(mskGroupArn(cluster, 'recovered-*')).toBe('arn:aws-cn:kafka:cn-north-1:123456789012:group/c1/abcd-1/recovered-*');
  });

  it('rejects ARNs of other services and resources', () => {
    expect(() => parseClusterArn('arn:aws:kafka:eu-west-1:123456789012:topic/c1/abcd-1/t')).toThrow(/clusterArn.*not an MSK cluster ARN/);
    expect(() => parseClusterArn('arn:aws:s3:::bucket')).toThrow(RecoveryError);
  });

  it('maps each auth mode to its private bootstrap port', () => {
    expect([kafkaPortFor('iam'), kafkaPortFor('scram'), kafkaPortFor('tls')]).toEqual([9098, 9096, 9094]);
  });
});
