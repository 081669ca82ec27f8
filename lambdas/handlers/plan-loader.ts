import { invalidInput } from '../core/errors.ts';
import type { PlanTargetOutput, RecoveryPlan, RecoveryRequest } from '../core/workflow/documents.ts';
import { getJson } from '../aws/artifacts.ts';
import type { HandlerDeps } from './runtime.ts';

/** The stored plan, refusing one whose bytes are not the ones PlanTarget hashed (and the approver saw). */
export async function loadPlan(deps: HandlerDeps, request: RecoveryRequest, plan: PlanTargetOutput): Promise<RecoveryPlan> {
  if (plan.plan.sha256 !== plan.planSha256) throw invalidInput('plan.planSha256', 'does not match plan.plan.sha256', 'Pass the PlanTarget output unchanged');
  const document = await getJson<RecoveryPlan>(deps.clients.s3(), plan.plan);
  if (document.executionArn !== request.executionArn) {
    throw invalidInput('plan', `belongs to execution ${document.executionArn}, not ${request.executionArn}`, 'Pass the plan of this execution ($.plan)');
  }
  return document;
}
