import type { ApprovalAnswer, DemoEvent, DemoReporter } from '../../local/demo/events.ts';

/** The demo's reporter for a --yes run in a test: keeps every event; being asked for approval fails the run. */
export class RecordingReporter implements DemoReporter {
  readonly events: DemoEvent[] = [];
  questions = 0;
  event(event: DemoEvent): void {
    this.events.push(event);
  }
  async confirm(): Promise<ApprovalAnswer> {
    this.questions++;
    throw new Error('the --yes run asked for approval');
  }
  of<T extends DemoEvent['type']>(type: T): Array<Extract<DemoEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<DemoEvent, { type: T }> => e.type === type);
  }
}
