/**
 * Secrets Manager stand-in (awsJson1_1, target secretsmanager): GetSecretValue by ARN or name for
 * the secrets it was given (the approval link signing key, a SCRAM user). An unknown secret
 * answers ResourceNotFoundException, as the service does.
 */
import { randomUUID } from 'node:crypto';
import { awsJsonHandler, requiredString } from './aws-json.ts';
import { ServiceError, type StandinHandler } from './http-service.ts';

interface Secret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  createdAt: Date;
  /** The value before the last put (stage AWSPREVIOUS), as put-secret-value leaves it. */
  previous?: { value: string; versionId: string };
}

/** The ARN Secrets Manager gives a secret: its name plus a dash and six random characters. */
export function secretArn(region: string, account: string, name: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${randomUUID().replace(/-/g, '').slice(0, 6)}`;
}

export class SecretsManagerStandin {
  readonly handler: StandinHandler;
  private readonly secrets = new Map<string, Secret>();

  constructor() {
    this.handler = awsJsonHandler({
      targetPrefix: 'secretsmanager',
      version: '1.1',
      operations: {
        GetSecretValue: (input) => {
          const id = requiredString(input, 'SecretId', 'InvalidParameterException');
          const stage = input['VersionStage'] ?? 'AWSCURRENT';
          if (input['VersionId'] !== undefined || (stage !== 'AWSCURRENT' && stage !== 'AWSPREVIOUS')) {
            throw new ServiceError('InvalidRequestException', 400, 'the stand-in keeps only the AWSCURRENT and AWSPREVIOUS versions');
          }
          const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
          if (!secret) throw new ServiceError('ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret.");
          const version = stage === 'AWSCURRENT' ? { value: secret.value, versionId: secret.versionId } : secret.previous;
          if (!version) throw new ServiceError('ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS");
          return {
            ARN: secret.arn,
            Name: secret.name,
            SecretString: version.value,
            VersionId: version.versionId,
            VersionStages: [stage],
            // awsJson timestamps are epoch seconds.
            CreatedDate: secret.createdAt.getTime() / 1000,
          };
        },
      },
    });
  }

  /**
   * Stores a secret under its ARN (its name is the ARN's resource part without the suffix), or
   * puts a new value into an existing one: the old value becomes AWSPREVIOUS, as with
   * put-secret-value.
   */
  put(arn: string, value: string): void {
    const match = /:secret:(.+?)(?:-[A-Za-z0-9]{6})?$/.exec(arn);
    if (!match) throw new Error(`not a Secrets Manager secret ARN: ${arn}`);
    const existing = this.secrets.get(arn);
    this.secrets.set(arn, {
      arn,
      name: match[1]!,
      value,
      versionId: randomUUID(),
      createdAt: existing?.createdAt ?? new Date(),
      ...(existing ? { previous: { value: existing.value, versionId: existing.versionId } } : {}),
    });
  }
}
