/**
 * The end-to-end scene on the incident environment the demo also plays on
 * (`local/incident/environment.ts`): topic `orders` with 3 partitions and a connected producer.
 * Also the application's and the approver's side: consumers that commit, OffsetFetch, reading
 * the approval mail.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { PublishedMessage } from '../../local/aws/index.ts';
import { OFFSETS_PARTITIONS, startIncidentEnvironment, type IncidentEnvironment, type IncidentEnvironmentOptions } from '../../local/incident/environment.ts';

// Bounded polling, the same as the toolkit integration tests use.
export { waitFor } from '../integration/kafka/helpers.ts';
export { OFFSETS_PARTITIONS };

export const TOPIC = 'orders';

export interface Incident extends IncidentEnvironment {
  producer: Producer;
}

export async function startIncident(options: IncidentEnvironmentOptions = {}): Promise<Incident> {
  const environment = await startIncidentEnvironment(options);
  try {
    environment.local.cluster.createTopic(TOPIC, { partitions: 3 });
    const producer = environment.kafka.producer();
    await producer.connect();
    return {
      ...environment,
      producer,
      stop: async () => {
        await producer.disconnect().catch(() => undefined);
        await environment.stop();
      },
    };
  } catch (error) {
    await environment.stop();
    throw error;
  }
}

export async function produce(producer: Producer, values: string[]): Promise<void> {
  await producer.send({ topic: TOPIC, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
}

/**
 * A consumer in `groupId` that collects every message value it gets, committing after each
 * one (kafkajs's own JoinGroup / SyncGroup / OffsetCommit path). Disconnect it when done.
 */
export async function startConsumer(kafka: Kafka, groupId: string): Promise<{ consumer: Consumer; values: string[] }> {
  // A short fetch wait lets disconnect() return at once instead of after kafkajs's 5 s long poll.
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, retry: { retries: 5, initialRetryTime: 50 } });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? '');
    },
  });
  return { consumer, values };
}

/** Committed offsets of a group on TOPIC, partition -> offset ("-1" when none). */
export async function committedOffsets(kafka: Kafka, groupId: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return Object.fromEntries((topic?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** A group name whose coordinator shard differs from `avoid`'s, so one failure does not hit both. */
export function groupOnAnotherShard(prefix: string, avoid: string): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`;
    if (partitionForGroup(name, OFFSETS_PARTITIONS) !== partitionForGroup(avoid, OFFSETS_PARTITIONS)) return name;
  }
}

/** The signed link from the approval mail, and the signed-CLI commands' arguments when the stack offers them. */
export function approvalMailParts(mail: PublishedMessage): { link: string; approve: string[] | null; reject: string[] | null } {
  const link = /(http:\/\/127\.0\.0\.1:\d+\/\?\S+)/.exec(mail.message)?.[1];
  if (!link) throw new Error(`the approval mail has no link:\n${mail.message}`);
  const args = (verb: 'approve' | 'reject'): string[] | null => {
    const line = mail.message.split('\n').find((l) => l.trim().startsWith(`coordinator-recovery ${verb} `));
    // The mail quotes only what needs it (the REASON placeholder); local ARNs and URLs need none.
    return line === undefined ? null : line.trim().split(' ').slice(2).map((arg) => arg.replace(/^'(.*)'$/, '$1'));
  };
  return { link, approve: args('approve'), reject: args('reject') };
}

/** Where RequestApproval keeps the task token (the encrypted bucket), for an operator with states:SendTaskSuccess. */
export function storedTaskToken(incident: Incident, executionArn: string, bucket: string): string {
  const name = executionArn.split(':');
  const text = incident.aws.s3.readText(bucket, `executions/${name[6]}/${name[7]}/approval-request.json`);
  if (text === undefined) throw new Error(`no approval-request.json for ${executionArn}`);
  return (JSON.parse(text) as { taskToken: string }).taskToken;
}
