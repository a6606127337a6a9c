import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import {
  logger,
  parsePublishRequest,
  ProtocolError,
  publish,
  type ErrorCode,
  type PublishRequest,
  type PublishResult,
} from '../core/index.js';
// Not through the core index: only this function carries Powertools idempotency and its JMESPath engine.
import { eventIdempotency, idempotencyStore } from '../core/store/idempotency.js';
import { instrumented } from './instrumented.js';

/**
 * Server-side publish from EventBridge (lib/publish-event-rule.ts): the
 * event's `detail` is a publish request exactly as `POST /publish` takes it,
 * `{room,data}`, `{userId,data}` or `{broadcast:true,data}`.
 *
 * A detail that is not a valid request is logged and dropped, not thrown:
 * no retry can fix it, and a throw would only run it again and then park it
 * in the dead-letter queue beside the events that deserve a look. Anything
 * else that fails (DynamoDB, say) does throw, so Lambda retries it and then
 * hands it to the dead-letter queue.
 */

export type PublishEvent = EventBridgeEvent<string, unknown>;

export type PublishEventOutcome =
  | { readonly status: 'published'; readonly result: PublishResult }
  | { readonly status: 'dropped'; readonly code: ErrorCode; readonly reason: string };

/** `_context` is for makeIdempotent, which reads the time left from it to bound an in-progress record. */
async function processEvent(event: PublishEvent, _context?: Context): Promise<PublishEventOutcome> {
  const request = parseDetail(event?.detail);
  if ('status' in request) {
    // The reason names the bad field; the detail itself may be large or private.
    logger.warn('publish event dropped', { code: request.code, reason: request.reason });
    return request;
  }
  return { status: 'published', result: await publish(request) };
}

/**
 * EventBridge delivers at least once: an event it delivers again (same `id`)
 * gets the first delivery's outcome instead of a second message.
 */
export const handler = instrumented(
  makeIdempotent(processEvent, { persistenceStore: idempotencyStore('publish-event'), config: eventIdempotency }),
  // Read defensively: a hand-made test event may lack any of these.
  (event: PublishEvent) => ({ eventId: event?.id, source: event?.source, detailType: event?.['detail-type'] }),
);

/** The publish request in the detail, or why the event is dropped. */
function parseDetail(detail: unknown): PublishRequest | Extract<PublishEventOutcome, { status: 'dropped' }> {
  try {
    return parsePublishRequest(detail);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { status: 'dropped', code: error.code, reason: error.message };
  }
}
