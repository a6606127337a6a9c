/**
 * Posting one frame to many connections through the Management API, with
 * bounded concurrency, counting what was delivered, found gone (410) or
 * failed. What to do about the gone ones is departures.ts's business.
 * Throttling (429) and 5xx answers are retried with backoff and jitter by the
 * SDK's retry strategy.
 */
import pMap from 'p-map';
import { connectionPoster } from './clients.js';
import { config } from './config.js';
import { count, logger } from './observability.js';
import type { ServerFrame } from './protocol.js';
import { traced } from './tracing.js';

/** A connection to post to; `room` is where it was found, so a purge can remove that membership. */
export interface Recipient {
  readonly connectionId: string;
  readonly room?: string;
}

export interface FanOutResult {
  delivered: number;
  /** Connections that answered 410: gone (departures.ts purges them). */
  gone: number;
  /** Posts that failed for another reason, retries exhausted. */
  failed: number;
  /** A large room: connections handed to the fan-out workers, and in how many batches. */
  queued?: { connections: number; batches: number };
}

/** What a fan-out needs besides its recipients and frame. */
export interface PostOptions {
  /** How many purge announcements deep this fan-out is. */
  readonly cascade?: number;
  /** Waited for before each post: a worker's share of the post-rate budget. */
  readonly pace?: () => Promise<void>;
}

type PostOutcome = 'delivered' | 'gone' | 'failed';

/** SDK v3 errors carry no `statusCode`: a gone connection is known by name or by HTTP status. */
export function isGoneError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return name === 'GoneException' || $metadata?.httpStatusCode === 410;
}

async function post(connectionId: string, data: Uint8Array): Promise<PostOutcome> {
  try {
    await connectionPoster().post(connectionId, data);
    return 'delivered';
  } catch (error) {
    if (isGoneError(error)) return 'gone';
    logger.warn('post to connection failed', { connectionId, error: error as Error });
    return 'failed';
  }
}

export function encode(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** Posts `frame` (encoded) to each recipient, at most `fanOutConcurrency` in flight; says who was gone and who failed. */
export async function postToEach(
  recipients: readonly Recipient[],
  frame: string,
  options: PostOptions = {},
): Promise<{ result: FanOutResult; gone: Recipient[]; failed: Recipient[] }> {
  const data = Buffer.from(frame);
  const result: FanOutResult = { delivered: 0, gone: 0, failed: 0 };
  const gone: Recipient[] = [];
  const failed: Recipient[] = [];
  await traced('PostToConnection', { recipients: recipients.length }, () =>
    pMap(
      recipients,
      async (recipient) => {
        await options.pace?.();
        const outcome = await post(recipient.connectionId, data);
        result[outcome] += 1;
        if (outcome === 'gone') gone.push(recipient);
        if (outcome === 'failed') failed.push(recipient);
      },
      { concurrency: config.fanOutConcurrency },
    ),
  );
  count('FanOutRecipients', recipients.length);
  count('PostsDelivered', result.delivered);
  count('PostsFailed', result.failed);
  return { result, gone, failed };
}
