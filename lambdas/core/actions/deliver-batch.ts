import { postAndPurge } from '../departures.js';
import type { FanOutResult } from '../posting.js';
import { enqueueBatches, type FanOutBatch } from '../fan-out-queue.js';
import { count, logger } from '../observability.js';
import { config } from '../config.js';
import { PostPacer } from '../post-pacer.js';

/** Attempts per connection id across re-queues, beyond the retries of each post. */
const MAX_BATCH_ATTEMPTS = 3;
/** How long a re-queued remainder waits: long enough for a throttled gateway to recover. */
const REQUEUE_DELAY_SECONDS = 2;

/**
 * Posts one queued batch of a large room's fan-out (lambdas/core/fan-out.ts),
 * paced by `pacer` to this worker's share of the post-rate budget. Gone connections are
 * purged as in any fan-out. Posts that failed after their retries are queued
 * again on their own, later, so that members who got the frame do not get it
 * twice; after MAX_BATCH_ATTEMPTS they are given up on and logged.
 */
export async function deliverBatch(batch: FanOutBatch, pacer: PostPacer): Promise<FanOutResult> {
  const recipients = batch.connectionIds.map((connectionId) => ({ connectionId, room: batch.room }));
  const { result, failed } = await postAndPurge(recipients, batch.frame, { pace: () => pacer.take() });
  if (failed.length > 0) {
    const connectionIds = failed.map((recipient) => recipient.connectionId);
    if (batch.attempt < MAX_BATCH_ATTEMPTS) {
      await enqueueBatches([{ ...batch, connectionIds, attempt: batch.attempt + 1 }], REQUEUE_DELAY_SECONDS);
      logger.warn('fan-out batch partly failed; the rest queued again', { room: batch.room, failed: connectionIds.length, attempt: batch.attempt });
    } else {
      count('FanOutAbandoned', connectionIds.length);
      logger.error('fan-out batch given up on', { room: batch.room, connectionIds, attempt: batch.attempt });
    }
  }
  return result;
}

/**
 * The pacer for one worker invocation: its share of the post-rate budget,
 * shared by the records it processes together. One per invocation, not per
 * module: a container runs one invocation at a time, and the local queue runs
 * several invocations in one process.
 */
export function workerPacer(): PostPacer {
  return new PostPacer(config.fanOutPostRate / config.fanOutWorkers);
}
