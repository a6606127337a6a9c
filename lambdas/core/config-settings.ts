/**
 * Every environment variable the function code reads (config.ts), with its
 * default: the one place each default is stated. In a module of its own with
 * no side effects, so that the CDK construct and the local stack can name
 * these variables and take these defaults without reading the environment.
 */
import { API_GATEWAY_QUOTAS } from './api-gateway-quotas.js';
import { EVENTS_OUT } from './events-out.js';
import type { SettingsSchema } from './settings.js';

export const CONFIG_SETTINGS = {
  tableName: { key: 'TABLE_NAME', kind: 'string', required: true, doc: 'the single DynamoDB table: connections, memberships, users and history' },
  dynamoDbEndpoint: { key: 'DYNAMODB_ENDPOINT', kind: 'string', doc: 'DynamoDB endpoint override (DynamoDB Local); unset in AWS' },
  managementEndpoint: { key: 'MANAGEMENT_ENDPOINT', kind: 'string', doc: "the stage's callback URL, where the Management API (@connections) answers" },
  maxConnectionsPerUser: { key: 'MAX_CONNECTIONS_PER_USER', kind: 'positiveInt', default: 5, doc: 'live connections one user may hold; one more $connect is refused with 429' },
  maxRoomsPerConnection: { key: 'MAX_ROOMS_PER_CONNECTION', kind: 'positiveInt', default: 50, doc: 'rooms one connection may join; one more joinRoom gets FORBIDDEN' },
  connectionIdleSeconds: { key: 'CONNECTION_IDLE_SECONDS', kind: 'positiveInt', default: API_GATEWAY_QUOTAS.idleTimeoutSeconds, doc: 'API Gateway closes a connection idle this long; records follow it' },
  connectionMaxSeconds: { key: 'CONNECTION_MAX_SECONDS', kind: 'positiveInt', default: API_GATEWAY_QUOTAS.maxConnectionSeconds, doc: 'API Gateway closes every connection after this long' },
  historyTtlSeconds: { key: 'HISTORY_TTL_SECONDS', kind: 'positiveInt', default: 86_400, doc: 'how long stored room messages stay readable through history' },
  historyPageSize: { key: 'HISTORY_PAGE_SIZE', kind: 'positiveInt', default: 100, doc: 'messages one history reply carries at most' },
  fanOutConcurrency: { key: 'FANOUT_CONCURRENCY', kind: 'positiveInt', default: 32, doc: 'PostToConnection calls one fan-out keeps in flight' },
  postMaxAttempts: { key: 'POST_MAX_ATTEMPTS', kind: 'positiveInt', default: 4, doc: 'attempts per post (the first included) on throttling and 5xx answers' },
  postTimeoutMs: { key: 'POST_TIMEOUT_MS', kind: 'positiveInt', default: 5_000, doc: 'a post with no answer after this long is abandoned and retried' },
  /**
   * Without it, a stalled connection would hold the frame until the
   * function's own timeout; with it, the SDK retries (3 attempts in all).
   */
  dynamoDbTimeoutMs: { key: 'DYNAMODB_TIMEOUT_MS', kind: 'positiveInt', default: 3_000, doc: 'a DynamoDB request with no answer after this long is abandoned' },
  fanOutQueueUrl: { key: 'FANOUT_QUEUE_URL', kind: 'string', doc: "the fan-out queue (SQS) spreading large rooms' delivery over workers; unset, the sender posts every fan-out" },
  largeRoomThreshold: { key: 'LARGE_ROOM_THRESHOLD', kind: 'positiveInt', default: 2_000, doc: 'a room with more live connections than this is delivered through the queue' },
  fanOutBatchSize: { key: 'FANOUT_BATCH_SIZE', kind: 'positiveInt', default: 500, doc: 'connection ids per queue message: what one worker posts for one record' },
  /**
   * Half of API Gateway's account-wide default of 10,000 requests/s, which
   * every PostToConnection, route response and inbound frame in the region
   * shares.
   */
  fanOutPostRate: { key: 'FANOUT_POST_RATE', kind: 'positiveInt', default: 5_000, doc: 'posts per second all workers together may make' },
  fanOutWorkers: { key: 'FANOUT_WORKERS', kind: 'positiveInt', default: 10, doc: "workers at once (the queue's maximum concurrency); each gets an equal share of the rate" },
  broadcastShards: { key: 'BROADCAST_SHARDS', kind: 'positiveInt', default: 8, doc: 'partitions of the everyone-set that broadcasts use' },
  rateLimitFrames: { key: 'RATE_LIMIT_FRAMES', kind: 'positiveInt', default: 40, doc: 'frames one connection may send per rate window; more get RATE_LIMITED' },
  rateLimitWindowSeconds: { key: 'RATE_LIMIT_WINDOW_SECONDS', kind: 'positiveInt', default: 10, doc: "the rate limit's window" },
  eventBusName: { key: 'EVENT_BUS_NAME', kind: 'string', doc: 'the EventBridge bus (name or ARN) room and presence events go to; unset, none are put' },
  eventSource: { key: 'EVENT_SOURCE', kind: 'string', default: EVENTS_OUT.defaultSource, doc: 'the source of the events put on that bus' },
  eventBusTimeoutMs: { key: 'EVENT_BUS_TIMEOUT_MS', kind: 'positiveInt', default: 2_000, doc: 'a PutEvents call with no answer after this long is abandoned (and retried)' },
} as const satisfies SettingsSchema;

/** The settings a deployment may change through the construct's `limits` prop (lib/realtime-api.ts). */
export const LIMIT_SETTINGS = ['maxConnectionsPerUser', 'maxRoomsPerConnection', 'rateLimitFrames', 'rateLimitWindowSeconds', 'historyTtlSeconds'] as const;
export type LimitSetting = (typeof LIMIT_SETTINGS)[number];
