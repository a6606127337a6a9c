/**
 * The context Lambda hands a handler, for local invocations: its plain fields
 * (which cross into a function's worker thread as they are) and its methods
 * (added where the handler runs).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A context's fields without its methods. */
export type ContextFields = Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed' | 'callbackWaitsForEmptyEventLoop'>;

export interface ContextOptions {
  readonly memoryMb?: number;
  readonly region?: string;
  readonly logGroupName?: string;
  readonly logStreamName?: string;
}

/** One invocation's fields, a fresh request id each time. */
export function contextFields(functionName: string, options: ContextOptions = {}): ContextFields {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region ?? 'us-east-1'}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 256),
    awsRequestId: randomUUID(),
    logGroupName: options.logGroupName ?? `/aws/lambda/${functionName}`,
    logStreamName: options.logStreamName ?? 'local',
  };
}

/** The whole context, its time left counted down to `deadline` (epoch ms). */
export function withContextMethods(fields: ContextFields, deadline: number): Context {
  return {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
