/**
 * Amazon MSK control-plane stand-in (restJson1, the paths @aws-sdk/client-kafka calls):
 * `GET /api/v2/clusters/{arn}` DescribeClusterV2, `GET /v1/clusters/{arn}/nodes` ListNodes,
 * `GET /v1/clusters/{arn}/bootstrap-brokers` GetBootstrapBrokers. The local cluster appears as
 * an ACTIVE PROVISIONED cluster whose broker logs go to the CloudWatch Logs stand-in's group;
 * its bootstrap string sits under the field of the listener it really runs (plaintext, or
 * SASL/SCRAM when it requires authentication). Members use the lowerCamel jsonName the SDK's
 * schema declares; errors carry `x-amzn-errortype` and a `message`.
 */
import { ServiceError, type StandinHandler, type StandinRequest, type StandinResponse } from './http-service.ts';

export interface MskBroker {
  brokerId: number;
  host: string;
  port: number;
}

export type MskListener = 'plaintext' | 'sasl-scram';

export interface MskStandinOptions {
  clusterArn: string;
  clusterName: string;
  kafkaVersion: string;
  brokers: () => MskBroker[];
  listener: MskListener;
  /** null: broker logs not delivered to CloudWatch (what DescribeClusterV2 then shows) */
  brokerLogGroup: string | null;
  createdAt: Date;
  /** ListNodes page size (AWS default 10) */
  nodesPageSize?: number;
}

export class MskStandin {
  readonly handler: StandinHandler;

  constructor(private readonly options: MskStandinOptions) {
    this.handler = (request) => this.route(request);
  }

  private route(request: StandinRequest): StandinResponse {
    const segments = request.path.split('/').filter((s) => s !== '');
    if (request.method !== 'GET') throw new ServiceError('BadRequestException', 400, `the stand-in answers only GET, not ${request.method} ${request.path}`);
    // The SDK percent-encodes the ARN into one path segment, slashes included.
    if (segments.length === 4 && segments[0] === 'api' && segments[1] === 'v2' && segments[2] === 'clusters') {
      return json(this.describeClusterV2(this.requireCluster(segments[3]!)));
    }
    if (segments.length === 4 && segments[0] === 'v1' && segments[1] === 'clusters' && segments[3] === 'nodes') {
      this.requireCluster(segments[2]!);
      return json(this.listNodes(request.query));
    }
    if (segments.length === 4 && segments[0] === 'v1' && segments[1] === 'clusters' && segments[3] === 'bootstrap-brokers') {
      this.requireCluster(segments[2]!);
      return json(this.bootstrapBrokers());
    }
    throw new ServiceError('NotFoundException', 404, `the stand-in does not implement GET ${request.path}`);
  }

  private requireCluster(encodedArn: string): string {
    const arn = decodeURIComponent(encodedArn);
    if (!/^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/.test(arn)) {
      throw new ServiceError('BadRequestException', 400, 'The request is invalid. Check the ClusterArn parameter.', { invalidParameter: 'clusterArn' });
    }
    if (arn !== this.options.clusterArn) {
      throw new ServiceError('NotFoundException', 404, `The specified cluster was not found: ${arn}`, { invalidParameter: 'clusterArn' });
    }
    return arn;
  }

  private describeClusterV2(arn: string): unknown {
    const o = this.options;
    const brokers = o.brokers();
    return {
      clusterInfo: {
        clusterType: 'PROVISIONED',
        clusterArn: arn,
        clusterName: o.clusterName,
        creationTime: o.createdAt.toISOString(),
        currentVersion: 'K1LOCALSTANDIN',
        state: 'ACTIVE',
        tags: {},
        provisioned: {
          brokerNodeGroupInfo: {
            clientSubnets: ['subnet-local'],
            instanceType: 'kafka.m5.large',
            securityGroups: ['sg-local'],
          },
          numberOfBrokerNodes: brokers.length,
          currentBrokerSoftwareInfo: { kafkaVersion: o.kafkaVersion },
          clientAuthentication:
            o.listener === 'sasl-scram'
              ? { sasl: { scram: { enabled: true }, iam: { enabled: false } }, unauthenticated: { enabled: false } }
              : { unauthenticated: { enabled: true } },
          encryptionInfo: { encryptionInTransit: { clientBroker: 'PLAINTEXT', inCluster: false } },
          enhancedMonitoring: 'DEFAULT',
          loggingInfo: {
            brokerLogs: {
              cloudWatchLogs: o.brokerLogGroup === null ? { enabled: false } : { enabled: true, logGroup: o.brokerLogGroup },
            },
          },
          storageMode: 'LOCAL',
        },
      },
    };
  }

  private listNodes(query: URLSearchParams): unknown {
    const pageSize = Number(query.get('maxResults') ?? this.options.nodesPageSize ?? 10);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      throw new ServiceError('BadRequestException', 400, 'maxResults must be between 1 and 100.', { invalidParameter: 'maxResults' });
    }
    const token = query.get('nextToken');
    const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new ServiceError('BadRequestException', 400, 'The nextToken is invalid.', { invalidParameter: 'nextToken' });
    const brokers = [...this.options.brokers()].sort((a, b) => a.brokerId - b.brokerId);
    const page = brokers.slice(start, start + pageSize);
    const [, , , region, account] = this.options.clusterArn.split(':');
    return {
      nodeInfoList: page.map((broker) => ({
        addedToClusterTime: this.options.createdAt.toISOString(),
        instanceType: 'kafka.m5.large',
        nodeARN: `arn:aws:kafka:${region}:${account}:broker/${this.options.clusterName}/${broker.brokerId}`,
        nodeType: 'BROKER',
        brokerNodeInfo: {
          attachedENIId: `eni-local${broker.brokerId}`,
          brokerId: broker.brokerId,
          clientSubnet: 'subnet-local',
          clientVpcIpAddress: broker.host,
          currentBrokerSoftwareInfo: { kafkaVersion: this.options.kafkaVersion },
          // MSK lists host names without ports; local brokers share a host, so the port stays.
          endpoints: [`${broker.host}:${broker.port}`],
        },
      })),
      ...(start + pageSize < brokers.length ? { nextToken: Buffer.from(String(start + pageSize)).toString('base64url') } : {}),
    };
  }

  private bootstrapBrokers(): unknown {
    const list = [...this.options.brokers()]
      .sort((a, b) => a.brokerId - b.brokerId)
      .map((b) => `${b.host}:${b.port}`)
      .join(',');
    return this.options.listener === 'sasl-scram' ? { bootstrapBrokerStringSaslScram: list } : { bootstrapBrokerString: list };
  }
}

function json(body: unknown): StandinResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function mskError(error: ServiceError): StandinResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    body: JSON.stringify({ message: error.message, ...error.extra }),
  };
}
