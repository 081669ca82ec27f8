/** The words and tables of the story: one demo event in, the lines to print out. */
import type { DemoEvent } from './events.ts';
import { renderTable } from './table.ts';

export type LineStyle = 'heading' | 'plain' | 'evidence' | 'good' | 'bad';
export interface NarrationLine {
  style: LineStyle;
  text: string;
}

const heading = (text: string): NarrationLine[] => [{ style: 'plain', text: '' }, { style: 'heading', text }];
const say = (...texts: string[]): NarrationLine[] => texts.map((text) => ({ style: 'plain', text }));
const evidence = (texts: string[], indent = '    '): NarrationLine[] => texts.map((text) => ({ style: 'evidence', text: indent + text }));
const good = (text: string): NarrationLine => ({ style: 'good', text });
const bad = (text: string): NarrationLine => ({ style: 'bad', text });
const table = (columns: string[], rows: Array<Array<string | number | null>>): NarrationLine[] => renderTable({ columns, rows }, '    ').map((text) => ({ style: 'evidence', text }));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const PROBE_LINE = /probe group \S+ -> __consumer_offsets-(\d+) on broker (\d+) .*answered/;

/**
 * Diagnose probes every other shard of a failing broker with a throwaway group; one line per
 * shard drowns the story, so consecutive probe lines of a broker become one.
 */
export function collapseProbeLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  let pending: { prefix: string; broker: string; shards: string[] } | undefined;
  const summary = (run: { prefix: string; broker: string; shards: string[] }): string =>
    `${run.prefix}${run.shards.length} other shard(s) of broker ${run.broker} answer DescribeGroups (probe groups on __consumer_offsets-${run.shards.join(', ')})`;
  for (const line of lines) {
    const probe = PROBE_LINE.exec(line);
    if (probe !== null && pending !== undefined && pending.broker === probe[2]) {
      pending.shards.push(probe[1]!);
      continue;
    }
    if (pending) out.push(summary(pending));
    pending = undefined;
    if (probe === null) out.push(line);
    else pending = { prefix: line.slice(0, probe.index), broker: probe[2]!, shards: [probe[1]!] };
  }
  if (pending) out.push(summary(pending));
  return out;
}

