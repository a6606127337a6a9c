/**
 * The fan-out queue on this machine: an HTTP endpoint speaking SQS's JSON
 * protocol (SendMessage, SendMessageBatch), so the handlers use the real
 * `@aws-sdk/client-sqs` with nothing but `AWS_ENDPOINT_URL_SQS`, and a
 * consumer that invokes the worker handler in this process as Lambda's SQS
 * event source would: up to `batchSize` records per invocation, at most
 * `maxConcurrency` invocations at once, `batchItemFailures` delivered again
 * after a visibility timeout, and a message received `maxReceiveCount` times
 * moved to the dead letters.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './gateway/events.js';
import { listenLocally, localEndpoint, readBody, sendJson } from './gateway/http.js';

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface LocalQueueOptions {
  readonly name: string;
  readonly handler: () => Promise<QueueHandler>;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  /** How long a failed record waits before it is delivered again. @default 1000 */
  readonly visibilityTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  receiveCount: number;
}

/** SQS takes at most 256 KiB per message and per batch call. */
const MAX_REQUEST_BYTES = 256 * 1024;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

export class LocalQueue {
  /** Messages moved aside after `maxReceiveCount` failed deliveries, oldest first. */
  readonly deadLetters: { messageId: string; body: string }[] = [];
  /** Messages sent to the queue so far. */
  sent = 0;
  /** Invocations of the worker so far. */
  invocations = 0;

  private readonly server: Server;
  private readonly ready: QueuedMessage[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly log: (line: string) => void;

  constructor(private readonly options: LocalQueueOptions) {
    this.log = options.log ?? (() => undefined);
    this.server = createServer((request, response) => void this.serve(request, response));
  }

  async start(port = 0): Promise<void> {
    await listenLocally(this.server, port);
  }

  /** `AWS_ENDPOINT_URL_SQS`. */
  get endpoint(): string {
    return localEndpoint(this.server);
  }

  /** `FANOUT_QUEUE_URL`: SQS's queue URL shape, on this endpoint. */
  get queueUrl(): string {
    return `${this.endpoint}/${ACCOUNT}/${this.options.name}`;
  }

  /** Resolves when nothing is queued, delayed or being processed. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.ready.length = 0;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.timers.size === 0 && this.running === 0;
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const raw = await readBody(request, MAX_REQUEST_BYTES + 64 * 1024);
    if (raw === undefined) return this.fail(response, 'BatchRequestTooLong', 'The batch request is too long');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return this.fail(response, 'InvalidParameterValue', 'The request body is not JSON');
    }
    if (input.QueueUrl !== this.queueUrl) return this.fail(response, 'QueueDoesNotExist', 'The specified queue does not exist.');
    if (target === 'AmazonSQS.SendMessage') {
      const sent = this.enqueue(String(input.MessageBody ?? ''), Number(input.DelaySeconds ?? 0));
      return sendJson(response, 200, { MessageId: sent.messageId, MD5OfMessageBody: sent.md5 });
    }
    if (target === 'AmazonSQS.SendMessageBatch') {
      const entries = Array.isArray(input.Entries) ? (input.Entries as { Id?: unknown; MessageBody?: unknown; DelaySeconds?: unknown }[]) : [];
      if (entries.length === 0) return this.fail(response, 'EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
      if (entries.length > 10) return this.fail(response, 'TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.');
      const total = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')), 0);
      if (total > MAX_REQUEST_BYTES) return this.fail(response, 'BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_REQUEST_BYTES} bytes`);
      const successful = entries.map((entry) => {
        const sent = this.enqueue(String(entry.MessageBody ?? ''), Number(entry.DelaySeconds ?? 0));
        return { Id: entry.Id, MessageId: sent.messageId, MD5OfMessageBody: sent.md5 };
      });
      return sendJson(response, 200, { Successful: successful, Failed: [] });
    }
    return this.fail(response, 'UnsupportedOperation', `${target || 'This action'} is not served by the local queue`);
  }

  /** SQS's JSON-protocol error: `__type` names it, as the SDK reads it. */
  private fail(response: ServerResponse, code: string, message: string): void {
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }));
  }

  private enqueue(body: string, delaySeconds: number): QueuedMessage {
    this.sent += 1;
    const message: QueuedMessage = {
      messageId: randomUUID(),
      body,
      md5: createHash('md5').update(body).digest('hex'),
      sentAt: Date.now(),
      receiveCount: 0,
    };
    this.makeVisible(message, delaySeconds * 1000);
    return message;
  }

  private makeVisible(message: QueuedMessage, afterMs: number): void {
    if (afterMs <= 0) {
      this.ready.push(message);
      queueMicrotask(() => this.pump());
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push(message);
      this.pump();
    }, afterMs);
    this.timers.add(timer);
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrency && this.ready.length > 0) {
      const batch = this.ready.splice(0, this.options.batchSize);
      this.running += 1;
      void this.invoke(batch).finally(() => {
        this.running -= 1;
        this.pump();
        if (this.isIdle()) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  private async invoke(batch: QueuedMessage[]): Promise<void> {
    for (const message of batch) message.receiveCount += 1;
    this.invocations += 1;
    let failedIds: Set<string>;
    try {
      const handler = await this.options.handler();
      const result = await handler({ Records: batch.map((message) => this.record(message)) }, lambdaContext(this.options.name, 60_000));
      failedIds = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A thrown error fails the whole batch, as with Lambda's SQS event source.
      this.log(`${this.options.name} threw: ${String(error)}`);
      failedIds = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch) {
      if (!failedIds.has(message.messageId)) continue;
      if (message.receiveCount >= this.options.maxReceiveCount) {
        this.deadLetters.push({ messageId: message.messageId, body: message.body });
        this.log(`${this.options.name}: message ${message.messageId} moved to the dead letters after ${message.receiveCount} receives`);
      } else {
        this.makeVisible(message, this.options.visibilityTimeoutMs ?? 1_000);
      }
    }
  }

  private record(message: QueuedMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}#${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: ACCOUNT,
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.md5,
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${this.options.name}`,
      awsRegion: REGION,
    };
  }
}
