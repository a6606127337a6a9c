import type { Tracer } from '@aws-lambda-powertools/tracer';
import { observability } from './observability.js';

/**
 * X-Ray tracing of the function's AWS calls, present only where the
 * function runs with POWERTOOLS_TRACE_ENABLED=true, which
 * lib/function-definitions.ts sets exactly when the deployment turns X-Ray
 * on. Loaded only then: the X-Ray SDK is about 125 KiB of every bundle, and
 * evaluating it would cost every cold start some 5 to 10 ms for tracing that
 * is off by default (bench/cold-start.ts). Not in the logger's module, so the
 * authorizer (which reads no table and posts nothing) does not carry it.
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
