import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalCluster } from './index.ts';

/**
 * `npm run local -- <command>`: run a local cluster in the foreground (`up`), or drive a
 * running one through its control endpoint, found in a small state file that `up` writes
 * (or given with --control URL). Exit codes: 0 ok, 1 the cluster refused, 2 bad usage.
 */
const USAGE = `usage: npm run local -- <command> [options]
  up [--brokers N] [--port P] [--offsets-partitions N] [--log-dir DIR] [--kafka-version 3.9|4.0|4.1]
  up [--brokers N] [--port P] [--offsets-partitions N] [--offsets-compression none|gzip|snappy|lz4|zstd] [--log-dir DIR]
  up [--leader-imbalance-check-interval-ms MS]   (default 300000, Kafka's; a restarted broker leads again after it)
                                   run a cluster until SIGINT/SIGTERM (broker n on port P+n-1)
  status [--json]                  brokers, leaders and log ranges
  fail-coordinator --partition P [--legacy-log-line] [--group G]
  heal-coordinator --partition P
  stop-broker --id N | start-broker --id N
  elect-leaders [--topic T [--partition P]]    preferred election (default: every partition)
  move-leader --partition P --to N [--topic T]   (default topic __consumer_offsets)
  compact --topic T
  logs [--broker N]
options for commands against a running cluster: --control URL (default: from the state file)`;

class UsageError extends Error {}

export function stateFilePath(): string {
  return process.env['LOCAL_KAFKA_STATE'] ?? join(tmpdir(), `coordinator-recovery-local-kafka-${userInfo().username}.json`);
}

interface State {
  controlUrl: string;
  bootstrap: string[];
  pid: number;
}

function intOption(values: Record<string, unknown>, name: string, required: true): number;
function intOption(values: Record<string, unknown>, name: string, required: false): number | undefined;
function intOption(values: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const raw = values[name];
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: expected a whole number, got '${String(raw)}'`);
  return n;
}

function controlUrl(values: Record<string, unknown>): string {
  if (typeof values['control'] === 'string') return values['control'];
  const path = stateFilePath();
  if (!existsSync(path)) throw new UsageError(`no running cluster found (${path} is missing): start one with 'npm run local -- up' or pass --control URL`);
  return (JSON.parse(readFileSync(path, 'utf8')) as State).controlUrl;
}

async function call(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  } catch (error) {
    throw new Error(`cannot reach the cluster's control endpoint ${url}: ${(error as Error).message}`, { cause: error });
  }
  const payload = (await response.json()) as { error?: { message: string } };
  if (!response.ok) throw new Error(payload.error?.message ?? `HTTP ${response.status}`);
  return payload;
}

