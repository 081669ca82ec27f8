/**
 * Parsers for each step's input. Step Functions builds these from the state, but anyone can
 * invoke a Lambda by hand while debugging, so every field is checked and named on error.
 */
import { invalidInput } from '../errors.ts';
import type { ScanSegment } from '../model.ts';
import type {
  ApprovalDecision,
  ArtifactRef,
  BlastRadiusInput,
  MergeProgress,
  MergeSegmentsInput,
  PlanSegmentsInput,
  ShardSegmentsPlan,
  DiagnoseInput,
  FailedShard,
  NotifyFailureInput,
  PlanTargetOutput,
  ReadOffsetsInput,
  ReadOffsetsItemInput,
  ReadOffsetsOutput,
  ReadOffsetsResults,
  RecoveryRequest,
  SeedOffsetsOutput,
  ShardScanProgress,
} from './documents.ts';
import { optionalString, requireArray, requireInteger, requireObject, requireString, type JsonObject } from './fields.ts';
import { parseRecoveryRequest, validateGroupId } from './input.ts';
import { parseApprovalIncident, type ApprovalIncident } from './approval-incident.ts';

const FROM_STATE = 'The state machine passes it; when invoking by hand, copy it from the previous step output';

export function parseDiagnoseInput(raw: unknown): DiagnoseInput {
  const event = requireObject(raw, 'event', 'Invoke Diagnose with {"input": <execution input>, "executionArn": "..."}');
  return {
    input: event['input'] ?? {},
    executionArn: requireString(event['executionArn'], 'executionArn', 'Pass $$.Execution.Id as executionArn in the Diagnose payload'),
    startTime: optionalString(event['startTime'], 'startTime', 'Pass $$.Execution.StartTime or omit it'),
  };
}

export function parseFailedShard(raw: unknown, field: string): FailedShard {
  const shard = requireObject(raw, field, FROM_STATE);
  const groups = shard['groups'];
  return {
    partition: requireInteger(shard['partition'], `${field}.partition`, 'Give the __consumer_offsets partition number', { min: 0, max: 100_000 }),
    brokerId: requireInteger(shard['brokerId'], `${field}.brokerId`, 'Give the broker that leads the partition', { min: -1 }),
    groups: groups === null || groups === undefined ? null : requireArray(groups, `${field}.groups`, FROM_STATE).map((g, i) => validateGroupId(g, `${field}.groups[${i}]`)),
  };
}

export function parseBlastRadiusInput(raw: unknown): BlastRadiusInput {
  const event = requireObject(raw, 'event', 'Invoke BlastRadius with {"request": ..., "shard": {...}}');
  const input: BlastRadiusInput = { request: parseRecoveryRequest(event['request']), shard: parseFailedShard(event['shard'], 'shard') };
  if (event['segment'] !== undefined && event['segment'] !== null) input.segment = parseScanSegment(event['segment'], 'segment');
  if (event['scan'] !== undefined && event['scan'] !== null) input.scan = parseShardScanProgress(event['scan'], 'scan');
  return input;
}

/** Which BlastRadius phase an event asks for: plan, merge, or (no phase) a scan. */
export function blastRadiusPhaseOf(raw: unknown): 'plan' | 'scan' | 'merge' {
  const phase = (raw !== null && typeof raw === 'object' ? (raw as JsonObject)['phase'] : undefined) ?? 'scan';
  if (phase === 'plan' || phase === 'scan' || phase === 'merge') return phase;
  throw invalidInput('phase', `expected plan, scan or merge, got ${JSON.stringify(phase)}`, 'Omit phase to scan; the state machine passes plan and merge itself.');
}

export function parsePlanSegmentsInput(raw: unknown): PlanSegmentsInput {
  const event = requireObject(raw, 'event', 'Invoke BlastRadius with {"phase": "plan", "request": ..., "shard": {...}}');
  return { phase: 'plan', request: parseRecoveryRequest(event['request']), shard: parseFailedShard(event['shard'], 'shard') };
}

const FROM_PLAN = 'Pass the PlanSegments output ($.segments) unchanged';

