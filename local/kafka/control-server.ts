import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { RecoveryError, isRecoveryError } from '../../lambdas/core/errors.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { ClusterFaults } from './faults.ts';
import type { CoordinatorPlugin } from './plugin.ts';
import type { BrokerServer } from './server/broker-server.ts';

/**
 * The loopback HTTP JSON endpoint the CLI and the demo drive a running cluster through:
 * `GET /status`, `GET /logs?broker=N&after=SEQ`, `POST /faults/<name>` with a JSON body.
 */
export interface ControlServerDeps {
  cluster: Cluster;
  faults: ClusterFaults;
  brokers: BrokerServer[];
  coordinator: CoordinatorPlugin | null;
}

type Body = Record<string, unknown>;

function int(body: Body, field: string, optional = false): number | undefined {
  const value = body[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new RecoveryError('INVALID_INPUT', `${field}: expected an integer, got ${JSON.stringify(value)}. Send {"${field}": <integer>}.`, { details: { field } });
  }
  return value;
}

function str(body: Body, field: string, optional = false): string | undefined {
  const value = body[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new RecoveryError('INVALID_INPUT', `${field}: expected a non-empty string, got ${JSON.stringify(value)}.`, { details: { field } });
  }
  return value;
}

export function clusterStatus(deps: ControlServerDeps): Record<string, unknown> {
  const { cluster } = deps;
  return {
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId,
    brokers: deps.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, running: b.running, connections: b.connectionCount })),
    topics: [...cluster.topics.values()].map((t) => ({
      name: t.name,
      topicId: t.topicId,
      internal: t.internal,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: p.log.logStartOffset,
        logEndOffset: p.log.logEndOffset,
        lastStableOffset: p.log.lastStableOffset,
      })),
    })),
    networkFaults: deps.faults.networkFaults(),
    coordinator: deps.coordinator?.status?.() ?? null,
  };
}

async function route(deps: ControlServerDeps, method: string, url: URL, body: Body): Promise<unknown> {
  const { faults } = deps;
  if (method === 'GET' && url.pathname === '/status') return clusterStatus(deps);
  if (method === 'GET' && url.pathname === '/logs') {
    const broker = url.searchParams.get('broker');
    const after = Number(url.searchParams.get('after') ?? '0');
    return { lines: deps.cluster.logs.lines(broker === null ? undefined : Number(broker), after) };
  }
  if (method !== 'POST' || !url.pathname.startsWith('/faults/')) {
    throw new RecoveryError('NOT_FOUND', `no route ${method} ${url.pathname}; use GET /status, GET /logs or POST /faults/<name>`);
  }
  const name = url.pathname.slice('/faults/'.length);
  switch (name) {
    case 'fail-coordinator': {
      const { partition: _p, ...options } = body;
      await faults.failCoordinator(int(body, 'partition')!, options);
      return { ok: true };
    }
    case 'heal-coordinator':
      await faults.healCoordinator(int(body, 'partition')!);
      return { ok: true };
    case 'load-coordinator':
      await faults.loadCoordinator(int(body, 'partition')!, int(body, 'durationMs')!);
      return { ok: true };
    case 'stop-broker':
      await faults.stopBroker(int(body, 'id')!);
      return { ok: true };
    case 'start-broker':
      await faults.startBroker(int(body, 'id')!);
      return { ok: true };
    case 'elect-leaders':
      return { elected: faults.electPreferredLeaders(str(body, 'topic', true), int(body, 'partition', true)) };
    case 'move-leader':
      return faults.moveLeader(int(body, 'partition')!, int(body, 'to')!, str(body, 'topic', true));
    case 'compact':
      return { partitions: faults.compact(str(body, 'topic')!) };
    case 'delete-records':
      return faults.deleteRecordsBefore(str(body, 'topic')!, int(body, 'partition')!, int(body, 'offset')!);
    case 'retention':
      return { partitions: faults.applyRetention(str(body, 'topic')!, int(body, 'retentionMs')!) };
    case 'slow-responses':
      return faults.slowResponses({ brokerId: int(body, 'brokerId', true), apiKey: int(body, 'apiKey', true), delayMs: int(body, 'delayMs')! });
    case 'drop-fetch':
      return faults.dropConnectionMidFetch({
        brokerId: int(body, 'brokerId', true),
        topic: str(body, 'topic', true),
        partition: int(body, 'partition', true),
        times: int(body, 'times', true),
      });
    case 'clear-network':
      faults.clearNetworkFaults();
      return { ok: true };
    default:
      throw new RecoveryError('NOT_FOUND', `no fault named '${name}'`);
  }
}

async function readJson(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RecoveryError('INVALID_INPUT', 'body: expected a JSON object');
  }
  return parsed as Body;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

export async function startControlServer(deps: ControlServerDeps, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const body = await readJson(req);
        send(res, 200, await route(deps, req.method ?? 'GET', url, body));
      } catch (error) {
        if (isRecoveryError(error)) send(res, error.code === 'NOT_FOUND' ? 404 : 400, { error: error.toJSON() });
        else if (error instanceof SyntaxError) send(res, 400, { error: { code: 'INVALID_INPUT', message: `body: not JSON (${error.message})` } });
        else send(res, 500, { error: { code: 'INTERNAL', message: (error as Error).message } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('control server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
