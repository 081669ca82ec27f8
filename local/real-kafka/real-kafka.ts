/**
 * Real Apache Kafka brokers on loopback, as the oracle for the local cluster and the toolkit:
 * one to three combined broker+controller JVMs of a static KRaft quorum, each in its own temp
 * dir and process group. Everything they leave (processes, dirs) goes on stop(), and on the
 * test process's exit if stop() never ran.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { invalidInput } from '../../lambdas/core/errors.ts';
import { loggingConfig, newClusterId, serverProperties, type NodeAddress } from './broker-config.ts';
import { readBrokerLog, type RealBrokerLogEntry } from './broker-log-file.ts';
import { cachedClasspath, fetchReleaseJars, parseReleaseVersion, type ReleaseVersion } from './release-jars.ts';

const run = promisify(execFile);

export interface RealKafkaOptions {
  /** an Apache Kafka release, e.g. 4.1.1 */
  version: string;
  /** 1 to 3 combined broker+controller nodes, ids 1..N (default 1) */
  brokers?: number;
  /** partitions of __consumer_offsets (default 12) */
  offsetsPartitions?: number;
  /** partitions of __transaction_state (default 4) */
  transactionPartitions?: number;
  /** max heap per JVM in MiB (default 512) */
  heapMb?: number;
  /** fetch the jars through Maven when they are not cached (default false: fail instead) */
  fetchJars?: boolean;
  /** broker settings added to or overriding the defaults */
  overrides?: Record<string, string | number | boolean>;
  /** how long a node may take to start serving (default 120 s: the machine is shared) */
  startTimeoutMs?: number;
}

export interface RealBroker {
  id: number;
  host: string;
  port: number;
  logFile: string;
  running: boolean;
}

export interface RealKafka {
  version: string;
  bootstrapServers: string[];
  brokers: RealBroker[];
  /** every log entry the brokers printed so far, broker by broker, oldest first */
  logEntries(brokerId?: number): RealBrokerLogEntry[];
  /** waits until a broker prints an entry whose text matches, and returns it */
  waitForLog(pattern: RegExp, options?: { brokerId?: number; timeoutMs?: number; after?: number }): Promise<RealBrokerLogEntry>;
  /** kills a node at once (SIGKILL), as a crash would */
  killBroker(id: number): Promise<void>;
  /** starts a node again on the same ports and data */
  startBroker(id: number): Promise<void>;
  stop(): Promise<void>;
}

const liveProcessGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  liveProcessGroups.delete(pid);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A worker that dies without stop() must not leave JVMs behind holding ports and memory.
  process.on('exit', () => {
    for (const pid of [...liveProcessGroups]) killGroup(pid);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function jvmArgs(heapMb: number, classpath: string, logFlag: string): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    // C1 only: the brokers live for seconds to minutes, start-up time dominates.
    '-XX:TieredStopAtLevel=1',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Duser.timezone=UTC',
    logFlag,
    '-cp',
    classpath,
  ];
}

interface NodeRuntime {
  address: NodeAddress;
  dir: string;
  propertiesFile: string;
  logFile: string;
  logFlag: string;
  process: ChildProcess | null;
  exited: Promise<void> | null;
  startError: string;
}

