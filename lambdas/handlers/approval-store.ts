/** The approval request record shared by request-approval (writer) and approval-endpoint (reader). */
import type { ArtifactRef } from '../core/workflow/documents.ts';
import type { ApprovalLink, ApprovalMarkerStore } from '../core/workflow/approval-link.ts';
import { approvalConsumedKey, deleteObject, putJsonIfAbsent, type ArtifactStore } from '../aws/artifacts.ts';

export interface ApprovalRequestRecord {
  approvalId: string;
  executionArn: string;
  taskToken: string;
  plan: ArtifactRef;
  planSha256: string;
  region: string;
  createdAt: string;
  expiresAt: number; // epoch seconds
}

export function s3MarkerStore(store: ArtifactStore): ApprovalMarkerStore {
  return {
    createIfAbsent: async (link: ApprovalLink, record: unknown) =>
      (await putJsonIfAbsent(store, approvalConsumedKey(link.executionArn, link.approvalId), record)) !== null,
    release: async (link: ApprovalLink) => deleteObject(store, approvalConsumedKey(link.executionArn, link.approvalId)),
  };
}
