/** The approval request record shared by request-approval (writer) and approval-endpoint (reader). */
import type { ArtifactRef } from '../core/workflow/documents.ts';
import type { ApprovalLink, ApprovalMarkerStore } from '../core/workflow/approval-link.ts';
import type { ApprovalIncident } from '../core/workflow/approval-incident.ts';
import type { ApprovalSlotStore, RecordedApproval } from '../core/workflow/approval-quorum.ts';
import { approvalConsumedKey, approvalSlotKey, deleteObject, getJsonIfExists, putJsonIfAbsent, type ArtifactStore } from '../aws/artifacts.ts';

export interface ApprovalRequestRecord {
  approvalId: string;
  executionArn: string;
  taskToken: string;
  plan: ArtifactRef;
  planSha256: string;
  region: string;
  createdAt: string;
  expiresAt: number; // epoch seconds
  /** Verdict, evidence and blast radius for the page; absent in records written before it existed. */
  incident?: ApprovalIncident | null;
  /** The signed-CLI commands of the mail (modes iam and both), shown on the page too. */
  cliCommands?: { approve: string; reject: string } | null;
}

export function s3MarkerStore(store: ArtifactStore): ApprovalMarkerStore {
  return {
    createIfAbsent: async (link: ApprovalLink, record: unknown) =>
      (await putJsonIfAbsent(store, approvalConsumedKey(link.executionArn, link.approvalId), record)) !== null,
    release: async (link: ApprovalLink) => deleteObject(store, approvalConsumedKey(link.executionArn, link.approvalId)),
  };
}

/** The IAM approvals of one request, one object per slot under approvals/<approval id>/. */
export function s3ApprovalSlots(store: ArtifactStore, executionArn: string, approvalId: string): ApprovalSlotStore {
  const key = (slot: number): string => approvalSlotKey(executionArn, approvalId, slot);
  return {
    read: async (slot) => (await getJsonIfExists<RecordedApproval>(store.s3, { bucket: store.bucket, key: key(slot) }))?.document ?? null,
    create: async (slot, approval) => (await putJsonIfAbsent(store, key(slot), approval)) !== null,
    release: async (slot) => deleteObject(store, key(slot)),
  };
}
