/**
 * Events shaped as API Gateway shapes them for a WebSocket API, its REQUEST
 * authorizer, and an HTTP API (payload v2) — built in one place for the local
 * gateway and the tests.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import type { WebSocketEvent } from '../../lambdas/handlers/event.js';

export interface ApiInfo {
  readonly apiId: string;
  readonly stage: string;
  readonly domainName: string;
  readonly region: string;
  readonly accountId: string;
}

export interface ClientInfo {
  readonly connectionId: string;
  /** Epoch milliseconds. */
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** The authorizer's context plus `principalId`, as API Gateway passes it to every route. */
  readonly authorizer?: Record<string, string | number | boolean>;
}

type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

function requestContext(api: ApiInfo, client: ClientInfo, routeKey: string, eventType: EventType) {
  const now = Date.now();
  return {
    routeKey,
    eventType,
    messageId: eventType === 'MESSAGE' ? randomUUID() : undefined,
    extendedRequestId: randomUUID(),
    requestId: randomUUID(),
    requestTime: new Date(now).toUTCString(),
    requestTimeEpoch: now,
    messageDirection: 'IN' as const,
    stage: api.stage,
    connectedAt: client.connectedAt,
    domainName: api.domainName,
    connectionId: client.connectionId,
    apiId: api.apiId,
    identity: { sourceIp: client.sourceIp, userAgent: client.userAgent },
    ...(client.authorizer === undefined ? {} : { authorizer: client.authorizer }),
  };
}

/** Query parameters as API Gateway passes them: last value wins, all values in the multi-value map. */
export function queryParameters(search: URLSearchParams) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of search) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

export function headerMaps(headers: Record<string, string | string[] | undefined>) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    single[name] = values.join(',');
    multi[name] = values;
  }
  return { single, multi };
}

export function connectEvent(
  api: ApiInfo,
  client: ClientInfo,
  headers: Record<string, string | string[] | undefined> = {},
  search: URLSearchParams = new URLSearchParams(),
): WebSocketEvent {
  const header = headerMaps(headers);
  const query = queryParameters(search);
  return {
    requestContext: requestContext(api, client, '$connect', 'CONNECT') as WebSocketEvent['requestContext'],
    headers: header.single,
    ...(search.size > 0
      ? { queryStringParameters: query.single, multiValueQueryStringParameters: query.multi }
      : {}),
    isBase64Encoded: false,
  };
}

export function messageEvent(
  api: ApiInfo,
  client: ClientInfo,
  routeKey: string,
  body: string,
  isBase64Encoded = false,
): WebSocketEvent {
  return {
    requestContext: requestContext(api, client, routeKey, 'MESSAGE') as WebSocketEvent['requestContext'],
    body,
    isBase64Encoded,
  };
}

export function disconnectEvent(api: ApiInfo, client: ClientInfo, statusCode: number, reason: string): WebSocketEvent {
  return {
    requestContext: {
      ...(requestContext(api, client, '$disconnect', 'DISCONNECT') as WebSocketEvent['requestContext']),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
    },
    isBase64Encoded: false,
  };
}

export function authorizerEvent(
  api: ApiInfo,
  client: ClientInfo,
  headers: Record<string, string | string[] | undefined>,
  search: URLSearchParams,
): APIGatewayRequestAuthorizerEvent {
  const header = headerMaps(headers);
  const query = queryParameters(search);
  const context = requestContext(api, client, '$connect', 'CONNECT');
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/$connect`,
    resource: '$connect',
    path: '/',
    httpMethod: 'GET',
    headers: header.single,
    multiValueHeaders: header.multi,
    pathParameters: null,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    stageVariables: null,
    requestContext: context as unknown as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

export function httpApiEvent(
  api: ApiInfo,
  method: string,
  rawPath: string,
  search: URLSearchParams,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  sourceIp: string,
): APIGatewayProxyEventV2 {
  const header = headerMaps(headers);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: search.toString(),
    headers: header.single,
    ...(search.size > 0 ? { queryStringParameters: queryParameters(search).single } : {}),
    requestContext: {
      accountId: api.accountId,
      apiId: `${api.apiId}-admin`,
      domainName: api.domainName,
      domainPrefix: api.domainName.split('.')[0] ?? api.domainName,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp, userAgent: header.single['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0,
  };
}

/** A Lambda context for one local invocation. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
