/**
 * Resolves the Lambdas' CloudFormation environment (Refs to the bucket, topic, secret, key and
 * function URL) into values that point at the local stand-ins, creating the bucket, topic and
 * secret there on first reference, as the stack would have created them on AWS.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { secretArn, type AwsStandins } from '../aws/index.ts';
import type { CfnTemplate } from './asl.ts';
import type { CfnValue } from './synthesize.ts';

export interface LocalResources {
  aws: AwsStandins;
  template: CfnTemplate;
  region: string;
  account: string;
  /** The URL the approval endpoint's function URL (auth NONE) stands for. */
  functionUrl: string;
  /** The URL its AWS_IAM function URL (approvalMode iam or both) stands for. */
  iamFunctionUrl?: string;
}

export class EnvironmentResolver {
  private readonly resolved = new Map<string, string>();

  constructor(private readonly resources: LocalResources) {}

  resolveAll(variables: Record<string, CfnValue>): Record<string, string> {
    return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, this.resolve(value, name)]));
  }

  /** The local stand-in for a template resource (a bucket name, topic ARN, ...), created on first use. */
  resource(logicalId: string, attribute: 'Ref' | 'Arn' | 'FunctionUrl' = 'Ref'): string {
    const cacheKey = `${logicalId}.${attribute}`;
    const known = this.resolved.get(cacheKey);
    if (known !== undefined) return known;
    const value = this.create(logicalId, attribute);
    this.resolved.set(cacheKey, value);
    return value;
  }

  private create(logicalId: string, attribute: string): string {
    const { aws, template, region, account } = this.resources;
    const type = template.Resources[logicalId]?.Type;
    switch (`${type}.${attribute}`) {
      case 'AWS::S3::Bucket.Ref': {
        const name = logicalId.toLowerCase().slice(0, 63);
        aws.s3.createBucket(name);
        return name;
      }
      case 'AWS::SNS::Topic.Ref': {
        const arn = `arn:aws:sns:${region}:${account}:${logicalId}`;
        aws.sns.createTopic(arn);
        return arn;
      }
      case 'AWS::SecretsManager::Secret.Ref': {
        // A fresh random key per run, as the stack's generated secret would be.
        const arn = secretArn(region, account, logicalId);
        aws.secrets.put(arn, randomBytes(32).toString('hex'));
        return arn;
      }
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${region}:${account}:key/${randomUUID()}`;
      case 'AWS::Lambda::Url.FunctionUrl': {
        if (template.Resources[logicalId]?.Properties?.['AuthType'] !== 'AWS_IAM') return this.resources.functionUrl;
        if (this.resources.iamFunctionUrl === undefined) throw new Error(`${logicalId} is an AWS_IAM function URL and no local one was started`);
        return this.resources.iamFunctionUrl;
      }
      default:
        throw new Error(`the local runner cannot stand in for ${logicalId} (${type ?? 'not in the template'}).${attribute}`);
    }
  }

  private resolve(value: unknown, variable: string): string {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value === null || typeof value !== 'object') throw new Error(`${variable}: cannot resolve ${JSON.stringify(value)}`);
    const entries = Object.entries(value as Record<string, unknown>);
    const [fn, args] = entries[0] ?? [];
    if (entries.length !== 1) throw new Error(`${variable}: cannot resolve ${JSON.stringify(value)}`);
    switch (fn) {
      case 'Ref': {
        const name = String(args);
        const pseudo: Record<string, string> = {
          'AWS::Region': this.resources.region,
          'AWS::AccountId': this.resources.account,
          'AWS::Partition': 'aws',
          'AWS::URLSuffix': 'amazonaws.com',
        };
        return pseudo[name] ?? this.resource(name, 'Ref');
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = args as [string, string];
        if (attribute !== 'Arn' && attribute !== 'FunctionUrl') throw new Error(`${variable}: cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
        return this.resource(logicalId, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = args as [string, unknown[]];
        return parts.map((part) => this.resolve(part, variable)).join(separator);
      }
      default:
        throw new Error(`${variable}: cannot resolve ${fn}`);
    }
  }
}