function parseScanSegment(raw: unknown, field: string): ScanSegment {
  const segment = requireObject(raw, field, 'Pass one item of the segments file PlanSegments wrote');
  const offset = (name: string): string => {
    const value = requireString(segment[name], `${field}.${name}`, 'Give a log offset as a decimal string');
    if (!/^\d+$/.test(value)) throw invalidInput(`${field}.${name}`, `expected a log offset as a decimal string, got ${JSON.stringify(value)}`, 'Pass one item of the segments file PlanSegments wrote');
    return value;
  };
  const parsed: ScanSegment = { index: requireInteger(segment['index'], `${field}.index`, FROM_PLAN, { min: 0 }), fromOffset: offset('fromOffset'), toOffset: offset('toOffset') };
  if (BigInt(parsed.toOffset) < BigInt(parsed.fromOffset)) throw invalidInput(`${field}.toOffset`, `is below fromOffset ${parsed.fromOffset}`, 'Pass one item of the segments file PlanSegments wrote');
  return parsed;
}

function parseShardSegmentsPlan(raw: unknown, field: string): ShardSegmentsPlan {
  const plan = requireObject(raw, field, FROM_PLAN);
  const items = requireObject(plan['items'], `${field}.items`, FROM_PLAN);
  const results = requireObject(plan['results'], `${field}.results`, FROM_PLAN);
  if (plan['status'] !== 'PLANNED') throw invalidInput(`${field}.status`, `expected PLANNED, got ${JSON.stringify(plan['status'])}`, FROM_PLAN);
  return {
    status: 'PLANNED',
    partition: requireInteger(plan['partition'], `${field}.partition`, FROM_PLAN, { min: 0 }),
    brokerId: requireInteger(plan['brokerId'], `${field}.brokerId`, FROM_PLAN, { min: -1 }),
    segments: requireInteger(plan['segments'], `${field}.segments`, FROM_PLAN, { min: 1 }),
    estimatedBytes: requireInteger(plan['estimatedBytes'], `${field}.estimatedBytes`, FROM_PLAN, { min: 0 }),
    plan: parseArtifactRef(plan['plan'], `${field}.plan`),
    items: { bucket: requireString(items['bucket'], `${field}.items.bucket`, FROM_PLAN), key: requireString(items['key'], `${field}.items.key`, FROM_PLAN) },
    results: { bucket: requireString(results['bucket'], `${field}.results.bucket`, FROM_PLAN), prefix: requireString(results['prefix'], `${field}.results.prefix`, FROM_PLAN) },
  };
}

const FROM_MAP_RUN = 'Pass the ScanSegments Distributed Map output ($.segmentResults) unchanged';

export function parseMergeSegmentsInput(raw: unknown): MergeSegmentsInput {
  const event = requireObject(raw, 'event', 'Invoke BlastRadius with {"phase": "merge", "request", "shard", "segments", "results"}');
  const results = requireObject(event['results'], 'results', FROM_MAP_RUN);
  const details = requireObject(results['ResultWriterDetails'], 'results.ResultWriterDetails', FROM_MAP_RUN);
  return {
    phase: 'merge',
    request: parseRecoveryRequest(event['request']),
    shard: parseFailedShard(event['shard'], 'shard'),
    segments: parseShardSegmentsPlan(event['segments'], 'segments'),
    results: {
      MapRunArn: requireString(results['MapRunArn'], 'results.MapRunArn', FROM_MAP_RUN),
      ResultWriterDetails: { Bucket: requireString(details['Bucket'], 'results.ResultWriterDetails.Bucket', FROM_MAP_RUN), Key: requireString(details['Key'], 'results.ResultWriterDetails.Key', FROM_MAP_RUN) },
    },
    ...(event['merge'] === undefined || event['merge'] === null ? {} : { merge: parseMergeProgress(event['merge'], 'merge') }),
  };
}

const FROM_MERGE_CONTINUE = 'Pass the previous MergeSegments CONTINUE output as merge, or {"continuations": 0} to merge from the start';

function parseMergeProgress(raw: unknown, field: string): MergeProgress {
  const merge = requireObject(raw, field, FROM_MERGE_CONTINUE);
  const merged = merge['merged'];
  return {
    continuations: requireInteger(merge['continuations'] ?? 0, `${field}.continuations`, FROM_MERGE_CONTINUE, { min: 0 }),
    merged: merged === null || merged === undefined ? null : parseArtifactRef(merged, `${field}.merged`),
    groupsStored: requireInteger(merge['groupsStored'] ?? 0, `${field}.groupsStored`, FROM_MERGE_CONTINUE, { min: 0 }),
  };
}

