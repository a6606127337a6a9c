import { CONFIG_SETTINGS } from '../lambdas/core/config-settings.js';
import { settingsVariables } from '../lambdas/core/settings.js';

/**
 * The fan-out worker that delivers large rooms (lambdas/core/fan-out.ts):
 * its handler and how its queue feeds it. The stack and the local queue both
 * read this, so the deployed and the local delivery behave alike.
 */
export const fanOutWorker = {
  name: 'fan-out-worker',
  entry: 'lambdas/handlers/fan-out-worker.ts',
  /** Queue messages (batches of connection ids) per invocation. */
  batchSize: 2,
  /** Deliveries of one queue message before it moves to the dead-letter queue. */
  maxReceiveCount: 3,
  /** The worker's timeout: ample for two batches of 500 posts at its share of the rate. */
  timeoutSeconds: 60,
} as const;

/** The large-room settings, as the functions read them (lambdas/core/config.ts). */
export interface LargeRoomSettings {
  /** Rooms with more live connections than this are delivered by workers. @default 2000 */
  readonly threshold?: number;
  /** Connection ids per queue message. @default 500 */
  readonly batchSize?: number;
  /** Posts per second across all workers, a share of API Gateway's account-wide 10,000/s. @default 5000 */
  readonly postRate?: number;
  /** Workers running at once (the event source's maximum concurrency, 2–1000). @default 10 */
  readonly workers?: number;
}

/** The functions' own defaults for these settings (lambdas/core/config-settings.ts). */
export const LARGE_ROOM_DEFAULTS: Required<LargeRoomSettings> = Object.freeze({
  threshold: CONFIG_SETTINGS.largeRoomThreshold.default,
  batchSize: CONFIG_SETTINGS.fanOutBatchSize.default,
  postRate: CONFIG_SETTINGS.fanOutPostRate.default,
  workers: CONFIG_SETTINGS.fanOutWorkers.default,
});

/** The environment variables lambdas/core/config.ts reads for these settings (defaults already filled in). */
export function largeRoomEnvironment(value: Required<LargeRoomSettings>): Record<string, string> {
  return settingsVariables(CONFIG_SETTINGS, {
    largeRoomThreshold: value.threshold,
    fanOutBatchSize: value.batchSize,
    fanOutPostRate: value.postRate,
    fanOutWorkers: value.workers,
  });
}