async function formatStorage(classpath: string, node: NodeRuntime, clusterId: string): Promise<void> {
  try {
    await run('java', [...jvmArgs(256, classpath, node.logFlag), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', node.propertiesFile], { maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`formatting the storage of node ${node.address.id} failed: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim(), { cause: error });
  }
}

function describeVersion(options: RealKafkaOptions): ReleaseVersion {
  return parseReleaseVersion(options.version, 'version');
}

export async function startRealKafka(options: RealKafkaOptions): Promise<RealKafka> {
  const version = describeVersion(options);
  const brokerCount = options.brokers ?? 1;
  if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 3) {
    throw invalidInput('brokers', `expected 1, 2 or 3, got ${String(brokerCount)}`, 'Pass brokers between 1 and 3.');
  }
  const classpath = cachedClasspath(version.text) ?? (options.fetchJars ? await fetchReleaseJars(version.text) : null);
  if (classpath === null) {
    throw invalidInput('version', `the jars of Apache Kafka ${version.text} are not in the cache`, `Run \`npm run real-kafka -- fetch ${version.text}\` (needs mvn and Maven Central), or pass fetchJars: true.`);
  }
  const heapMb = options.heapMb ?? 512;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  installExitHook();

  const root = mkdtempSync(join(tmpdir(), `real-kafka-${version.text}-`));
  const addresses: NodeAddress[] = [];
  for (let id = 1; id <= brokerCount; id++) addresses.push({ id, brokerPort: await freePort(), controllerPort: await freePort() });
  const nodes = new Map<number, NodeRuntime>();
  for (const address of addresses) {
    const dir = join(root, `node-${address.id}`);
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'server.log');
    const logging = loggingConfig(version, logFile);
    writeFileSync(join(dir, logging.fileName), logging.text);
    const propertiesFile = join(dir, 'server.properties');
    writeFileSync(
      propertiesFile,
      serverProperties({
        node: address,
        quorum: addresses,
        dataDir: join(dir, 'data'),
        offsetsPartitions: options.offsetsPartitions ?? 12,
        transactionPartitions: options.transactionPartitions ?? 4,
        ...(options.overrides ? { overrides: options.overrides } : {}),
      }),
    );
    nodes.set(address.id, { address, dir, propertiesFile, logFile, logFlag: `${logging.jvmFlag}${join(dir, logging.fileName)}`, process: null, exited: null, startError: '' });
  }

  const brokers: RealBroker[] = addresses.map((a) => ({ id: a.id, host: '127.0.0.1', port: a.brokerPort, logFile: nodes.get(a.id)!.logFile, running: false }));
  const logEntries = (brokerId?: number): RealBrokerLogEntry[] =>
    brokers.filter((b) => brokerId === undefined || b.id === brokerId).flatMap((b) => readBrokerLog(b.id, b.logFile));

  const nodeOf = (id: number): NodeRuntime => {
    const node = nodes.get(id);
    if (!node) throw invalidInput('id', `no node ${id}; this cluster has ${[...nodes.keys()].join(', ')}`, 'Pass one of those ids.');
    return node;
  };

  const launch = (id: number): void => {
    const node = nodeOf(id);
    node.startError = '';
    const child = spawn('java', [...jvmArgs(heapMb, classpath, node.logFlag), 'kafka.Kafka', node.propertiesFile], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      node.startError = (node.startError + chunk.toString()).slice(-4000);
    });
    if (child.pid !== undefined) liveProcessGroups.add(child.pid);
    node.process = child;
    node.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    brokers.find((b) => b.id === id)!.running = true;
  };

  const waitForLog = async (pattern: RegExp, opts: { brokerId?: number; timeoutMs?: number; after?: number } = {}): Promise<RealBrokerLogEntry> => {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const entries = logEntries(opts.brokerId);
      const found = entries.slice(opts.after ?? 0).find((e) => pattern.test(e.text));
      if (found) return found;
      for (const node of nodes.values()) {
        if (node.process && node.process.exitCode !== null && (opts.brokerId === undefined || opts.brokerId === node.address.id)) {
          const broker = brokers.find((b) => b.id === node.address.id)!;
          if (broker.running) throw new Error(`Kafka node ${node.address.id} exited (code ${node.process.exitCode}) while waiting for ${pattern}: ${node.startError.trim() || 'see its log'}`);
        }
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for a broker log line matching ${pattern}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const kill = async (id: number): Promise<void> => {
    const node = nodeOf(id);
    const broker = brokers.find((b) => b.id === id)!;
    broker.running = false;
    if (node.process?.pid !== undefined && node.process.exitCode === null) {
      killGroup(node.process.pid);
      await node.exited;
    }
    node.process = null;
  };

  const stop = async (): Promise<void> => {
    for (const id of nodes.keys()) await kill(id);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const clusterId = newClusterId();
    await Promise.all([...nodes.values()].map((node) => formatStorage(classpath, node, clusterId)));
    for (const id of nodes.keys()) launch(id);
    await Promise.all([...nodes.keys()].map((id) => waitForLog(/Kafka Server started/, { brokerId: id, timeoutMs: startTimeoutMs })));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    version: version.text,
    bootstrapServers: brokers.map((b) => `${b.host}:${b.port}`),
    brokers,
    logEntries,
    waitForLog,
    killBroker: kill,
    async startBroker(id) {
      const before = logEntries(id).length;
      launch(id);
      await waitForLog(/Kafka Server started/, { brokerId: id, timeoutMs: startTimeoutMs, after: before });
    },
    stop,
  };
}