async function up(values: Record<string, unknown>): Promise<void> {
  const cluster = await startLocalCluster({
    brokers: intOption(values, 'brokers', false) ?? 3,
    basePort: intOption(values, 'port', false) ?? 0,
    offsetsPartitions: intOption(values, 'offsets-partitions', false) ?? 50,
    ...(typeof values['log-dir'] === 'string' ? { logDir: values['log-dir'] } : {}),
    ...(typeof values['kafka-version'] === 'string' ? { kafkaVersion: values['kafka-version'] } : {}),
    ...(values['leader-imbalance-check-interval-ms'] === undefined ? {} : { leaderImbalanceCheckIntervalMs: intOption(values, 'leader-imbalance-check-interval-ms', true) }),
    // Validated by startLocalCluster, which names the option and the codecs it takes.
    ...(typeof values['offsets-compression'] === 'string' ? { offsetsTopicCompressionCodec: values['offsets-compression'] as 'none' } : {}),
  });
  const state: State = { controlUrl: cluster.controlUrl, bootstrap: cluster.bootstrapServers, pid: process.pid };
  const statePath = stateFilePath();
  writeFileSync(statePath, JSON.stringify(state));
  process.stdout.write(`bootstrap: ${cluster.bootstrapServers.join(',')}\ncontrol: ${cluster.controlUrl}\nkafka: ${cluster.profile.release} (ApiVersions of ${cluster.profile.recordedFrom})\n`);
  await new Promise<void>((resolve) => {
    const launchers = ancestorPids(3);
    const watch = setInterval(() => {
      if (launchers.some((pid) => !isAlive(pid))) shutdown();
    }, 500);
    const shutdown = (): void => {
      clearInterval(watch);
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  await cluster.stop();
  // Another `up` may have replaced the file; only remove our own.
  if (existsSync(statePath) && (JSON.parse(readFileSync(statePath, 'utf8')) as State).pid === process.pid) rmSync(statePath);
  process.stdout.write('stopped\n');
}

/**
 * `npm run local -- up` runs as npm -> sh -> tsx -> node; a SIGTERM to npm kills the shell
 * without reaching us, which would leave the cluster running. So the cluster also stops when
 * any of its launching processes is gone (read from /proc where available).
 */
function ancestorPids(levels: number): number[] {
  const pids: number[] = [];
  let pid = process.ppid;
  for (let i = 0; i < levels && pid > 1; i++) {
    pids.push(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface StatusPayload {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ id: number; host: string; port: number; running: boolean }>;
  topics: Array<{ name: string; partitions: Array<{ partition: number; leader: number; isr: number[]; logStartOffset: number; logEndOffset: number }> }>;
  coordinator: unknown;
}

function printStatus(status: StatusPayload): void {
  const lines = [`cluster ${status.clusterId}, controller ${status.controllerId}`];
  for (const b of status.brokers) lines.push(`broker ${b.id} ${b.host}:${b.port} ${b.running ? 'running' : 'STOPPED'}`);
  for (const t of status.topics) {
    const leaders = new Map<number, number>();
    for (const p of t.partitions) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
    const records = t.partitions.reduce((n, p) => n + (p.logEndOffset - p.logStartOffset), 0);
    const spread = [...leaders].sort((a, b) => a[0] - b[0]).map(([id, n]) => `${id === -1 ? 'none' : id}:${n}`).join(' ');
    lines.push(`topic ${t.name}: ${t.partitions.length} partitions, leaders ${spread}, ${records} offsets`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      brokers: { type: 'string' },
      port: { type: 'string' },
      'offsets-partitions': { type: 'string' },
      'log-dir': { type: 'string' },
      'kafka-version': { type: 'string' },
      'offsets-compression': { type: 'string' },
      'leader-imbalance-check-interval-ms': { type: 'string' },
      partition: { type: 'string' },
      id: { type: 'string' },
      to: { type: 'string' },
      topic: { type: 'string' },
      group: { type: 'string' },
      broker: { type: 'string' },
      'legacy-log-line': { type: 'boolean' },
      control: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const print = (payload: unknown, text: string): void => {
    process.stdout.write(values.json === true ? JSON.stringify(payload) + '\n' : text + '\n');
  };
  switch (command) {
    case 'up':
      await up(values);
      return 0;
    case 'status': {
      const status = (await call(controlUrl(values), 'GET', '/status')) as StatusPayload;
      if (values.json === true) print(status, '');
      else printStatus(status);
      return 0;
    }
    case 'fail-coordinator':
    case 'heal-coordinator': {
      const partition = intOption(values, 'partition', true);
      const body = command === 'fail-coordinator' ? { partition, ...(values['legacy-log-line'] === true ? { legacyLogLine: true } : {}), ...(values.group === undefined ? {} : { group: values.group }) } : { partition };
      const result = await call(controlUrl(values), 'POST', `/faults/${command}`, body);
      print(result, `${command === 'fail-coordinator' ? 'failed' : 'healed'} the coordinator shard of __consumer_offsets-${partition}`);
      return 0;
    }
    case 'stop-broker':
    case 'start-broker': {
      const id = intOption(values, 'id', true);
      const result = await call(controlUrl(values), 'POST', `/faults/${command}`, { id });
      print(result, `${command === 'stop-broker' ? 'stopped' : 'started'} broker ${id}`);
      return 0;
    }
    case 'elect-leaders': {
      const partition = intOption(values, 'partition', false);
      if (partition !== undefined && values.topic === undefined) throw new UsageError('--partition needs --topic');
      const body = { ...(values.topic === undefined ? {} : { topic: values.topic }), ...(partition === undefined ? {} : { partition }) };
      const result = (await call(controlUrl(values), 'POST', '/faults/elect-leaders', body)) as { elected: Array<{ topic: string; partition: number; leader: number; leaderEpoch: number }> };
      const text = result.elected.length === 0 ? 'no leader changed (every preferred leader already leads, or is stopped or out of sync)' : result.elected.map((e) => `${e.topic}-${e.partition} is led by broker ${e.leader} at epoch ${e.leaderEpoch}`).join('\n');
      print(result, text);
      return 0;
    }
    case 'move-leader': {
      const partition = intOption(values, 'partition', true);
      const to = intOption(values, 'to', true);
      const topic = values.topic ?? '__consumer_offsets';
      const result = (await call(controlUrl(values), 'POST', '/faults/move-leader', { partition, to, topic })) as { leader: number; leaderEpoch: number };
      print(result, `${topic}-${partition} is led by broker ${result.leader} at epoch ${result.leaderEpoch}`);
      return 0;
    }
    case 'compact': {
      if (values.topic === undefined) throw new UsageError('--topic is required');
      const result = (await call(controlUrl(values), 'POST', '/faults/compact', { topic: values.topic })) as { partitions: Array<{ recordsBefore: number; recordsAfter: number }> };
      const before = result.partitions.reduce((n, p) => n + p.recordsBefore, 0);
      const after = result.partitions.reduce((n, p) => n + p.recordsAfter, 0);
      print(result, `compacted ${values.topic}: ${before} -> ${after} records`);
      return 0;
    }
    case 'logs': {
      const broker = intOption(values, 'broker', false);
      const result = (await call(controlUrl(values), 'GET', `/logs${broker === undefined ? '' : `?broker=${broker}`}`)) as { lines: Array<{ text: string; brokerId: number }> };
      print(result, result.lines.map((l) => (broker === undefined ? `broker-${l.brokerId} ${l.text}` : l.text)).join('\n'));
      return 0;
    }
    default:
      throw new UsageError(command === undefined ? 'a command is required' : `unknown command '${command}'`);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(`error: ${(error as Error).message}\n${usage ? USAGE + '\n' : ''}`);
      process.exit(usage ? 2 : 1);
    },
  );
}
