/**
 * The end-to-end scene on the incident environment the demo also plays on
 * (`local/incident/environment.ts`): topic `orders` with 3 partitions and a connected producer.
 * Also the application's, the approver's and the operator's side: consumers that commit and
 * resume, OffsetFetch, the approval mail and its link, what the run's steps answered and stored.
 */
import type { Kafka, Producer } from 'kafkajs';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { ArtifactRef, PlanTargetOutput, RecoveryPlan } from '../../lambdas/core/workflow/documents.ts';
import type { AwsStandins, PublishedMessage } from '../../local/aws/index.ts';
import { isApprovalRequest } from '../../local/demo/scenario.ts';
import { OFFSETS_PARTITIONS, startIncidentEnvironment, type IncidentEnvironment, type IncidentEnvironmentOptions } from '../../local/incident/environment.ts';
import type { LocalExecution } from '../../local/stepfunctions/index.ts';
import { consumeAll } from '../integration/kafka/helpers.ts';
import { committedOffsets as committedOffsetsOn } from '../support/committed-offsets.ts';
import { readUntilAll as readTopicUntilAll } from '../support/consume.ts';

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

/** Before the incident: `groupId` consumes the first `count` messages of TOPIC, committing each, and leaves. */
export async function consumeAndLeave(kafka: Kafka, groupId: string, count: number): Promise<void> {
  const consumer = await consumeAll(kafka, groupId, TOPIC, count);
  await consumer.disconnect();
}

/** After the recovery: what a consumer of `groupId` reads of TOPIC until every value of `expected` has arrived (test/support's readUntilAll). */
export function readUntilAll(kafka: Kafka, groupId: string, expected: readonly string[]): Promise<string[]> {
  return readTopicUntilAll(kafka, groupId, TOPIC, expected);
}

/** Committed offsets of a group on TOPIC, partition -> offset ("-1" when none). */
export function committedOffsets(kafka: Kafka, groupId: string): Promise<Record<number, string>> {
  return committedOffsetsOn(kafka, groupId, TOPIC);
}

/** A group name whose coordinator shard differs from `avoid`'s, so one failure does not hit both. */
export function groupOnAnotherShard(prefix: string, avoid: string): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`;
    if (partitionForGroup(name, OFFSETS_PARTITIONS) !== partitionForGroup(avoid, OFFSETS_PARTITIONS)) return name;
  }
}

/**
 * The approval mail of `execution`, matched as the demo matches it (isApprovalRequest). If the run
 * ends first, fails at once with its outcome and every step it took.
 */
export function approvalMail(aws: AwsStandins, execution: LocalExecution, timeoutMs = 45_000): Promise<PublishedMessage> {
  const endedFirst = execution.done.then((outcome) => {
    const steps = execution.invocations.map((i) => `${i.state}${i.error ? ` (${i.error.name}: ${i.error.cause})` : ''}`);
    throw new Error(`the run ended before asking for approval: ${JSON.stringify(outcome)}; steps: ${steps.join(', ')}`);
  });
  return Promise.race([aws.sns.waitForMessage((m) => isApprovalRequest(m, execution.executionArn), { timeoutMs }), endedFirst]);
}

/** The approval page's form, submitted to the signed link as a browser would. */
export function submitOnLink(link: string, form: { decision: 'approve' | 'reject'; approver: string; comment?: string }): Promise<Response> {
  return fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

/** The output of the first successful invocation of `state`; fails naming every step the run took. */
export function invocationOutput<T>(execution: LocalExecution, state: string): T {
  const invocation = execution.invocations.find((i) => i.state === state && i.output !== undefined);
  if (!invocation) throw new Error(`${state} was not invoked successfully; invocations: ${execution.invocations.map((i) => `${i.state}${i.error ? ` (${i.error.name})` : ''}`).join(', ')}`);
  return invocation.output as T;
}

/** A document a step stored in the artifacts bucket (the state carries only its reference). */
export function storedDocument<T>(aws: AwsStandins, ref: Pick<ArtifactRef, 'bucket' | 'key'>): T {
  const text = aws.s3.readText(ref.bucket, ref.key);
  if (text === undefined) throw new Error(`nothing stored at s3://${ref.bucket}/${ref.key}`);
  return JSON.parse(text) as T;
}

/** The target group PlanTarget chose for `sourceGroup`, read from the plan it stored. */
export function plannedTarget(aws: AwsStandins, execution: LocalExecution, sourceGroup: string): string {
  const plan = storedDocument<RecoveryPlan>(aws, invocationOutput<PlanTargetOutput>(execution, 'PlanTarget').plan);
  const group = plan.groups.find((g) => g.sourceGroup === sourceGroup);
  if (!group) throw new Error(`the plan has no group ${sourceGroup}`);
  return group.targetGroup;
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
