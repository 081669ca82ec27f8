import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeControlBatch, encodeRecordBatch, decodeRecordBatches } from '../../../../lambdas/core/record-batch/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { ApiKey } from '../../../../local/kafka/protocol/api-keys.ts';
import { decodeResponse, encodeRequest } from '../../../../local/kafka/protocol/codec.ts';
import { ErrorCode } from '../../../../local/kafka/protocol/error-codes.ts';
import { waitFor } from '../../../support/wait.ts';
import { RawClient } from './helpers.ts';

type Body = Record<string, unknown>;

describe('fetch semantics and faults', () => {
  let local: LocalCluster;
  const clients: RawClient[] = [];
  let correlation = 100;

  const call = async (brokerId: number, apiKey: number, apiVersion: number, body: Body): Promise<Body> => {
    const b = local.brokers.find((x) => x.brokerId === brokerId)!;
    const c = await RawClient.open(b.host, b.port);
    clients.push(c);
    const id = correlation++;
    c.socket.write(encodeRequest({ apiKey, apiVersion, correlationId: id, clientId: 'raw' }, body));
    await c.until(() => c.frames.length === 1 || c.closed);
    if (c.frames.length === 0) throw new Error('connection closed without a response');
    const decoded = decodeResponse(apiKey, apiVersion, c.frames[0]!);
    expect(decoded.correlationId).toBe(id);
    return decoded.body;
  };

  const fetchBody = (topic: string, partition: number, offset: bigint, extra: Body = {}): Body => ({
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
    ...extra,
  });
  const firstPartition = (response: Body): Body => ((response['responses'] as Body[])[0]!['partitions'] as Body[])[0]!;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: 3, transactionPartitions: 1, coordinator: false });
    local.cluster.createTopic('data', { partitions: 1, replicationFactor: 3 });
  });
  // The tests share one cluster: whatever a test broke (network faults, a stopped broker) is undone before the next.
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    local.faults.clearNetworkFaults();
    for (const b of local.brokers) if (!b.running) await local.faults.startBroker(b.brokerId);
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('serves read_committed with the LSO and the aborted transactions, and errors outside the log', async () => {
    const log = local.cluster.partition('data', 0)!.log;
    const leader = local.cluster.partition('data', 0)!.leader;
    log.append(encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('plain'), timestamp: 1 }] }));
    log.append(encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('aborted'), timestamp: 2 }], producerId: 5, producerEpoch: 0, isTransactional: true }));
    log.append(encodeControlBatch({ baseOffset: 0, producerId: 5, producerEpoch: 0, type: 'ABORT', timestamp: 3 }));
    log.append(encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('open') , timestamp: 4 }], producerId: 6, producerEpoch: 0, isTransactional: true }));

    const committed = firstPartition(await call(leader, ApiKey.Fetch, 11, fetchBody('data', 0, 0n, { isolationLevel: 1 })));
    expect(committed).toMatchObject({ errorCode: 0, highWatermark: 4n, lastStableOffset: 3n, logStartOffset: 0n });
    expect(committed['abortedTransactions']).toEqual([{ producerId: 5n, firstOffset: 1n }]);
    const offsets = decodeRecordBatches(committed['records'] as Buffer).batches.map((b) => b.baseOffset);
    expect(offsets).toEqual([0n, 1n, 2n]);

    const fetchedBefore = log.fetchedBytes;
    const uncommitted = firstPartition(await call(leader, ApiKey.Fetch, 4, fetchBody('data', 0, 0n)));
    expect(uncommitted['abortedTransactions']).toBeNull();
    expect(decodeRecordBatches(uncommitted['records'] as Buffer).batches).toHaveLength(4);
    // The log counts what Fetch served from it: here the whole log, once more.
    expect(log.fetchedBytes - fetchedBefore).toBe(log.sizeInBytes);
    expect(fetchedBefore).toBe((committed['records'] as Buffer).length);

    const outOfRange = firstPartition(await call(leader, ApiKey.Fetch, 11, fetchBody('data', 0, 99n)));
    expect(outOfRange['errorCode']).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const epoch = local.cluster.partition('data', 0)!.leaderEpoch;
    const withEpoch = (e: number): Body => {
      const body = fetchBody('data', 0, 0n);
      ((body['topics'] as Body[])[0]!['partitions'] as Body[])[0]!['currentLeaderEpoch'] = e;
      return body;
    };
    expect(firstPartition(await call(leader, ApiKey.Fetch, 11, withEpoch(epoch)))['errorCode']).toBe(0);
    expect(firstPartition(await call(leader, ApiKey.Fetch, 11, withEpoch(epoch + 1)))['errorCode']).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const follower = local.cluster.partition('data', 0)!.replicas.find((r) => r !== leader)!;
    const notLeader = firstPartition(await call(follower, ApiKey.Fetch, 12, fetchBody('data', 0, 0n)));
    expect(notLeader['errorCode']).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('fences Fetch and ListOffsets that name a leader epoch older than the current one', async () => {
    local.cluster.createTopic('fenced', { partitions: 1, replicationFactor: 3 });
    const p = local.cluster.partition('fenced', 0)!;
    const staleEpoch = p.leaderEpoch;
    local.cluster.moveLeader('fenced', 0, p.replicas[1]!);
    expect(p.leaderEpoch).toBeGreaterThan(staleEpoch);
    const body = fetchBody('fenced', 0, 0n);
    ((body['topics'] as Body[])[0]!['partitions'] as Body[])[0]!['currentLeaderEpoch'] = staleEpoch;
    expect(firstPartition(await call(p.leader, ApiKey.Fetch, 11, body))['errorCode']).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    const listed = await call(p.leader, ApiKey.ListOffsets, 4, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'fenced', partitions: [{ partitionIndex: 0, currentLeaderEpoch: staleEpoch, timestamp: -1n }] }],
    });
    expect(((listed['topics'] as Body[])[0]!['partitions'] as Body[])[0]!['errorCode']).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  });

  it('refuses a produced batch whose CRC does not match', async () => {
    local.cluster.createTopic('crc', { partitions: 1 });
    const leader = local.cluster.partition('crc', 0)!.leader;
    const good = encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('intact'), timestamp: 1 }] });
    const bad = Buffer.from(good);
    bad.writeUInt8(bad.readUInt8(bad.length - 2) ^ 0xff, bad.length - 2);
    const produce = (records: Buffer) =>
      call(leader, ApiKey.Produce, 8, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'crc', partitionData: [{ index: 0, records }] }] });
    const refused = ((await produce(bad))['responses'] as Body[])[0]!['partitionResponses'] as Body[];
    expect(refused[0]).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n });
    expect(refused[0]!['errorMessage']).toMatch(/is corrupt/);
    const accepted = ((await produce(good))['responses'] as Body[])[0]!['partitionResponses'] as Body[];
    expect(accepted[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it('refuses a batch over the topic\'s max.message.bytes (the whole frame counts) and one over the 1048588 default', async () => {
    const batchOf = (valueBytes: number) => encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.alloc(valueBytes, 1), timestamp: 1 }] });
    const fits = batchOf(100);
    const over = batchOf(101);
    expect(over.length).toBe(fits.length + 1);
    local.cluster.createTopic('limited', { partitions: 1, configs: { 'max.message.bytes': String(fits.length) } });
    local.cluster.createTopic('unlimited', { partitions: 1 });
    const produce = async (topic: string, records: Buffer) => {
      const leader = local.cluster.partition(topic, 0)!.leader;
      const response = await call(leader, ApiKey.Produce, 8, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      return (((response['responses'] as Body[])[0]!['partitionResponses'] as Body[])[0]!);
    };
    expect(await produce('limited', over)).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE, baseOffset: -1n, errorMessage: null });
    // A request whose second batch is too large appends nothing, as Kafka validates every batch first.
    expect(await produce('limited', Buffer.concat([fits, over]))).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE });
    expect(await produce('limited', fits)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(local.cluster.partition('limited', 0)!.log.logEndOffset).toBe(1);
    const defaultLimit = 1048588;
    const tooLarge = batchOf(defaultLimit - (fits.length - 100) + 1);
    expect(tooLarge.length).toBeGreaterThan(defaultLimit);
    expect(await produce('unlimited', tooLarge)).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE });
    expect(await produce('unlimited', batchOf(defaultLimit - 200))).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it('refuses acks=-1 while the ISR is below min.insync.replicas, and takes acks=1', async () => {
    local.cluster.createTopic('durable', { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '3' } });
    const p = local.cluster.partition('durable', 0)!;
    const follower = p.replicas.find((r) => r !== p.leader)!;
    await local.faults.stopBroker(follower);
    try {
      const records = encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('x'), timestamp: 1 }] });
      const produce = async (acks: number) =>
        (((await call(p.leader, ApiKey.Produce, 8, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: 'durable', partitionData: [{ index: 0, records }] }] }))['responses'] as Body[])[0]!['partitionResponses'] as Body[])[0]!;
      expect((await produce(-1))['errorCode']).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
      expect(await produce(1)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    } finally {
      await local.faults.startBroker(follower);
    }
  });

  it('holds a long poll until an append wakes it', async () => {
    local.cluster.createTopic('quiet', { partitions: 1 });
    const leader = local.cluster.partition('quiet', 0)!.leader;
    const log = local.cluster.partition('quiet', 0)!.log;
    const pending = call(leader, ApiKey.Fetch, 11, fetchBody('quiet', 0, 0n, { maxWaitMs: 25_000 }));
    // Append only once the fetch is parked on the log, so the test is about the wake-up, whatever the machine's speed.
    await waitFor('the Fetch to wait on the log', () => (log.appendListenerCount > 0 ? true : undefined), 15_000);
    log.append(encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('wake'), timestamp: 1 }] }));
    // Unwoken, the poll would run out its 25 s and answer empty; the record proves the append ended it.
    const woke = firstPartition(await pending);
    expect(decodeRecordBatches(woke['records'] as Buffer).batches).toHaveLength(1);
  });

  it('keeps a fetch session across incremental fetches', async () => {
    const leader = local.cluster.partition('data', 0)!.leader;
    const b = local.brokers.find((x) => x.brokerId === leader)!;
    const c = await RawClient.open(b.host, b.port);
    clients.push(c);
    c.socket.write(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: 1, clientId: 'raw' }, fetchBody('data', 0, 0n, { sessionEpoch: 0 })));
    await c.until(() => c.frames.length === 1);
    const opened = decodeResponse(ApiKey.Fetch, 11, c.frames[0]!).body;
    const sessionId = opened['sessionId'] as number;
    expect(sessionId).toBeGreaterThan(0);
    c.socket.write(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: 2, clientId: 'raw' }, { ...fetchBody('data', 0, 0n), sessionId, sessionEpoch: 1, topics: [] }));
    await c.until(() => c.frames.length === 2);
    const incremental = decodeResponse(ApiKey.Fetch, 11, c.frames[1]!).body;
    expect(incremental['errorCode']).toBe(0);
    expect(firstPartition(incremental)['partitionIndex']).toBe(0);
    c.socket.write(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: 3, clientId: 'raw' }, { ...fetchBody('data', 0, 0n), sessionId, sessionEpoch: 7, topics: [] }));
    await c.until(() => c.frames.length === 3);
    expect(decodeResponse(ApiKey.Fetch, 11, c.frames[2]!).body['errorCode']).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  });

  it('drops a connection in the middle of a Fetch response once', async () => {
    const leader = local.cluster.partition('data', 0)!.leader;
    local.faults.dropConnectionMidFetch({ topic: 'data', partition: 0, times: 1 });
    await expect(call(leader, ApiKey.Fetch, 11, fetchBody('data', 0, 0n))).rejects.toThrow(/closed without a response/);
    expect(firstPartition(await call(leader, ApiKey.Fetch, 11, fetchBody('data', 0, 0n)))['errorCode']).toBe(0);
  });

  it('slows responses of one API on one broker', async () => {
    local.faults.slowResponses({ brokerId: 2, apiKey: ApiKey.Metadata, delayMs: 300 });
    const started = Date.now();
    await call(2, ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('stops a broker (refused, leaders move) and starts it again (a follower until a preferred election), through the control endpoint', async () => {
    const p = local.cluster.partition('data', 0)!;
    const leader = p.leader;
    const port = local.brokers.find((b) => b.brokerId === leader)!.port;
    const post = (path: string, body: Body) => fetch(`${local.controlUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('/faults/stop-broker', { id: leader })).status).toBe(200);
    await expect(
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port }, () => resolve(s.destroy()));
        s.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(p.leader).not.toBe(leader);
    expect(p.isr).not.toContain(leader);
    const status = (await (await fetch(`${local.controlUrl}/status`)).json()) as { brokers: Array<{ id: number; running: boolean }> };
    expect(status.brokers.find((b) => b.id === leader)!.running).toBe(false);
    const standIn = p.leader;
    expect((await post('/faults/start-broker', { id: leader })).status).toBe(200);
    expect(p.leader).toBe(standIn);
    expect(p.isr).toContain(leader);
    const elected = await post('/faults/elect-leaders', { topic: 'data', partition: 0 });
    expect(await elected.json()).toEqual({ elected: [{ topic: 'data', partition: 0, leader, leaderEpoch: p.leaderEpoch }] });
    expect(p.leader).toBe(leader);
    expect(await (await post('/faults/elect-leaders', { topic: 'data' })).json()).toEqual({ elected: [] });
    expect((await post('/faults/elect-leaders', { partition: 0 })).status).toBe(400);
    expect(local.logs.lines(leader).some((l) => l.message.includes('shut down completed'))).toBe(true);
    const bad = await post('/faults/stop-broker', { id: 'x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^id: expected an integer/);
  });

  it('moves a leader with ElectLeaders over the wire after a reassignment', async () => {
    const p = local.cluster.partition('data', 0)!;
    const target = p.replicas.find((r) => r !== p.leader)!;
    const reassigned = await call(1, ApiKey.AlterPartitionReassignments, 0, {
      timeoutMs: 1000,
      topics: [{ name: 'data', partitions: [{ partitionIndex: 0, replicas: [target, ...p.replicas.filter((r) => r !== target)] }] }],
    });
    expect(((reassigned['responses'] as Body[])[0]!['partitions'] as Body[])[0]!['errorCode']).toBe(0);
    const elected = await call(1, ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 'data', partitions: [0] }], timeoutMs: 1000 });
    const result = ((elected['replicaElectionResults'] as Body[])[0]!['partitionResult'] as Body[])[0]!;
    expect(result['errorCode']).toBe(0);
    expect(p.leader).toBe(target);
    const again = await call(1, ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: 'data', partitions: [0] }], timeoutMs: 1000 });
    expect(((again['replicaElectionResults'] as Body[])[0]!['partitionResult'] as Body[])[0]!['errorCode']).toBe(ErrorCode.ELECTION_NOT_NEEDED);
  });
});
