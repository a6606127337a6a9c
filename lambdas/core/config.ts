/**
 * Every setting the Lambda code reads, read once at module load and checked
 * there, so a misconfigured function fails at cold start rather than on the
 * first message. CDK sets each variable next to the grant it goes with; the
 * local stack sets the same names.
 */
import { EVENTS_OUT } from './events-out.js';
import { API_GATEWAY_QUOTAS } from './api-gateway-quotas.js';
import { LARGE_ROOM_DEFAULTS } from './large-room-defaults.js';
import { LIMIT_DEFAULTS, LIMIT_VARIABLES } from './limit-defaults.js';

function text(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`Missing required environment variable ${name}`);
}

function optionalText(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export interface Config {
  /** The single DynamoDB table holding connections, memberships, users and history. */
  readonly tableName: string;
  /** DynamoDB endpoint override (DynamoDB Local); unset in AWS. */
  readonly dynamoDbEndpoint: string | undefined;
  /** Management API (`@connections`) base URL: the stage's callback URL. */
  readonly managementEndpoint: string | undefined;
  readonly maxConnectionsPerUser: number;
  readonly maxRoomsPerConnection: number;
  /** API Gateway closes a connection idle this long; our records follow it. */
  readonly connectionIdleSeconds: number;
  /** API Gateway closes every connection after this long. */
  readonly connectionMaxSeconds: number;
  /** How long stored room messages stay readable through `history`. */
  readonly historyTtlSeconds: number;
  /** How many messages one `history` reply carries at most. */
  readonly historyPageSize: number;
  /** How many `PostToConnection` calls one fan-out keeps in flight. */
  readonly fanOutConcurrency: number;
  /** Attempts per post (first try included) for throttling and 5xx answers. */
  readonly postMaxAttempts: number;
  /** A post with no answer after this long is abandoned and retried (a transient error). */
  readonly postTimeoutMs: number;
  /**
   * A DynamoDB request with no answer after this long is abandoned (and
   * retried, up to the SDK's 3 attempts): without it, a stalled connection
   * would hold the frame until the function's own timeout.
   */
  readonly dynamoDbTimeoutMs: number;
  /**
   * The fan-out queue (SQS) that spreads a large room's delivery over worker
   * functions; unset, every fan-out is posted by the function that sends.
   */
  readonly fanOutQueueUrl: string | undefined;
  /** A room with more live connections than this is delivered through the queue. */
  readonly largeRoomThreshold: number;
  /** Connection ids per queue message: what one worker posts for one record. */
  readonly fanOutBatchSize: number;
  /**
   * Posts per second all workers together may make. API Gateway's
   * account-wide default of 10,000 requests/s is shared by every
   * PostToConnection, route response and inbound frame in the region.
   */
  readonly fanOutPostRate: number;
  /** How many workers run at once (the queue's maximum concurrency); each gets an equal share of the rate. */
  readonly fanOutWorkers: number;
  /** Partitions of the everyone-set used by broadcasts. */
  readonly broadcastShards: number;
  /** Frames one connection may send per rate window; more get RATE_LIMITED. */
  readonly rateLimitFrames: number;
  readonly rateLimitWindowSeconds: number;
  /**
   * The EventBridge bus (name or ARN) that room and presence events go to
   * (events-out.ts); unset, no event is put and no EventBridge client is built.
   */
  readonly eventBusName: string | undefined;
  /** The `source` of those events. */
  readonly eventSource: string;
  /** A PutEvents call with no answer after this long is abandoned (and retried, up to the SDK's 3 attempts). */
  readonly eventBusTimeoutMs: number;
}

export const config: Config = Object.freeze({
  tableName: text('TABLE_NAME'),
  dynamoDbEndpoint: optionalText('DYNAMODB_ENDPOINT'),
  managementEndpoint: optionalText('MANAGEMENT_ENDPOINT'),
  maxConnectionsPerUser: positiveInt(LIMIT_VARIABLES.maxConnectionsPerUser, LIMIT_DEFAULTS.maxConnectionsPerUser),
  maxRoomsPerConnection: positiveInt(LIMIT_VARIABLES.maxRoomsPerConnection, LIMIT_DEFAULTS.maxRoomsPerConnection),
  connectionIdleSeconds: positiveInt('CONNECTION_IDLE_SECONDS', API_GATEWAY_QUOTAS.idleTimeoutSeconds),
  connectionMaxSeconds: positiveInt('CONNECTION_MAX_SECONDS', API_GATEWAY_QUOTAS.maxConnectionSeconds),
  historyTtlSeconds: positiveInt(LIMIT_VARIABLES.historyTtlSeconds, LIMIT_DEFAULTS.historyTtlSeconds),
  historyPageSize: positiveInt('HISTORY_PAGE_SIZE', 100),
  fanOutConcurrency: positiveInt('FANOUT_CONCURRENCY', 32),
  postMaxAttempts: positiveInt('POST_MAX_ATTEMPTS', 4),
  postTimeoutMs: positiveInt('POST_TIMEOUT_MS', 5_000),
  dynamoDbTimeoutMs: positiveInt('DYNAMODB_TIMEOUT_MS', 3_000),
  fanOutQueueUrl: optionalText('FANOUT_QUEUE_URL'),
  largeRoomThreshold: positiveInt('LARGE_ROOM_THRESHOLD', LARGE_ROOM_DEFAULTS.threshold),
  fanOutBatchSize: positiveInt('FANOUT_BATCH_SIZE', LARGE_ROOM_DEFAULTS.batchSize),
  fanOutPostRate: positiveInt('FANOUT_POST_RATE', LARGE_ROOM_DEFAULTS.postRate),
  fanOutWorkers: positiveInt('FANOUT_WORKERS', LARGE_ROOM_DEFAULTS.workers),
  broadcastShards: positiveInt('BROADCAST_SHARDS', 8),
  rateLimitFrames: positiveInt(LIMIT_VARIABLES.rateLimitFrames, LIMIT_DEFAULTS.rateLimitFrames),
  rateLimitWindowSeconds: positiveInt(LIMIT_VARIABLES.rateLimitWindowSeconds, LIMIT_DEFAULTS.rateLimitWindowSeconds),
  eventBusName: optionalText('EVENT_BUS_NAME'),
  eventSource: text('EVENT_SOURCE', EVENTS_OUT.defaultSource),
  eventBusTimeoutMs: positiveInt('EVENT_BUS_TIMEOUT_MS', 2_000),
});
