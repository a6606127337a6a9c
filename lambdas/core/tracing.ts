import type { Tracer } from '@aws-lambda-powertools/tracer';
import { observability } from './observability.js';

/**
 * X-Ray tracing of the function's AWS calls, present only where the
 * function runs with POWERTOOLS_TRACE_ENABLED=true, which
 * lib/function-definitions.ts sets exactly when the deployment turns X-Ray
 * on. Loaded only then: evaluating the tracer and the X-Ray SDK adds about
 * 14 ms to a cold start (send-message, median of 15 imports), which an
 * untraced function, the default, does not pay. It still compiles past
 * their 125 KiB in the bundle, some 5 to 10 ms (bench/cold-start.ts). Not
 * in the logger's module, so the authorizer (which reads no table and posts
 * nothing) does not carry it.
 */
export const tracer: Tracer | undefined = observability.tracing
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: observability.serviceName })
  : undefined;

/** The client, captured for X-Ray when tracing is on: each of its calls becomes a subsegment. */
export function traceClient<Client extends object>(client: Client): Client {
  return tracer === undefined ? client : tracer.captureAWSv3Client(client);
}

/**
 * Runs `work` in an X-Ray subsegment of its own when tracing is on, and just
 * runs it otherwise. For work no captured client sees: posts go out through
 * the ConnectionPoster's own HTTPS requests, not the SDK client.
 */
export async function traced<T>(name: string, annotations: Readonly<Record<string, number>>, work: () => Promise<T>): Promise<T> {
  const parent = tracer?.getSegment();
  if (tracer === undefined || parent === undefined) return work();
  const subsegment = parent.addNewSubsegment(name);
  for (const [key, value] of Object.entries(annotations)) subsegment.addAnnotation(key, value);
  tracer.setSegment(subsegment);
  try {
    return await work();
  } catch (error) {
    subsegment.addError(error as Error);
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}