export function narrate(event: DemoEvent): NarrationLine[] {
  switch (event.type) {
    case 'environment':
      return [
        ...heading(`1. A 3-broker Kafka cluster (${event.kafka}) and the AWS stand-ins, on this machine`),
        ...say(`Brokers (${event.kafka.startsWith('local') ? 'the real Kafka wire protocol' : 'Apache Kafka in KRaft mode on the JDK'}; __consumer_offsets has ${event.offsetsPartitions} partitions, as on MSK):`),
        ...table(['broker', 'address'], event.brokers.map((b) => [b.id, b.address])),
        ...say(
          'AWS stand-ins on their real wire protocols: CloudWatch Logs, MSK, Step Functions, SNS, S3, Secrets Manager.',
          `  MSK cluster        ${event.clusterArn}`,
          `  broker log group   ${event.logGroupName}`,
          `  state machine      ${event.stateMachineArn} (synthesized by CDK, run by the local runner)`,
        ),
      ];
    case 'topic':
      return say(`Topic '${event.topic}' created with ${event.partitions} partitions (kafkajs admin, replication 3).`);
    case 'produced':
      return [
        ...(event.phase === 'during-incident'
          ? [...heading('4. Orders keep coming while the group is stuck'), ...say('Nobody consumes them: the service is waiting for a partition assignment that never comes.')]
          : []),
        ...say(`Produced ${event.perPartition.reduce((n, p) => n + p.count, 0)} orders to '${event.topic}', each with a sequence number:`),
        ...table(['partition', 'orders', 'seq', 'offsets'], event.perPartition.map((p) => [p.partition, p.count, `${p.firstSeq}..${p.lastSeq}`, `${p.fromOffset}..${p.toOffset}`])),
      ];
    case 'group-consumed':
      return [
        ...heading(`2. '${event.group}' consumes part of the topic and commits`),
        ...say(`The service works through the backlog; it has handled ${event.perPartition.reduce((n, p) => n + p.processed, 0)} orders when it is restarted.`),
        ...table(['partition', 'handled', 'last seq'], event.perPartition.map((p) => [p.partition, p.processed, p.lastSeq])),
      ];
    case 'committed-offsets':
      return [
        ...say(`Producing pauses. The group's committed offsets (OffsetFetch to its coordinator, broker ${event.coordinator}, shard __consumer_offsets-${event.partition}):`),
        ...table(['partition', 'committed', 'log end', 'lag'], event.offsets.map((o) => [o.partition, o.committed, o.logEnd, o.committed === null ? null : o.logEnd - o.committed])),
      ];
    case 'coordinator-failed':
      return [
        ...heading(`3. The coordinator shard of '${event.group}' fails`),
        ...say(`failCoordinator(${event.partition}): __consumer_offsets-${event.partition} on broker ${event.brokerId} goes FAILED (a record it cannot replay, loaded after a leader move), as in the incident.`),
      ];
    case 'stuck-consumer': {
      const refusals = event.groupErrors.length === 0 ? ['(no error responses logged)'] : event.groupErrors.map((e) => `${e.api}: ${e.error} x${e.count}`);
      return [
        ...say(`The restarted '${event.group}' consumer:`),
        ...evidence([
          `FindCoordinator still answers: broker ${event.findCoordinator.brokerId} (${event.findCoordinator.address})`,
          `OffsetFetch: ${event.offsetFetchError}`,
          ...refusals.map((r) => `kafkajs got ${r}`),
          ...(event.restarts > 0 ? [`kafkajs gave up joining and restarted the consumer ${plural(event.restarts, 'time')} (it only logs this; the application sees nothing)`] : []),
        ]),
        event.assigned ? bad(`  It was assigned partitions: the shard is not failed.`) : good(`  No partition assignment after ${(event.waitedMs / 1000).toFixed(1)} s: stuck in "initializing".`),
      ];
    }
    case 'neighbour-group':
      return [
        ...say(`Meanwhile '${event.group}' (shard __consumer_offsets-${event.partition}, the same broker ${event.brokerId}) keeps working:`),
        event.committed
          ? good(`  joined, got ${plural(event.assignedPartitions, 'partition')}, consumed ${event.consumed} orders, committed. The broker is fine; one shard is not.`)
          : bad(`  it could not commit.`),
      ];
    case 'broker-log':
      return [
        ...say(`The broker log, as CloudWatch Logs holds it (FilterLogEvents on ${event.logGroupName}, pattern ${event.filterPattern}):`),
        ...(event.events.length === 0 ? [bad('    no matching lines')] : evidence(event.events.flatMap((e) => [`${e.stream}`, `  ${e.message}`]))),
      ];
    case 'runbook-started':
      return [
        ...heading('5. The runbook: the synthesized Step Functions state machine, real handlers, local runner'),
        ...say(`start-execution ${JSON.stringify(event.input)}`, `  ${event.executionArn}`),
      ];
    case 'runbook-state':
      return [{ style: 'plain', text: `  -> ${event.state}` }];
    case 'diagnosis':
      return [
        { style: event.verdict === 'COORDINATOR_FAILED' ? 'good' : 'bad', text: `     verdict ${event.verdict}: failed shards [${event.failedShards.join(', ')}], failing brokers [${event.failingBrokers.join(', ')}]` },
        ...evidence(collapseProbeLines(event.evidence.map((e) => `${e.kind.padEnd(8)} ${e.message}`)), '       '),
      ];
    case 'blast-radius':
      return evidence(
        [
          `broker ${event.brokerId}`,
          `  -> __consumer_offsets-${event.partition}`,
          `     -> groups ${event.affectedGroups.join(', ') || '(none)'}${event.groupsToRecover.length > 0 ? ` (recovering ${event.groupsToRecover.join(', ')})` : ''}`,
          `        -> topics ${event.topics.join(', ') || '(none)'}`,
        ],
        '       ',
      );
    case 'recovered-offsets':
      return [
        ...say(`       ${event.group}: offsets read from the raw log of __consumer_offsets-${event.offsetsPartition} (${plural(event.records, 'record')}), not from the coordinator:`),
        ...renderTable({ columns: ['topic', 'partition', 'offset', 'log end', 'lag', 'status'], rows: event.partitions.map((p) => [p.topic, p.partition, p.offset, p.logEnd, p.lag, p.status]) }, '       ').map((text) => ({ style: 'evidence' as const, text })),
        event.complete ? good(`       complete: every subscribed partition has an offset; total lag ${event.totalLag}`) : bad(`       incomplete: ${event.issues.join('; ')}`),
        ...say(...event.notes.map((n) => `       note: ${n}`)),
      ];
    case 'plan':
      return [
        ...say(`       plan: ${event.sourceGroup} -> ${event.targetGroup} (coordinator shard __consumer_offsets-${event.target.partition} on broker ${event.target.brokerId}, healthy)${event.blocked ? ' BLOCKED' : ''}`),
        ...renderTable({ columns: ['topic', 'partition', 'offset', 'lag', 'status'], rows: event.offsets.map((o) => [o.topic, o.partition, o.offset, o.lag, o.status]) }, '       ').map((text) => ({ style: 'evidence' as const, text })),
        ...say(`       total lag ${event.totalLag ?? '-'}; plan sha256 ${event.planSha256}`, ...event.warnings.map((w) => `       warning: ${w}`)),
      ];
    case 'approval-request':
      return [
        ...say('', 'The approver gets this message (SNS):', `  Subject: ${event.subject}`),
        ...evidence(event.message.split('\n'), '  | '),
      ];
    case 'decision':
      return event.approved
        ? [...heading('6. Approved: seeding, verification, report'), ...say(`Approved by ${event.by} (${event.reason}), through the signed link.`)]
        : [...heading('6. Rejected'), ...say(`Rejected by ${event.by} (${event.reason}), through the signed link.`)];
    case 'seeded':
      return [event.status === 'SEEDED' ? good(`       seeded ${event.targetGroup}: ${plural(event.committed, 'partition')} committed (OffsetCommit on its healthy coordinator)`) : bad(`       seeding ${event.targetGroup}: ${event.status} ${event.errors.join('; ')}`)];
    case 'verified':
      return [event.ok ? good(`       verified ${event.targetGroup}: OffsetFetch matches the plan on ${plural(event.matched, 'partition')}`) : bad(`       verification of ${event.targetGroup} failed: ${plural(event.mismatches, 'mismatch')}`)];
    case 'report':
      return [...say(`       report${event.subject ? ` (SNS: ${event.subject})` : ''}:`), ...evidence(collapseProbeLines(event.text.split('\n')), '       | ')];
    case 'not-approved':
      return [
        ...say(`The run ended in ${event.finalState} (${event.error}: ${event.cause}).`),
        event.targetOffsets === 0 && !event.seedInvoked
          ? good(`Nothing was written: SeedOffsets never ran and '${event.targetGroup}' has no committed offsets (OffsetFetch).`)
          : bad(`Something was written: ${event.targetOffsets} offsets on '${event.targetGroup}'${event.seedInvoked ? ', SeedOffsets ran' : ''}.`),
      ];
    case 'resume': {
      const c = event.check;
      return [
        ...say('', `The service restarts with group.id=${event.group} (fromBeginning, so a group without offsets would replay everything):`),
        ...table(
          ['partition', 'committed', 'first offset', 'expected', 'received', 'seq', 'lost', 'replayed', 'check'],
          c.partitions.map((p) => [p.partition, p.committedOffset, p.firstReceivedOffset, p.expected, p.received, p.firstSeq === null ? null : `${p.firstSeq}..${p.lastSeq}`, p.lost.length, p.replayed.length + p.duplicated.length, p.ok ? 'ok' : 'FAIL']),
        ),
        c.ok
          ? good(`Resumed exactly where the failed group stopped: ${c.received} of ${c.expected} orders, nothing lost, nothing replayed.`)
          : bad(`Did not resume cleanly: ${c.lost} lost, ${c.replayed} replayed, ${c.duplicated} duplicated (${c.received} received, ${c.expected} expected).`),
      ];
    }
    case 'rehearsal-loaded':
      return [
        ...heading(`Rehearsal at scale: ${plural(event.groups, 'group')} on __consumer_offsets-${event.shard} (leader: broker ${event.brokerId})`),
        ...say(
          `${event.commits.toLocaleString('en-US')} offset commits and ${plural(event.groups, 'group-metadata record')} bulk-loaded into the shard's log in ${(event.loadMs / 1000).toFixed(1)} s: ` +
            `${event.shardRecords.toLocaleString('en-US')} records, ${(event.shardBytes / 2 ** 20).toFixed(1)} MiB.`,
          `The groups read ${event.topics.map((t) => `${t.name} (${t.partitions})`).join(', ')}; each partition holds messages past every committed offset.`,
        ),
      ];
    case 'rehearsal-shard-failed':
      return say(
        `__consumer_offsets-${event.shard} fails on broker ${event.brokerId}: every group call for these groups answers NOT_COORDINATOR.`,
        event.lambdaTimeoutSeconds === null ? 'Every Lambda has its synthesized timeout.' : `Every Lambda stops at ${event.lambdaTimeoutSeconds} s, as Lambda would; a scan continues from its checkpoint.`,
      );
    case 'rehearsal-progress':
      return [{ style: 'plain', text: `  -> ${event.state} (${(event.elapsedMs / 1000).toFixed(1)} s: ${plural(event.invocations, 'Lambda invocation')}, ${plural(event.continuations, 'scan continuation')})` }];
    case 'rehearsal-checked':
      return [
        event.groupsVerified === event.groups
          ? good(`Every target group's OffsetFetch equals what its source group committed: ${event.groupsVerified} of ${event.groups}.`)
          : bad(`${event.groups - event.groupsVerified} of ${event.groups} target groups differ from what was committed.`),
        ...evidence(event.mismatches),
      ];
    case 'kept':
      return [
        ...heading('The cluster stays up (--keep); Ctrl-C stops it'),
        ...say(`bootstrap: ${event.bootstrapServers.join(',')}`, event.controlUrl === null ? 'real brokers: no control endpoint' : `control: ${event.controlUrl}`, `try: npx coordinator-recovery offsets orders-service --bootstrap ${event.bootstrapServers[0] ?? ''}`),
      ];
    case 'stopping':
      return heading('7. Stopping the cluster, the stand-ins and every client');
  }
}
