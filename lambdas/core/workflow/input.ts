/**
 * The execution input as a person or EventBridge writes it, checked and normalized into the
 * RecoveryRequest every later step carries.
 */
import { invalidInput } from '../errors.ts';
import { AUTH_MODES, type AuthMode, type ExecutionInput, type RecoveryRequest } from './documents.ts';
import { matchesNamePattern } from './name-pattern.ts';
import { describeValue, optionalBoolean, optionalString, requireObject, requireString, rejectUnknownKeys, type JsonObject } from './fields.ts';

export const DEFAULT_LOOKBACK_MINUTES = 120;
/** Scanning further back than this is almost always a mistake in the input (ms vs s, a year typo). */
export const MAX_WINDOW_DAYS = 31;

export const CLUSTER_ARN_PATTERN = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):cluster\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/;
/** Kafka group ids may be almost anything; these limits keep names usable in S3 keys, IAM and shells. */
const GROUP_ID_PATTERN = /^[A-Za-z0-9._\-:]{1,249}$/;

/** Every field the execution input may have; anything else is refused with a "did you mean" hint. */
export const EXECUTION_INPUT_KEYS = [
  'clusterArn',
  'groups',
  'since',
  'until',
  'lookbackMinutes',
  'targetNames',
  'overwriteExistingTargetOffsets',
  'restoreInPlace',
  'authMode',
  'trigger',
  'comment',
] as const satisfies readonly (keyof ExecutionInput)[];

export interface ExecutionInputContext {
  executionArn: string;
  /** ISO-8601 execution start ($$.Execution.StartTime); the default window end. */
  startTime?: string;
  /**
   * targetGroupPattern: the stack's recovery:targetGroupPattern; target names outside it would
   * be refused by IAM (or, with SCRAM/TLS, escape the guard that keeps the runbook off other groups).
   */
  defaults: { clusterArn?: string; authMode?: AuthMode; lookbackMinutes?: number; targetGroupPattern?: string };
  now?: () => number;
}

const EXAMPLE_INPUT =
  'Example: {"clusterArn":"arn:aws:kafka:us-east-1:123456789012:cluster/orders/abcd-1234","groups":["billing"],"lookbackMinutes":120}';

export function validateGroupId(value: unknown, field: string): string {
  const groupId = requireString(value, field, 'Give the consumer group id exactly as your consumers configure it');
  if (!GROUP_ID_PATTERN.test(groupId)) {
    throw invalidInput(field, `${describeValue(groupId)} is not a usable group id`, 'Use 1-249 characters from letters, digits, ".", "_", "-", ":"');
  }
  return groupId;
}

function parseInstant(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Epoch seconds are a common slip; 1e11 ms is 1973, 1e11 s is year 5138.
    if (value < 1e11) throw invalidInput(field, `${value} looks like epoch seconds`, 'Give epoch milliseconds or an ISO-8601 time such as 2026-11-24T21:00:00Z');
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed) && /\d{4}-\d{2}-\d{2}/.test(value)) return parsed;
  }
  throw invalidInput(field, `${describeValue(value)} is not a time`, 'Give an ISO-8601 time such as 2026-11-24T21:00:00Z, or epoch milliseconds');
}

function parseGroups(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw invalidInput('groups', `must be an array of group ids, got ${describeValue(value)}`, 'Write "groups": ["my-group"], or omit it to recover every group on the failed shards');
  }
  const groups = value.map((group, index) => validateGroupId(group, `groups[${index}]`));
  return [...new Set(groups)].sort();
}

function parseTargetNames(value: unknown, groups: string[], pattern: string | undefined): Record<string, string> {
  if (value === undefined || value === null) return {};
  const map = requireObject(value, 'targetNames', 'Write "targetNames": {"source-group": "new-group-name"}');
  const result: Record<string, string> = {};
  const targets = new Map<string, string>();
  for (const [source, target] of Object.entries(map)) {
    validateGroupId(source, `targetNames key "${source}"`);
    const name = validateGroupId(target, `targetNames.${source}`);
    if (name === source) throw invalidInput(`targetNames.${source}`, 'is the broken group itself', 'Name a new group; the broken one cannot take commits');
    if (pattern !== undefined && !matchesNamePattern(name, pattern)) {
      throw invalidInput(
        `targetNames.${source}`,
        `"${name}" is outside the groups this stack may write to (recovery:targetGroupPattern "${pattern}")`,
        `Pick a name that matches it, e.g. "${source}-recovered-1", omit it for a suggested one, or redeploy with a wider recovery:targetGroupPattern`,
      );
    }
    const clash = targets.get(name);
    if (clash !== undefined) throw invalidInput(`targetNames.${source}`, `"${name}" is also the target of "${clash}"`, 'Give each source group its own target name');
    if (groups.length > 0 && !groups.includes(source)) {
      throw invalidInput(`targetNames.${source}`, `"${source}" is not in groups`, 'Add it to groups, or remove its target name');
    }
    targets.set(name, source);
    result[source] = name;
  }
  return result;
}