const FROM_CONTINUE = 'Pass the previous BlastRadius CONTINUE output as scan, or omit scan to start the shard over';

function parseShardScanProgress(raw: unknown, field: string): ShardScanProgress {
  const scan = requireObject(raw, field, FROM_CONTINUE);
  const checkpoint = scan['checkpoint'];
  return {
    continuations: requireInteger(scan['continuations'] ?? 0, `${field}.continuations`, FROM_CONTINUE, { min: 0 }),
    checkpoint: checkpoint === null || checkpoint === undefined ? null : parseArtifactRef(checkpoint, `${field}.checkpoint`),
  };
}

/**
 * `{request, groupId, partition}`, or `{request, groupResultKey}` as the ReadOffsets Distributed
 * Map passes each listed object (the handler reads the group and shard from the key).
 */
export function parseReadOffsetsInput(raw: unknown): ReadOffsetsInput | ReadOffsetsItemInput {
  const event = requireObject(raw, 'event', 'Invoke ReadOffsets with {"request": ..., "groupId": "...", "partition": N} or {"request": ..., "groupResultKey": "..."}');
  if (event['groupResultKey'] !== undefined) {
    return { request: parseRecoveryRequest(event['request']), groupResultKey: requireString(event['groupResultKey'], 'groupResultKey', 'Pass the key of a group result the shard scan stored ($$.Map.Item.Value.Key)') };
  }
  return {
    request: parseRecoveryRequest(event['request']),
    groupId: validateGroupId(event['groupId'], 'groupId'),
    partition: requireInteger(event['partition'], 'partition', 'Give the group\'s __consumer_offsets partition, as its BlastRadius output names it', { min: 0, max: 100_000 }),
  };
}

export function parseArtifactRef(raw: unknown, field: string): ArtifactRef {
  const ref = requireObject(raw, field, FROM_STATE);
  return {
    bucket: requireString(ref['bucket'], `${field}.bucket`, FROM_STATE),
    key: requireString(ref['key'], `${field}.key`, FROM_STATE),
    bytes: requireInteger(ref['bytes'], `${field}.bytes`, FROM_STATE, { min: 0 }),
    sha256: requireString(ref['sha256'], `${field}.sha256`, FROM_STATE),
  };
}

/** Each item is a GroupRecovery inline or {artifact}; shape-checked lightly, fully when resolved. */
export function parseReadOffsetsOutputs(raw: unknown, field: string): ReadOffsetsOutput[] {
  const items = requireArray(raw, field, 'Pass the ReadOffsets Map output ($.groups)').flat();
  return items.map((item, index) => {
    const object = requireObject(item, `${field}[${index}]`, 'Pass the ReadOffsets Map output unchanged');
    if ('artifact' in object) return { artifact: parseArtifactRef(object['artifact'], `${field}[${index}].artifact`) };
    validateGroupId(object['groupId'], `${field}[${index}].groupId`);
    requireObject(object['offsets'], `${field}[${index}].offsets`, 'Pass the ReadOffsets Map output unchanged');
    requireObject(object['completeness'], `${field}[${index}].completeness`, 'Pass the ReadOffsets Map output unchanged');
    return object as unknown as ReadOffsetsOutput;
  });
}

function integerList(raw: unknown, field: string): number[] {
  return requireArray(raw ?? [], field, FROM_STATE).map((v, i) => requireInteger(v, `${field}[${i}]`, FROM_STATE, { min: -1 }));
}

/** The ReadOffsets Distributed Map's output (its ResultWriter's place), or an inline list of results. */
function parseReadOffsetsResults(raw: unknown, field: string): ReadOffsetsResults | ReadOffsetsOutput[] {
  if (Array.isArray(raw)) return parseReadOffsetsOutputs(raw, field);
  const results = requireObject(raw, field, 'Pass the ReadOffsets Map output ($.groups)');
  const details = requireObject(results['ResultWriterDetails'], `${field}.ResultWriterDetails`, 'Pass the ReadOffsets Map output ($.groups) unchanged');
  return {
    MapRunArn: requireString(results['MapRunArn'], `${field}.MapRunArn`, 'Pass the ReadOffsets Map output ($.groups) unchanged'),
    ResultWriterDetails: {
      Bucket: requireString(details['Bucket'], `${field}.ResultWriterDetails.Bucket`, 'Pass the ReadOffsets Map output ($.groups) unchanged'),
      Key: requireString(details['Key'], `${field}.ResultWriterDetails.Key`, 'Pass the ReadOffsets Map output ($.groups) unchanged'),
    },
  };
}

