import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import type { ClusterMetadata, KafkaPort } from '../../../lambdas/core/ports.ts';
import { COMMANDS } from '../../../bin/cli/commands/index.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { renderTable } from '../../../bin/cli/table.ts';
import { fakeIo } from './fake-io.ts';

const metadata: ClusterMetadata = {
  clusterId: 'c',
  controllerId: 1,
  brokers: [
    { nodeId: 1, host: 'b1.example', port: 9092, rack: null },
    { nodeId: 2, host: 'b2.example', port: 9092, rack: null },
  ],
  topics: [
    {
      name: '__consumer_offsets',
      isInternal: true,
      partitions: Array.from({ length: 50 }, (_, partition) => ({ partition, leader: (partition % 2) + 1, leaderEpoch: -1, replicas: [1, 2], isr: [1, 2] })),
    },
  ],
};

/** Only metadata is answered; anything else would mean a command reached further than it should. */
function metadataOnlyPort(): KafkaPort & { closed: boolean } {
  const unexpected = async (): Promise<never> => {
    throw new Error('unexpected call');
  };
  return {
    closed: false,
    metadata: async () => metadata,
    refreshMetadata: async () => undefined,
    listOffsets: unexpected,
    fetch: unexpected,
    findCoordinator: unexpected,
    describeGroup: unexpected,
    fetchCommittedOffsets: unexpected,
    commitOffsets: unexpected,
    async close() {
      this.closed = true;
    },
  };
}

function downPort(): KafkaPort {
  const port = metadataOnlyPort();
  port.metadata = async () => {
    throw new RecoveryError('KAFKA_UNAVAILABLE', 'no broker answered Metadata (tried b1.example:9092)', { retryable: true });
  };
  return port;
}

describe('help', () => {
  it('lists every command and exits 0', async () => {
    const io = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const name of ['partition-for', 'coordinator', 'partitions', 'groups', 'offsets', 'decode']) expect(io.out()).toContain(name);
  });

  it.each(COMMANDS.map((command) => command.name))('%s --help has an example', async (name) => {
    const io = fakeIo();
    expect(await runCli([name, '--help'], io)).toBe(0);
    expect(io.out()).toMatch(new RegExp(`Examples?:\\s+(.*\\| )?coordinator-recovery ${name}( |$)`, 'm'));
  });

  it('shows a command\'s own options, connection flags included', async () => {
    const io = fakeIo();
    expect(await runCli(['groups', '--help'], io)).toBe(0);
    expect(io.out()).toContain('--partition P');
    expect(io.out()).toContain('--since TIME');
    expect(io.out()).toContain('--sasl-mechanism');
    const offline = fakeIo();
    await runCli(['decode', '--help'], offline);
    expect(offline.out()).not.toContain('--bootstrap');
    const viaHelp = fakeIo();
    await runCli(['help', 'groups'], viaHelp);
    expect(viaHelp.out()).toBe(io.out());
  });
});

describe('bad input exits 2 with one line naming the flag', () => {
  it.each<[string[], string]>([
    [['nosuch'], 'command: "nosuch" is not a command'],
    [['grups'], 'Did you mean "groups"'],
    [['coordinator'], '<group>: is missing'],
    [['coordinator', 'g', 'extra'], 'unexpected argument "extra"'],
    [['coordinator', 'g', '--brokers', 'x'], '--brokers: is not an option of coordinator'],
    [['coordinator', 'g'], '--bootstrap: is required'],
    [['partition-for', 'g', '--partitions', 'fifty'], '--partitions: "fifty" is not a whole number'],
    [['partitions', '--bootstrap', 'a:1'], '--broker: is required'],
    [['partitions', '--broker', '1.5', '--bootstrap', 'a:1'], '--broker:'],
    [['groups', '--partition', 'x', '--bootstrap', 'a:1'], '--partition:'],
    [['groups', '--partition', '1', '--since', 'last tuesday', '--bootstrap', 'a:1'], '--since:'],
    [['groups', '--bootstrap', 'a:1'], '--partition: is required (or --broker)'],
    [['groups', '--partition', '1', '--broker', '2', '--bootstrap', 'a:1'], '--broker: cannot be combined with --partition'],
    [['groups', '--broker', 'two', '--bootstrap', 'a:1'], '--broker: "two" is not a whole number'],
    [['offsets', 'g', '--since', '1h', '--bootstrap', 'nohost'], '--bootstrap: "nohost" is not a host:port'],
    [['offsets', 'g', '--from-offset', '-5', '--bootstrap', 'a:1'], '--from-offset: has a value starting with "-"'],
    [['offsets', 'g', '--from-offset=-5', '--bootstrap', 'a:1'], '--from-offset: "-5" is not a log offset'],
    [['offsets', 'g', '--since', '--bootstrap', 'a:1'], '--since: has a value starting with "-"'],
    [['offsets', 'g', '--json=yes'], '--json: takes no value'],
    [['offsets', 'g', '--since'], '--since: needs a value'],
  ])('%j', async (argv, message) => {
    const io = fakeIo({ port: metadataOnlyPort() });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err().trim().split('\n')).toHaveLength(1);
    expect(io.out()).toBe('');
  });
});

