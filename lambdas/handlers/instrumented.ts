import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { flushMetrics, logger } from '../core/observability.js';
import { tracer } from '../core/tracing.js';

/**
 * Every function's per-invocation plumbing, in one place: the Lambda context
 * and the request's own keys on each log line (cleared afterwards), the
 * invocation's metrics written once, and, when tracing is on, an X-Ray
 * subsegment around it.
 *
 * `keysOf` names the request in the event's own terms; it must not throw
 * on an event of the wrong shape, which still deserves an answer.
 */
export function instrumented<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
  keysOf: (event: TEvent) => Record<string, unknown> = () => ({}),
): (event: TEvent, context?: Context) => Promise<TResult> {
  // Lambda's own timeout ends a stuck invocation and logs it; middy's earlier
  // one would answer for it first, with an error of its own.
  const run = middy<TEvent, TResult>(handler, { timeoutEarlyInMillis: 0 })
    // Not the response: it can carry messages' data.
    .use(tracer === undefined ? [] : [captureLambdaHandler(tracer, { captureResponse: false })])
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestKeys(keysOf))
    .use(invocationMetrics);
  // Lambda always passes a context; a test calling the handler directly may
  // not, and middy then hands the middlewares an empty one.
  return (event, context) => run(event, context as Context);
}

function requestKeys<TEvent>(keysOf: (event: TEvent) => Record<string, unknown>): MiddlewareObj<TEvent> {
  return { before: ({ event }) => logger.appendKeys(keysOf(event)) };
}

/**
 * Not Powertools' `logMetrics`: it logs a warning for every invocation that
 * recorded no metric, and most pings, typing frames and clean disconnects
 * record none.
 */
const invocationMetrics: MiddlewareObj = { after: flushMetrics, onError: flushMetrics };
