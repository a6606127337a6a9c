import { fanOutWorker } from '../lib/fan-out-worker.js';
import { LARGE_ROOM_DEFAULTS } from '../lambdas/core/large-room-defaults.js';
import { LocalQueue, type QueueHandler } from './local-queue.js';
import { loadEntry } from './routing.js';

/**
 * Starts the local fan-out queue feeding the worker handler in this process,
 * configured as the stack configures the deployed one, and points the
 * handlers at it (`AWS_ENDPOINT_URL_SQS`, `FANOUT_QUEUE_URL`). Call it before
 * any handler is imported: they read their environment once.
 */
export async function startFanOutQueue(log?: (line: string) => void): Promise<LocalQueue> {
  const workers = Number(process.env.FANOUT_WORKERS ?? LARGE_ROOM_DEFAULTS.workers);
  const queue = new LocalQueue({
    name: fanOutWorker.name,
    handler: () => loadEntry<QueueHandler>(fanOutWorker.entry),
    batchSize: fanOutWorker.batchSize,
    maxConcurrency: workers,
    maxReceiveCount: fanOutWorker.maxReceiveCount,
    ...(log === undefined ? {} : { log }),
  });
  await queue.start();
  process.env.AWS_ENDPOINT_URL_SQS = queue.endpoint;
  process.env.FANOUT_QUEUE_URL = queue.queueUrl;
  return queue;
}
