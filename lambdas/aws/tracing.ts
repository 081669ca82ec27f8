/**
 * X-Ray through Powertools Tracer: every shared SDK client is captured (one subsegment per AWS
 * call), and each step runs in a subsegment named after it. Outside Lambda (tests, the local
 * runner) the tracer disables itself and both are no-ops.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({ serviceName: 'coordinator-recovery' });

/** The client, instrumented so its calls appear in the function's trace. */
export function traced<T>(client: T, using: Tracer = tracer): T {
  return using.captureAWSv3Client(client);
}

/** Runs `work` in a `## <step>` subsegment (annotated with the step and cold start); errors are recorded and rethrown. */
export async function inStepSegment<T>(step: string, work: () => Promise<T>, using: Tracer = tracer): Promise<T> {
  const parent = using.isTracingEnabled() ? using.getSegment() : undefined;
  if (!parent) return work();
  const segment = parent.addNewSubsegment(`## ${step}`);
  using.setSegment(segment);
  using.annotateColdStart();
  using.addServiceNameAnnotation();
  using.putAnnotation('Step', step);
  try {
    return await work();
  } catch (error) {
    using.addErrorAsMetadata(error instanceof Error ? error : new Error(String(error)));
    throw error;
  } finally {
    segment.close();
    using.setSegment(parent);
  }
}
