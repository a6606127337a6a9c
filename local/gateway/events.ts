/**
 * Events shaped as API Gateway shapes them for a WebSocket API, its REQUEST
 * authorizer, and an HTTP API (payload v2) — built in one place for the local
 * gateway and the tests.
 *
 * The WebSocket shapes follow events captured from deployed APIs that AWS
 * keeps as its own test fixtures (github.com/aws-powertools/powertools-lambda-python,
 * tests/events/apiGatewayWebSocketApi{Connect,Message,Disconnect}.json and
 * apiGatewayAuthorizerWebSocketEvent.json; github.com/aws/aws-lambda-go,
 * events/testdata/apigw-websocket-request-{send-message,disconnect}.json)
 * and the authorizer input documented in the API Gateway developer guide
 * ("Control access to WebSocket APIs with AWS Lambda REQUEST authorizers":
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html).
 * API Gateway leaves out what has no value: no `messageId` outside MESSAGE
 * events, no `userAgent` when the client sent none, no null identity fields.
 * (Older captures, of 2019 and 2020, show those as nulls; the events above
 * are of 2024 and 2025.)
 */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { WebSocketEvent } from '../../lambdas/handlers/event.js';
import { contextFields, withContextMethods } from '../lambda/lambda-context.js';
import { gatewayId, traceHeader } from './ids.js';

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
  /** The client's User-Agent header; empty when it sent none. */
  readonly userAgent: string;
  /** The authorizer's context plus `principalId`, as API Gateway passes it to every route. */
  readonly authorizer?: Record<string, string | number | boolean>;
}

/** The client's handshake request, as API Gateway passes it on to the authorizer and to `$connect`. */
export interface Handshake {
  /** Header names (in the client's case) and values as the client sent them, in order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly search: URLSearchParams;
  /** The port the client connected to (`X-Forwarded-Port`). */
  readonly port: number;
  /** Whether the client connected over TLS (`X-Forwarded-Proto`). */
  readonly secure: boolean;
  /** The authorizer and `$connect` run for one request: they share its id and trace header. */
  readonly requestId: string;
  readonly traceHeader: string;
}

/** The request context of a WebSocket event, and of the authorizer's event (which has no `authorizer`). */
export type WebSocketRequestContext = WebSocketEvent['requestContext'];

/** A REQUEST authorizer's input on a WebSocket API's `$connect`. */
export interface WebSocketAuthorizerEvent {
  readonly type: 'REQUEST';
  readonly methodArn: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly queryStringParameters: Record<string, string>;
  readonly multiValueQueryStringParameters: Record<string, string[]>;
  readonly stageVariables: Record<string, string>;
  readonly requestContext: WebSocketRequestContext;
}

type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
type HeaderPairs = readonly (readonly [string, string])[];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `requestTime` as API Gateway writes it: `11/Nov/2024:13:45:46 +0000`, always UTC. */
export function requestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

export function handshake(fields: Partial<Pick<Handshake, 'headers' | 'search' | 'port' | 'secure'>> = {}): Handshake {
  return {
    headers: fields.headers ?? [],
    search: fields.search ?? new URLSearchParams(),
    port: fields.port ?? 443,
    secure: fields.secure ?? true,
    requestId: gatewayId(),
    traceHeader: traceHeader(Date.now()),
  };
}

/** The handshake of an upgrade request, with its headers exactly as they arrived. */
export function handshakeOf(request: IncomingMessage, search: URLSearchParams): Handshake {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) headers.push([request.rawHeaders[i] ?? '', request.rawHeaders[i + 1] ?? '']);
  return handshake({
    headers,
    search,
    port: request.socket.localPort ?? 0,
    secure: 'encrypted' in request.socket && request.socket.encrypted === true,
  });
}

function requestContext(api: ApiInfo, client: ClientInfo, routeKey: string, eventType: EventType, requestId: string) {
  const now = Date.now();
  return {
    routeKey,
    // "Available only when the $context.eventType is MESSAGE" (API Gateway
    // developer guide, "WebSocket API mapping template reference":
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html).
    ...(eventType === 'MESSAGE' ? { messageId: gatewayId() } : {}),
    eventType,
    // `$context.requestId` is "Same as $context.extendedRequestId" (the same page).
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    messageDirection: 'IN' as const,
    stage: api.stage,
    connectedAt: client.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: client.sourceIp, ...(client.userAgent === '' ? {} : { userAgent: client.userAgent }) },
    requestId,
    domainName: api.domainName,
    connectionId: client.connectionId,
    apiId: api.apiId,
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

/**
 * `headers` and `multiValueHeaders`, names as sent, ordered as API Gateway
 * orders them (alphabetically, case aside). unverified: that a repeated
 * header's last value is the one in `headers`, as for query parameters.
 */
function headerMaps(pairs: HeaderPairs) {
  const sorted = [...pairs].sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of sorted) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