describe('commands', () => {
  it('partition-for --partitions is pure: no cluster is contacted', async () => {
    const io = fakeIo();
    expect(await runCli(['partition-for', 'orders-service', '--partitions', '50', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ groupId: 'orders-service', partitionCount: 50 });
    expect(io.configs).toEqual([]);
  });

  it('partition-for without --partitions reads the count from metadata', async () => {
    const pure = fakeIo();
    await runCli(['partition-for', 'orders-service', '--partitions', '50', '--json'], pure);
    const port = metadataOnlyPort();
    const io = fakeIo({ port, env: { KAFKA_BOOTSTRAP: 'b1.example:9092' } });
    expect(await runCli(['partition-for', 'orders-service', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ ...JSON.parse(pure.out()), source: 'cluster metadata' });
    expect(io.configs[0]?.brokers).toEqual(['b1.example:9092']);
    expect(port.closed).toBe(true);
  });

  it('coordinator prints a table by default and the location with --json', async () => {
    const human = fakeIo({ port: metadataOnlyPort() });
    expect(await runCli(['coordinator', 'orders-service', '--bootstrap', 'b1.example:9092'], human)).toBe(0);
    expect(human.out()).toMatch(/^GROUP\s+OFFSETS PARTITION\s+BROKER\s+HOST\n/);
    const json = fakeIo({ port: metadataOnlyPort() });
    await runCli(['coordinator', 'orders-service', '--bootstrap', 'b1.example:9092', '--json'], json);
    const location = JSON.parse(json.out());
    expect(location.brokerHost).toBe(`b${location.brokerId}.example:9092`);
    expect(human.out()).toContain(`__consumer_offsets-${location.partition}`);
  });

  it('groups --broker with a broker that leads nothing scans nothing and says so', async () => {
    const io = fakeIo({ port: metadataOnlyPort() });
    expect(await runCli(['groups', '--broker', '9', '--bootstrap', 'b1.example:9092'], io)).toBe(0);
    expect(io.out()).toContain('broker 9 leads no __consumer_offsets partition');
    const json = fakeIo({ port: metadataOnlyPort() });
    expect(await runCli(['groups', '--broker', '9', '--bootstrap', 'b1.example:9092', '--json'], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual([]);
  });

  it('partitions --broker lists what the broker leads, and an unknown broker leads nothing', async () => {
    const io = fakeIo({ port: metadataOnlyPort() });
    expect(await runCli(['partitions', '--broker', '2', '--bootstrap', 'b1.example:9092', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out()).partitions).toEqual(Array.from({ length: 25 }, (_, i) => i * 2 + 1));
    const unknown = fakeIo({ port: metadataOnlyPort() });
    expect(await runCli(['partitions', '--broker', '9', '--bootstrap', 'b1.example:9092'], unknown)).toBe(0);
    expect(unknown.out()).toContain('broker 9 leads no __consumer_offsets partition');
  });
});

describe('runtime failures exit 1', () => {
  it('with one clear line and no stack trace', async () => {
    const io = fakeIo({ port: downPort() });
    expect(await runCli(['coordinator', 'g', '--bootstrap', 'b1.example:9092'], io)).toBe(1);
    expect(io.err()).toBe('error: no broker answered Metadata (tried b1.example:9092)\n');
  });

  it('with the stack and details under --debug', async () => {
    const io = fakeIo({ port: downPort() });
    expect(await runCli(['coordinator', 'g', '--bootstrap', 'b1.example:9092', '--debug'], io)).toBe(1);
    expect(io.err()).toContain('RecoveryError');
    expect(io.err()).toMatch(/\n\s+at /);
  });

  it('as a JSON error document on stderr under --json', async () => {
    const io = fakeIo({ port: downPort() });
    expect(await runCli(['coordinator', 'g', '--bootstrap', 'b1.example:9092', '--json'], io)).toBe(1);
    expect(JSON.parse(io.err())).toEqual({ error: { code: 'KAFKA_UNAVAILABLE', message: 'no broker answered Metadata (tried b1.example:9092)', details: {} } });
    expect(io.out()).toBe('');
  });
});

describe('renderTable', () => {
  it('pads columns and right-aligns the asked ones', () => {
    expect(renderTable(['A', 'NUM'], [['long-name', '5'], ['x', '12345']], { rightAlign: [1] })).toBe(['A            NUM', 'long-name      5', 'x          12345'].join('\n'));
  });
});