/**
 * Restoring in place writes to the source groups themselves, so they must be groups the stack may
 * write to; a target name would contradict it.
 */
function parseRestoreInPlace(value: unknown, groups: string[], targetNames: Record<string, string>, pattern: string | undefined): boolean {
  const inPlace = optionalBoolean(value, 'restoreInPlace', 'Use true to commit the recovered offsets back into each group itself (it must have no members), false (default) for a new group') ?? false;
  if (!inPlace) return false;
  const named = Object.keys(targetNames);
  if (named.length > 0) {
    throw invalidInput('restoreInPlace', `is true, but targetNames gives "${named[0]}" a new group`, 'Drop targetNames to restore every group in place, or drop restoreInPlace to recover into the named groups');
  }
  const outside = pattern === undefined ? undefined : groups.find((group) => !matchesNamePattern(group, pattern));
  if (outside !== undefined) {
    throw invalidInput(
      'restoreInPlace',
      `would write to "${outside}", outside the groups this stack may write to (recovery:targetGroupPattern "${pattern}")`,
      'Drop restoreInPlace to recover into a new group, or redeploy with a recovery:targetGroupPattern that covers the source groups',
    );
  }
  return true;
}

/**
 * The stack's auth mode is fixed: its IAM statements, secrets and listener were chosen for it,
 * so an input may repeat it but never pick another (e.g. plaintext to sidestep authentication).
 */
function parseAuthMode(value: unknown, stackMode: AuthMode | undefined): AuthMode {
  if (value === undefined || value === null) {
    if (stackMode) return stackMode;
    throw invalidInput('authMode', 'is missing and the stack sets no default', `Set "authMode" to one of ${AUTH_MODES.join(', ')}`);
  }
  if (typeof value !== 'string' || !(AUTH_MODES as readonly string[]).includes(value)) {
    throw invalidInput('authMode', `${describeValue(value)} is not an auth mode`, `Use one of ${AUTH_MODES.join(', ')}`);
  }
  if (stackMode !== undefined && value !== stackMode) {
    throw invalidInput(
      'authMode',
      `"${value}" is not this stack's auth mode ("${stackMode}"); the stack's permissions and credentials are for "${stackMode}" only`,
      'Leave authMode out of the input, or redeploy the stack with -c recovery:authMode=<mode>',
    );
  }
  return value as AuthMode;
}

function parseWindow(input: JsonObject, context: ExecutionInputContext): { since: number; until: number } {
  const now = context.now?.() ?? Date.now();
  const start = context.startTime !== undefined ? Date.parse(context.startTime) : NaN;
  const until = input['until'] !== undefined && input['until'] !== null ? parseInstant(input['until'], 'until') : Number.isNaN(start) ? now : start;
  const hasSince = input['since'] !== undefined && input['since'] !== null;
  const hasLookback = input['lookbackMinutes'] !== undefined && input['lookbackMinutes'] !== null;
  if (hasSince && hasLookback) {
    throw invalidInput('lookbackMinutes', 'cannot be combined with since', 'Give either since (and optionally until) or lookbackMinutes');
  }
  let since: number;
  if (hasSince) {
    since = parseInstant(input['since'], 'since');
  } else {
    const lookback = hasLookback ? input['lookbackMinutes'] : (context.defaults.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES);
    if (typeof lookback !== 'number' || !Number.isFinite(lookback) || lookback <= 0) {
      throw invalidInput('lookbackMinutes', `${describeValue(lookback)} is not a positive number of minutes`, 'Use e.g. 120 for the last two hours');
    }
    since = until - Math.round(lookback * 60_000);
  }
  if (since >= until) {
    throw invalidInput(hasSince ? 'since' : 'lookbackMinutes', `the window start ${new Date(since).toISOString()} is not before its end ${new Date(until).toISOString()}`, 'Make since earlier than until');
  }
  if (until - since > MAX_WINDOW_DAYS * 86_400_000) {
    throw invalidInput(hasSince ? 'since' : 'lookbackMinutes', `the window spans more than ${MAX_WINDOW_DAYS} days`, 'Narrow it to the hours around the incident');
  }
  if (until > now + 5 * 60_000) {
    throw invalidInput('until', `${new Date(until).toISOString()} is in the future`, 'Omit until to end the window at the execution start');
  }
  return { since, until };
}

function parseTrigger(value: unknown): RecoveryRequest['trigger'] {
  if (value === undefined || value === null) return { source: 'console', alarmName: null, alarmTime: null };
  const trigger = requireObject(value, 'trigger', 'Write "trigger": {"source": "cli"} or omit it');
  rejectUnknownKeys(trigger, ['source', 'alarmName', 'alarmTime'], 'trigger');
  const source = trigger['source'];
  if (source !== 'console' && source !== 'cli' && source !== 'alarm') {
    throw invalidInput('trigger.source', `${describeValue(source)} is not a trigger source`, 'Use "console", "cli" or "alarm"');
  }
  return {
    source,
    alarmName: optionalString(trigger['alarmName'], 'trigger.alarmName', 'Give the alarm name or omit it') ?? null,
    alarmTime: optionalString(trigger['alarmTime'], 'trigger.alarmTime', 'Give the alarm time or omit it') ?? null,
  };
}

