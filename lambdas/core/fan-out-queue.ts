/**
 * The hand-over of a large room's delivery to the fan-out workers: batches of
 * connection ids, each with the encoded frame, as messages on an SQS queue
 * (`FANOUT_QUEUE_URL`). The worker (lambdas/handlers/fan-out-worker.ts) posts
 * each batch and purges gone connections exactly as an inline fan-out does.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { queueClient } from './clients.js';
import { config } from './config.js';

export interface FanOutBatch {
  readonly room: string;
  /** The frame as posted: JSON, encoded once by the sender. */
  readonly frame: string;
  readonly connectionIds: readonly string[];
  /** 1 for the sender's batches; a worker re-queues what it could not post with the next number. */
  readonly attempt: number;
}

/** SendMessageBatch takes at most 10 entries and 256 KiB (the sum of the bodies) per call. */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_BYTES_PER_CALL = 256 * 1024;

/** Queues the batches, 10 or 256 KiB per call; throws when any could not be queued after one retry. */
export async function enqueueBatches(batches: readonly FanOutBatch[], delaySeconds = 0): Promise<void> {
  if (config.fanOutQueueUrl === undefined) throw new Error('FANOUT_QUEUE_URL is not set: this function cannot spread a fan-out');
  const queueUrl = config.fanOutQueueUrl;
  const entries = batches.map((batch, i) => ({
    Id: String(i),
    MessageBody: JSON.stringify(batch),
    ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
  }));
  for (const group of groupEntries(entries)) {
    let pending = group;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const { Failed = [] } = await queueClient().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      if (Failed.length === 0) break;
      const failedIds = new Set(Failed.map((failure) => failure.Id));
      if (attempt >= 2) {
        const [first] = Failed;
        throw new Error(`could not queue ${Failed.length} fan-out batches: ${first?.Code ?? ''} ${first?.Message ?? ''}`.trim());
      }
      pending = pending.filter((entry) => failedIds.has(entry.Id));
    }
  }
}

function groupEntries(entries: readonly SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  const groups: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody ?? '');
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_CALL || bytes + size > MAX_BYTES_PER_CALL)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Connection ids per queue message: `fanOutBatchSize`, fewer when the frame is
 * large, so that one message stays within SQS's 256 KiB.
 */
export function batchSizeFor(frame: string): number {
  // A connection id is 16 characters in AWS; 64 bytes each leaves room for quoting and longer local ids.
  const room = MAX_BYTES_PER_CALL - Buffer.byteLength(frame) - 1024;
  return Math.max(1, Math.min(config.fanOutBatchSize, Math.floor(room / 64)));
}

/** The batch a queue message carries; throws on anything else (a poison message, not a retry). */
export function parseFanOutBatch(body: string): FanOutBatch {
  const value = JSON.parse(body) as Partial<Record<keyof FanOutBatch, unknown>>;
  const { room, frame, connectionIds, attempt } = value;
  if (
    typeof room !== 'string' ||
    typeof frame !== 'string' ||
    !Array.isArray(connectionIds) ||
    !connectionIds.every((id) => typeof id === 'string') ||
    typeof attempt !== 'number'
  ) {
    throw new Error('not a fan-out batch');
  }
  return { room, frame, connectionIds: connectionIds as string[], attempt };
}