export function parsePlanTargetInput(raw: unknown): { request: RecoveryRequest; failedShards: number[]; failingBrokers: number[]; groups: ReadOffsetsResults | ReadOffsetsOutput[] } {
  const event = requireObject(raw, 'event', 'Invoke PlanTarget with {"request", "diagnosis", "groups"}');
  const diagnosis = requireObject(event['diagnosis'], 'diagnosis', 'Pass the Diagnose output ($.diagnosis)');
  return {
    request: parseRecoveryRequest(event['request']),
    failedShards: integerList(diagnosis['failedShards'], 'diagnosis.failedShards'),
    failingBrokers: integerList(diagnosis['failingBrokers'], 'diagnosis.failingBrokers'),
    groups: parseReadOffsetsResults(event['groups'], 'groups'),
  };
}

export function parsePlanTargetOutput(raw: unknown, field = 'plan'): PlanTargetOutput {
  const plan = requireObject(raw, field, 'Pass the PlanTarget output ($.plan)');
  const summary = requireObject(plan['summary'], `${field}.summary`, 'Pass the PlanTarget output ($.plan)');
  return {
    plan: parseArtifactRef(plan['plan'], `${field}.plan`),
    planSha256: requireString(plan['planSha256'], `${field}.planSha256`, 'Pass the PlanTarget output ($.plan)'),
    summary: summary as unknown as PlanTargetOutput['summary'],
  };
}

export function parseRequestApprovalInput(raw: unknown): { request: RecoveryRequest; plan: PlanTargetOutput; taskToken: string; incident: ApprovalIncident | null } {
  const event = requireObject(raw, 'event', 'Invoke RequestApproval with {"request", "plan", "taskToken"} and optionally "incident"');
  return {
    incident: parseApprovalIncident(event['incident']),
    request: parseRecoveryRequest(event['request']),
    plan: parsePlanTargetOutput(event['plan']),
    taskToken: requireString(event['taskToken'], 'taskToken', 'Use the .waitForTaskToken integration and pass $$.Task.Token as taskToken'),
  };
}

/**
 * The approver's --task-output. Only approved, planSha256 and approvedBy are required so that
 * the CLI command stays short; the rest is filled in.
 */
export function parseApprovalDecision(raw: unknown, field = 'approval', now: Date = new Date()): ApprovalDecision {
  const decision = requireObject(raw, field, 'Approve with --task-output \'{"approved":true,"planSha256":"<from the message>","approvedBy":"<your name>"}\'');
  if (decision['approved'] !== true) {
    throw invalidInput(`${field}.approved`, 'is not true', 'To approve send "approved": true; to reject use send-task-failure');
  }
  const channel = decision['channel'];
  const approvedAt = optionalString(decision['approvedAt'], `${field}.approvedAt`, 'Give an ISO-8601 time or omit it');
  if (approvedAt !== undefined && Number.isNaN(Date.parse(approvedAt))) {
    throw invalidInput(`${field}.approvedAt`, `"${approvedAt}" is not a time`, 'Give an ISO-8601 time or omit it');
  }
  const approvedBy = requireString(decision['approvedBy'], `${field}.approvedBy`, 'Say who approves: "approvedBy": "<your name>"');
  if (approvedBy === 'YOUR-NAME') throw invalidInput(`${field}.approvedBy`, 'still reads YOUR-NAME', 'Put your own name in the command before running it');
  return {
    approved: true,
    planSha256: requireString(decision['planSha256'], `${field}.planSha256`, 'Copy the plan sha256 from the approval message'),
    approvedBy,
    approvedAt: approvedAt ?? now.toISOString(),
    channel: channel === 'link' || channel === 'console' || channel === 'iam' ? channel : 'cli',
    approvalId: optionalString(decision['approvalId'], `${field}.approvalId`, 'Omit it') ?? null,
    comment: optionalString(decision['comment'], `${field}.comment`, 'Give free text or omit it') ?? null,
    ...(Array.isArray(decision['approvers']) ? { approvers: parseApprovers(decision['approvers'], `${field}.approvers`) } : {}),
  };
}

