/**
 * The AWS clients, built once per container (module scope) and reused by every
 * invocation. Local runs differ only by endpoint configuration. Each is
 * captured for X-Ray (tracing.ts), so a traced deployment shows every
 * DynamoDB, Management API, SQS and EventBridge call (posts through the
 * ConnectionPoster are traced where they are made, posting.ts).
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { HandlerExecutionContext, InitializeHandler } from '@smithy/types';
import { config } from './config.js';
import { ConnectionPoster } from './connection-poster.js';
import { traceClient } from './tracing.js';

const region = process.env.AWS_REGION ?? 'us-east-1';

/**
 * DynamoDB Local and the local gateway accept any credentials, but the SDK
 * still needs some to sign; in AWS the Lambda role supplies them.
 */
const localCredentials =
  process.env.AWS_ACCESS_KEY_ID === undefined ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;

/**
 * Request handler options that give up on a call with no answer: a timed-out
 * call fails (and is retried, as any transient error) rather than waiting
 * on, which is what the handler otherwise does with its requestTimeout.
 */
function boundedRequests(requestTimeout: number) {
  return { connectionTimeout: 1_000, requestTimeout, throwOnRequestTimeout: true };
}

/**
 * The low-level client, for libraries that take one (Powertools idempotency).
 * Every request is bounded in time: DynamoDB answers in milliseconds, and a
 * frame waiting on one that never answers should get INTERNAL in seconds,
 * not hang until API Gateway's 29 s.
 */
export const dynamoClient = traceClient(
  new DynamoDBClient({
    region,
    requestHandler: boundedRequests(config.dynamoDbTimeoutMs),
    ...(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint, credentials: localCredentials }),
  }),
);
dynamoClient.middlewareStack.add(nameTheFailedCall, { step: 'initialize', name: 'nameTheFailedCall' });

/**
 * Adds the DynamoDB operation to a failure's message, so the log line of a
 * failed request says what failed ("connect ECONNREFUSED …" alone does not).
 */
function nameTheFailedCall<Output extends object>(next: InitializeHandler<object, Output>, context: HandlerExecutionContext): InitializeHandler<object, Output> {
  return async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (error instanceof Error) error.message = `DynamoDB ${context.commandName ?? 'request'} failed: ${error.message}`;
      throw error;
    }
  };
}

export const dynamo = DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } });

/** Posts and connection closes share one retry strategy, hence one retry quota, as one SDK client would. */
const postRetryStrategy = new StandardRetryStrategy(config.postMaxAttempts);

let managementApi: ApiGatewayManagementApiClient | undefined;
let poster: ConnectionPoster | undefined;

/**
 * The Management API client. Built on first use because `$connect` and
 * `$disconnect` never post. The SDK's standard retry strategy backs off with
 * jitter on throttling (429) and 5xx answers; a 410 is not retried.
 */
export function managementClient(): ApiGatewayManagementApiClient {
  if (managementApi === undefined) {
    if (config.managementEndpoint === undefined) {
      throw new Error('MANAGEMENT_ENDPOINT is not set: this function cannot post to connections');
    }
    managementApi = traceClient(
      new ApiGatewayManagementApiClient({
        region,
        endpoint: config.managementEndpoint,
        retryStrategy: postRetryStrategy,
        requestHandler: boundedRequests(config.postTimeoutMs),
        ...(config.managementEndpoint.startsWith('http://') ? { credentials: localCredentials } : {}),
      }),
    );
  }
  return managementApi;
}

/**
 * Posts to connections with the Management API client's credentials, region
 * and retry strategy, without its per-call middleware (see connection-poster.ts).
 */
export function connectionPoster(): ConnectionPoster {
  if (poster === undefined) {
    const client = managementClient();
    poster = new ConnectionPoster({
      endpoint: config.managementEndpoint ?? '',
      region,
      credentials: client.config.credentials,
      retryStrategy: postRetryStrategy,
      maxSockets: config.fanOutConcurrency,
      requestTimeoutMs: config.postTimeoutMs,
    });
  }
  return poster;
}

let queue: SQSClient | undefined;

/**
 * The fan-out queue's client. Locally, `AWS_ENDPOINT_URL_SQS` (the SDK's own
 * variable) points it at the local queue, which takes any credentials.
 */
export function queueClient(): SQSClient {
  queue ??= traceClient(
    new SQSClient({
      region,
      ...(process.env.AWS_ENDPOINT_URL_SQS === undefined ? {} : { credentials: localCredentials }),
    }),
  );
  return queue;
}

let eventBridge: EventBridgeClient | undefined;

/**
 * The client of the events-out bus, built on the first put: a function whose
 * `EVENT_BUS_NAME` is unset never builds it. Imported statically: a dynamic
 * import would keep the bundles' lazy copy of the whole EventBridge client,
 * every command, and cost more at cold start than the two classes used here.
 * Locally, `AWS_ENDPOINT_URL_EVENTBRIDGE` (the SDK's own variable) points it
 * at the local bus, which takes any credentials.
 */
export function eventBridgeClient(): EventBridgeClient {
  eventBridge ??= traceClient(
    new EventBridgeClient({
      region,
      requestHandler: boundedRequests(config.eventBusTimeoutMs),
      ...(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE === undefined ? {} : { credentials: localCredentials }),
    }),
  );
  return eventBridge;
}
