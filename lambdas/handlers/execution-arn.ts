/** Whether an execution ARN names an execution of this stack's state machine (any when unset). */
export function executionBelongsTo(executionArn: string, stateMachineArn: string | undefined): boolean {
  if (!stateMachineArn) return true;
  const machine = stateMachineArn.split(':');
  const execution = executionArn.split(':');
  return execution.length >= 8 && execution[5] === 'execution' && execution[6] === machine[6] && execution.slice(0, 5).join(':') === machine.slice(0, 5).join(':');
}
