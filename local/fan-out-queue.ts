import { CONFIG_SETTINGS } from '../lambdas/core/config-settings.js';
import { environmentSource, readSettings } from '../lambdas/core/settings.js';
import { fanOutWorker } from '../lib/fan-out-worker.js';
import { LocalQueue, type QueueHandler } from './local-queue.js';
import { loadEntry } from './routing.js';

/**
 * Starts the local fan-out queue feeding the worker, configured as the stack
 * configures the deployed one, and points handlers run in this process at it
 * (`AWS_ENDPOINT_URL_SQS`, `FANOUT_QUEUE_URL`; isolated functions get them
 * from local/lambda/local-deployment.ts). `invokeWorker` runs the worker as
 * the local gateway runs functions; without it the worker runs in this process.
 */
export async function startFanOutQueue(log?: (line: string) => void, invokeWorker?: QueueHandler): Promise<LocalQueue> {
  // The queue's maximum concurrency: FANOUT_WORKERS, read as the functions read it.
  const { fanOutWorkers: workers } = readSettings({ fanOutWorkers: CONFIG_SETTINGS.fanOutWorkers }, environmentSource());
  const queue = new LocalQueue({
    name: fanOutWorker.name,
    handler: () => (invokeWorker === undefined ? loadEntry<QueueHandler>(fanOutWorker.entry) : Promise.resolve(invokeWorker)),
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
