/**
 * Who may decide a plan, and when enough approvals have arrived. Two paths exist: the signed link
 * (whoever holds the mail; the name is typed, not verified) and the IAM path (a SigV4-signed
 * request whose caller ARN AWS verified). Because a link approver's name proves nothing, only
 * IAM principals count as distinct approvers when two are required; a reject from either path
 * always rejects.
 */
import { RecoveryError } from '../errors.ts';

export const APPROVAL_MODES = ['link', 'iam', 'both'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export interface ApprovalSettings {
  mode: ApprovalMode;
  /** 1 or 2 distinct approvers before the task token is sent. */
  required: 1 | 2;
}

export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = { mode: 'link', required: 1 };

/** Reads the two environment values the stack sets; a wrong one is a deployment mistake. */
export function parseApprovalSettings(mode: string | undefined, required: string | undefined): ApprovalSettings {
  const settings: ApprovalSettings = { ...DEFAULT_APPROVAL_SETTINGS };
  if (mode !== undefined) {
    if (!(APPROVAL_MODES as readonly string[]).includes(mode)) {
      throw new RecoveryError('CONFIGURATION', `Environment variable APPROVAL_MODE is "${mode}"; use one of ${APPROVAL_MODES.join(', ')} (recovery:approvalMode)`, {
        details: { variable: 'APPROVAL_MODE' },
      });
    }
    settings.mode = mode as ApprovalMode;
  }
  if (required !== undefined) {
    if (required !== '1' && required !== '2') {
      throw new RecoveryError('CONFIGURATION', `Environment variable APPROVALS_REQUIRED is "${required}"; use 1 or 2 (recovery:approvalsRequired)`, {
        details: { variable: 'APPROVALS_REQUIRED' },
      });
    }
    settings.required = required === '2' ? 2 : 1;
  }
  if (settings.required === 2 && settings.mode === 'link') {
    throw new RecoveryError('CONFIGURATION', 'APPROVALS_REQUIRED is 2 but APPROVAL_MODE is link: two distinct approvers need the IAM path (recovery:approvalMode iam or both)', {
      details: { variable: 'APPROVAL_MODE' },
    });
  }
  return settings;
}

export type Decision = 'approve' | 'reject';

/** What the link page offers; an empty list shows the plan only. */
export function linkDecisions(settings: ApprovalSettings): Decision[] {
  if (settings.mode === 'iam') return [];
  // A typed name is no identity: with two approvers required the link may still stop a bad plan.
  if (settings.required === 2) return ['reject'];
  return ['approve', 'reject'];
}

/** null when the link may take this decision, else why not (for the refusal page). */
export function linkRefusal(settings: ApprovalSettings, decision: Decision): string | null {
  if (linkDecisions(settings).includes(decision)) return null;
  if (settings.mode === 'iam') return 'This stack takes decisions only from IAM-authenticated callers (recovery:approvalMode is iam); use the coordinator-recovery approve or reject command from the approval message.';
  return 'This stack needs two different IAM principals to approve (recovery:approvalsRequired is 2); approve with the coordinator-recovery approve command from the approval message. The link can still reject.';
}

export function iamMayDecide(settings: ApprovalSettings): boolean {
  return settings.mode !== 'link';
}

/** One approval as stored: who (verified caller ARN), when, and what they said. */
export interface RecordedApproval {
  principalArn: string;
  at: string; // ISO-8601
  comment: string | null;
}

/** Numbered places for approvals (1..required), each created at most once (S3 If-None-Match: *). */
export interface ApprovalSlotStore {
  read(slot: number): Promise<RecordedApproval | null>;
  /** true when this call created the slot, false when it already existed. */
  create(slot: number, approval: RecordedApproval): Promise<boolean>;
  /** Empties a slot whose approval never reached Step Functions. */
  release(slot: number): Promise<void>;
}

export type QuorumResult =
  /** This approval completed the quorum: send the task token now (slot is the last one). */
  | { kind: 'COMPLETE'; approvals: RecordedApproval[]; slot: number }
  /** Recorded; more approvals from other principals are needed. */
  | { kind: 'WAITING'; approvals: RecordedApproval[]; missing: number }
  /** This principal already approved; the same principal twice does not count. */
  | { kind: 'DUPLICATE'; approvals: RecordedApproval[] }
  /** Every slot is taken by others: the decision was already made. */
  | { kind: 'ALREADY_COMPLETE'; approvals: RecordedApproval[] };

/**
 * Adds one approval. Slots fill in order and each is created once, so two concurrent approvers
 * cannot both complete the quorum, and one principal cannot fill two slots (it would find
 * itself in the earlier one).
 */
export async function addApproval(store: ApprovalSlotStore, approval: RecordedApproval, required: number): Promise<QuorumResult> {
  const earlier: RecordedApproval[] = [];
  for (let slot = 1; slot <= required; slot += 1) {
    let existing = await store.read(slot);
    if (existing === null) {
      if (await store.create(slot, approval)) {
        const approvals = [...earlier, approval];
        return slot === required ? { kind: 'COMPLETE', approvals, slot } : { kind: 'WAITING', approvals, missing: required - slot };
      }
      existing = await store.read(slot);
      if (existing === null) throw new RecoveryError('AWS_ERROR', `approval slot ${slot} was taken and then vanished; try again`, { retryable: true });
    }
    if (existing.principalArn === approval.principalArn) return { kind: 'DUPLICATE', approvals: [...earlier, existing] };
    earlier.push(existing);
  }
  return { kind: 'ALREADY_COMPLETE', approvals: earlier };
}