/** Checks the raw execution input; every error names the field and the fix. */
export function validateExecutionInput(raw: unknown, context: ExecutionInputContext): RecoveryRequest {
  const input = requireObject(raw ?? {}, 'input', `The execution input must be a JSON object. ${EXAMPLE_INPUT}`);
  rejectUnknownKeys(input, EXECUTION_INPUT_KEYS, '');

  const clusterArn = input['clusterArn'] ?? context.defaults.clusterArn;
  if (clusterArn === undefined) throw invalidInput('clusterArn', 'is missing', `Give the MSK cluster ARN. ${EXAMPLE_INPUT}`);
  if (typeof clusterArn !== 'string' || !CLUSTER_ARN_PATTERN.test(clusterArn)) {
    throw invalidInput(
      'clusterArn',
      `${describeValue(clusterArn)} is not an MSK cluster ARN`,
      'Use the form arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> (aws kafka list-clusters-v2 prints it)',
    );
  }
  if (context.defaults.clusterArn !== undefined && clusterArn !== context.defaults.clusterArn) {
    throw invalidInput('clusterArn', `this stack serves ${context.defaults.clusterArn}, not ${clusterArn}`, 'Omit clusterArn, or deploy a stack for the other cluster (IAM is scoped to one)');
  }
  const region = CLUSTER_ARN_PATTERN.exec(clusterArn)![1]!;

  const groups = parseGroups(input['groups']);
  const targetNames = parseTargetNames(input['targetNames'], groups, context.defaults.targetGroupPattern);
  const overwrite = optionalBoolean(input['overwriteExistingTargetOffsets'], 'overwriteExistingTargetOffsets', 'Use true to overwrite offsets a target group already has, false (default) to stop') ?? false;
  const restoreInPlace = parseRestoreInPlace(input['restoreInPlace'], groups, targetNames, context.defaults.targetGroupPattern);
  const comment = optionalString(input['comment'], 'comment', 'Give free text or omit it') ?? null;

  return {
    clusterArn,
    region,
    groups,
    window: parseWindow(input, context),
    targetNames,
    overwriteExistingTargetOffsets: overwrite,
    restoreInPlace,
    authMode: parseAuthMode(input['authMode'], context.defaults.authMode),
    executionArn: requireString(context.executionArn, 'executionArn', 'Pass $$.Execution.Id in the Diagnose payload'),
    trigger: parseTrigger(input['trigger']),
    comment,
  };
}

/**
 * Re-checks a RecoveryRequest carried between steps (it came from Diagnose, but a person can
 * start any step by hand while debugging, and a malformed one must not reach Kafka).
 */
export function parseRecoveryRequest(raw: unknown, field = 'request'): RecoveryRequest {
  const request = requireObject(raw, field, 'Pass the request object Diagnose produced ($.diagnosis.request)');
  const clusterArn = requireString(request['clusterArn'], `${field}.clusterArn`, 'Pass the request Diagnose produced');
  if (!CLUSTER_ARN_PATTERN.test(clusterArn)) throw invalidInput(`${field}.clusterArn`, 'is not an MSK cluster ARN', 'Pass the request Diagnose produced');
  const window = requireObject(request['window'], `${field}.window`, 'Pass the request Diagnose produced');
  if (typeof window['since'] !== 'number' || typeof window['until'] !== 'number' || window['since'] >= window['until']) {
    throw invalidInput(`${field}.window`, 'must be {since, until} in epoch ms with since < until', 'Pass the request Diagnose produced');
  }
  const groups = request['groups'] ?? [];
  if (!Array.isArray(groups)) throw invalidInput(`${field}.groups`, 'must be an array', 'Pass the request Diagnose produced');
  groups.forEach((group, index) => validateGroupId(group, `${field}.groups[${index}]`));
  const targetNames = requireObject(request['targetNames'] ?? {}, `${field}.targetNames`, 'Pass the request Diagnose produced');
  for (const [source, target] of Object.entries(targetNames)) validateGroupId(target, `${field}.targetNames.${source}`);
  const trigger = request['trigger'] as RecoveryRequest['trigger'] | undefined;
  return {
    clusterArn,
    region: CLUSTER_ARN_PATTERN.exec(clusterArn)![1]!,
    groups: groups as string[],
    window: { since: window['since'], until: window['until'] },
    targetNames: targetNames as Record<string, string>,
    overwriteExistingTargetOffsets: request['overwriteExistingTargetOffsets'] === true,
    restoreInPlace: request['restoreInPlace'] === true,
    authMode: parseAuthMode(request['authMode'], undefined),
    executionArn: requireString(request['executionArn'], `${field}.executionArn`, 'Pass the request Diagnose produced'),
    trigger: trigger ?? { source: 'console', alarmName: null, alarmTime: null },
    comment: typeof request['comment'] === 'string' ? request['comment'] : null,
  };
}