/** Headers API Gateway sets itself on the handshake. unverified: that it drops a client's own rather than appending to it. */
const SET_BY_GATEWAY = new Set(['x-amzn-trace-id', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']);

/**
 * The handshake's headers as API Gateway passes them on: the client's own
 * (minus `omitted`), then the trace and X-Forwarded-* headers it adds.
 */
function passedHeaders(shake: Handshake, client: ClientInfo, omitted: ReadonlySet<string>, added: HeaderPairs = []): HeaderPairs {
  const own = shake.headers.filter(([name]) => !omitted.has(name.toLowerCase()) && !SET_BY_GATEWAY.has(name.toLowerCase()));
  return [
    ...own,
    ...added,
    ['X-Amzn-Trace-Id', shake.traceHeader],
    ['X-Forwarded-For', client.sourceIp],
    ['X-Forwarded-Port', String(shake.port)],
    ['X-Forwarded-Proto', shake.secure ? 'https' : 'http'],
  ];
}

/** `$connect` gets neither hop-by-hop header of the upgrade: no captured `$connect` event has them. */
const NOT_ON_CONNECT = new Set(['connection', 'upgrade']);

export function connectEvent(api: ApiInfo, client: ClientInfo, shake: Handshake): WebSocketEvent {
  const header = headerMaps(passedHeaders(shake, client, NOT_ON_CONNECT));
  const query = queryParameters(shake.search);
  return {
    headers: header.single,
    multiValueHeaders: header.multi,
    // Absent, not empty, when the URL has no query (the captured $connect event).
    ...(shake.search.size > 0
      ? { queryStringParameters: query.single, multiValueQueryStringParameters: query.multi }
      : {}),
    requestContext: requestContext(api, client, '$connect', 'CONNECT', shake.requestId) as WebSocketRequestContext,
    isBase64Encoded: false,
  };
}

/** No headers: a message is a frame, not an HTTP request. */
export function messageEvent(
  api: ApiInfo,
  client: ClientInfo,
  routeKey: string,
  body: string,
  isBase64Encoded = false,
): WebSocketEvent {
  return {
    requestContext: requestContext(api, client, routeKey, 'MESSAGE', gatewayId()) as WebSocketRequestContext,
    body,
    isBase64Encoded,
  };
}

export function disconnectEvent(api: ApiInfo, client: ClientInfo, statusCode: number, reason: string): WebSocketEvent {
  // What every captured $disconnect event carries, whoever closed.
  const header = headerMaps([
    ['Host', api.domainName],
    ['x-api-key', ''],
    ['X-Forwarded-For', ''],
    ['x-restapi', ''],
  ]);
  return {
    headers: header.single,
    multiValueHeaders: header.multi,
    requestContext: {
      ...(requestContext(api, client, '$disconnect', 'DISCONNECT', gatewayId()) as WebSocketRequestContext),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
    },
    isBase64Encoded: false,
  };
}

/**
 * The `$disconnect` status of a close the client began. A close frame
 * without a status is reported as 1005 "Client-side close frame status not
 * set" (the captured $disconnect event); otherwise the code and reason the
 * client sent, an empty reason staying empty (the aws-lambda-go capture:
 * 1001 and ""). unverified: the reason of an abrupt drop (1006), reported
 * here as the empty reason `ws` gives it.
 */
export function clientCloseStatus(code: number, reason: string): { code: number; reason: string } {
  return { code, reason: code === 1005 ? 'Client-side close frame status not set' : reason };
}

/** The authorizer sees the upgrade as API Gateway received it, as in AWS's documented example. */
export function authorizerEvent(api: ApiInfo, client: ClientInfo, shake: Handshake): WebSocketAuthorizerEvent {
  const header = headerMaps(
    passedHeaders(shake, client, new Set(['connection', 'upgrade', 'content-length']), [
      ['Connection', 'upgrade'],
      ['content-length', '0'],
      ['Upgrade', 'websocket'],
    ]),
  );
  const query = queryParameters(shake.search);
  const context = requestContext(api, { ...client, authorizer: undefined }, '$connect', 'CONNECT', shake.requestId);
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/$connect`,
    headers: header.single,
    multiValueHeaders: header.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    stageVariables: {},
    requestContext: context as WebSocketRequestContext,
  };
}

/** HTTP API (payload 2.0) headers: lower-case names, repeated values joined with commas. */
function httpApiHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const single: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) single[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return single;
}

/**
 * An HTTP API's payload 2.0 event (API Gateway developer guide, "Create AWS
 * Lambda proxy integrations for HTTP APIs in API Gateway":
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html;
 * `time` as in `12/Mar/2020:19:03:58 +0000`).
 */
export function httpApiEvent(
  api: ApiInfo,
  method: string,
  rawPath: string,
  search: URLSearchParams,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  sourceIp: string,
): APIGatewayProxyEventV2 {
  const header = httpApiHeaders(headers);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: search.toString(),
    headers: header,
    ...(search.size > 0 ? { queryStringParameters: queryParameters(search).single } : {}),
    requestContext: {
      accountId: api.accountId,
      apiId: `${api.apiId}-admin`,
      domainName: api.domainName,
      domainPrefix: api.domainName.split('.')[0] ?? api.domainName,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp, userAgent: header['user-agent'] ?? '' },
      requestId: gatewayId(),
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0,
  };
}

/** A Lambda context for one local invocation. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  return withContextMethods(contextFields(functionName), Date.now() + timeoutMs);
}
