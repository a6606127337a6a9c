import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deliverBatch, workerPacer } from '../core/actions/deliver-batch.js';
import { parseFanOutBatch } from '../core/fan-out-queue.js';
import { instrumented } from './instrumented.js';

const processor = new BatchProcessor(EventType.SQS);

/**
 * The fan-out worker: each SQS record is one batch of a large room's
 * delivery. A record that throws (DynamoDB down during a purge, the queue
 * refusing a re-queue) is reported as a batch item failure, so SQS delivers
 * that record again and, after the queue's maxReceiveCount, moves it to the
 * dead-letter queue; the other records of the invocation are done.
 */
export const handler = instrumented(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const pacer = workerPacer();
  return processPartialResponse(event, (record: SQSRecord) => deliverBatch(parseFanOutBatch(record.body), pacer), processor, { context });
});