function parseApprovers(raw: unknown[], field: string): NonNullable<ApprovalDecision['approvers']> {
  return raw.map((item, index) => {
    const approver = requireObject(item, `${field}[${index}]`, 'Pass the approval endpoint\'s output unchanged');
    return {
      principalArn: requireString(approver['principalArn'], `${field}[${index}].principalArn`, 'Pass the approval endpoint\'s output unchanged'),
      at: requireString(approver['at'], `${field}[${index}].at`, 'Pass the approval endpoint\'s output unchanged'),
      comment: optionalString(approver['comment'], `${field}[${index}].comment`, 'Give free text or omit it') ?? null,
    };
  });
}

export function parseSeedOffsetsInput(raw: unknown, now?: Date): { request: RecoveryRequest; plan: PlanTargetOutput; approval: ApprovalDecision } {
  const event = requireObject(raw, 'event', 'Invoke SeedOffsets with {"request", "plan", "approval"}');
  return {
    request: parseRecoveryRequest(event['request']),
    plan: parsePlanTargetOutput(event['plan']),
    approval: parseApprovalDecision(event['approval'], 'approval', now),
  };
}

function parseSeedOutput(raw: unknown, field: string): SeedOffsetsOutput {
  const seed = requireObject(raw, field, 'Pass the SeedOffsets output ($.seed)');
  requireString(seed['planSha256'], `${field}.planSha256`, 'Pass the SeedOffsets output ($.seed)');
  requireObject(seed['groups'], `${field}.groups`, 'Pass the SeedOffsets output ($.seed)');
  parseArtifactRef(seed['fullResult'], `${field}.fullResult`);
  return seed as unknown as SeedOffsetsOutput;
}

export function parseVerifyInput(raw: unknown): { request: RecoveryRequest; plan: PlanTargetOutput; seed: SeedOffsetsOutput } {
  const event = requireObject(raw, 'event', 'Invoke Verify with {"request", "plan", "seed"}');
  return { request: parseRecoveryRequest(event['request']), plan: parsePlanTargetOutput(event['plan']), seed: parseSeedOutput(event['seed'], 'seed') };
}

export function parseReportInput(raw: unknown): JsonObject & { request: RecoveryRequest } {
  const event = requireObject(raw, 'event', 'Invoke Report with {"request", "diagnosis", ...}');
  const diagnosis = requireObject(event['diagnosis'], 'diagnosis', 'Pass the Diagnose output ($.diagnosis)');
  requireString(diagnosis['verdict'], 'diagnosis.verdict', 'Pass the Diagnose output ($.diagnosis)');
  requireObject(diagnosis['cluster'], 'diagnosis.cluster', 'Pass the Diagnose output ($.diagnosis)');
  requireObject(diagnosis['logSearch'], 'diagnosis.logSearch', 'Pass the Diagnose output ($.diagnosis)');
  for (const list of ['evidence', 'groups', 'failedShards', 'failingBrokers'] as const) {
    requireArray(diagnosis[list], `diagnosis.${list}`, 'Pass the Diagnose output ($.diagnosis)');
  }
  if (event['blastRadius'] !== undefined) requireArray(event['blastRadius'], 'blastRadius', 'Pass the BlastRadius Map output or omit it');
  if (event['plan'] !== undefined) parsePlanTargetOutput(event['plan']);
  if (event['seed'] !== undefined) parseSeedOutput(event['seed'], 'seed');
  if (event['verify'] !== undefined) parseArtifactRef(requireObject(event['verify'], 'verify', 'Pass the Verify output or omit it')['fullResult'], 'verify.fullResult');
  return { ...event, request: parseRecoveryRequest(event['request']) };
}

export function parseNotifyFailureInput(raw: unknown): NotifyFailureInput {
  const event = requireObject(raw, 'event', 'Invoke NotifyFailure with {"executionArn", "error": {"Error", "Cause"}}');
  const error = requireObject(event['error'], 'error', 'Use ResultPath $.error on the Catch and pass it as error');
  return {
    executionArn: requireString(event['executionArn'], 'executionArn', 'Pass $$.Execution.Id'),
    state: optionalString(event['state'], 'state', 'Pass $$.State.Name or omit it'),
    input: event['input'],
    error: {
      Error: typeof error['Error'] === 'string' ? error['Error'] : undefined,
      Cause: typeof error['Cause'] === 'string' ? error['Cause'] : undefined,
    },
  };
}
