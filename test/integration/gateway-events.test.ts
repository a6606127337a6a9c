/**
 * The events the local gateway gives the authorizer, `$connect`, a message
 * route and `$disconnect`, held against events of deployed APIs that AWS
 * keeps as its own sample events, and against AWS's documented authorizer
 * input. Each sample's keys are written out below as AWS's files have them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { WebSocketEvent } from '../../lambdas/handlers/event.js';
import { LocalGateway } from '../../local/gateway/gateway.js';
import { requestTime } from '../../local/gateway/events.js';
import { authorizerEvents, recordingAuthorizerEntry, recordingRoutes, routeEvents } from '../support/recording-routes.js';
import { WsClient } from '../support/ws-client.js';

/**
 * $connect: github.com/aws-powertools/powertools-lambda-python,
 * tests/events/apiGatewayWebSocketApiConnect.json (captured 11/Nov/2024; an
 * API without an authorizer, a client that sent no User-Agent and no query).
 */
const awsConnect = {
  keys: ['headers', 'multiValueHeaders', 'requestContext', 'isBase64Encoded'],
  headers: [
    'Host',
    'Sec-WebSocket-Extensions',
    'Sec-WebSocket-Key',
    'Sec-WebSocket-Version',
    'X-Amzn-Trace-Id',
    'X-Forwarded-For',
    'X-Forwarded-Port',
    'X-Forwarded-Proto',
  ],
  requestContext: [
    'routeKey',
    'eventType',
    'extendedRequestId',
    'requestTime',
    'messageDirection',
    'stage',
    'connectedAt',
    'requestTimeEpoch',
    'identity',
    'requestId',
    'domainName',
    'connectionId',
    'apiId',
  ],
  identity: ['sourceIp'],
  values: {
    requestId: 'BFHPhFe3IAMF95g=',
    connectionId: 'BFHPhfCWIAMCKlQ=',
    requestTime: '11/Nov/2024:11:35:24 +0000',
    traceHeader: 'Root=1-6731ebfc-08e1e656421db73c5d2eef31',
  },
};

/** MESSAGE: the same repository, tests/events/apiGatewayWebSocketApiMessage.json. */
const awsMessage = {
  keys: ['requestContext', 'body', 'isBase64Encoded'],
  requestContext: [
    'routeKey',
    'messageId',
    'eventType',
    'extendedRequestId',
    'requestTime',
    'messageDirection',
    'stage',
    'connectedAt',
    'requestTimeEpoch',
    'identity',
    'requestId',
    'domainName',
    'connectionId',
    'apiId',
  ],
  values: { messageId: 'BFaVtfGSIAMCKug=', requestId: 'BFaVtH2HoAMFZEQ=' },
};

/**
 * $disconnect: the same repository, tests/events/apiGatewayWebSocketApiDisconnect.json
 * (a close frame without a status code), and github.com/aws/aws-lambda-go,
 * events/testdata/apigw-websocket-request-disconnect.json (the same keys).
 */
const awsDisconnect = {
  keys: ['headers', 'multiValueHeaders', 'requestContext', 'isBase64Encoded'],
  headers: { Host: 'asasasas.execute-api.us-east-1.amazonaws.com', 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
  requestContext: [
    'routeKey',
    'disconnectStatusCode',
    'eventType',
    'extendedRequestId',
    'requestTime',
    'messageDirection',
    'disconnectReason',
    'stage',
    'connectedAt',
    'requestTimeEpoch',
    'identity',
    'requestId',
    'domainName',
    'connectionId',
    'apiId',
  ],
  disconnectStatusCode: 1005,
  disconnectReason: 'Client-side close frame status not set',
};

/**
 * The REQUEST authorizer's input: API Gateway developer guide, "Control
 * access to WebSocket APIs with AWS Lambda REQUEST authorizers"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html),
 * whose example also has `HeaderAuth1`, a header its client sent.
 */
const awsAuthorizer = {
  keys: [
    'type',
    'methodArn',
    'headers',
    'multiValueHeaders',
    'queryStringParameters',
    'multiValueQueryStringParameters',
    'stageVariables',
    'requestContext',
  ],
  headers: {
    Connection: 'upgrade',
    'content-length': '0',
    Upgrade: 'websocket',
  },
  headerNames: [
    'Connection',
    'content-length',
    'Host',
    'Sec-WebSocket-Extensions',
    'Sec-WebSocket-Key',
    'Sec-WebSocket-Version',
    'Upgrade',
    'X-Amzn-Trace-Id',
    'X-Forwarded-For',
    'X-Forwarded-Port',
    'X-Forwarded-Proto',
  ],
  methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect',
};

const GATEWAY_ID = /^[A-Za-z0-9_-]{15}=$/;
const REQUEST_TIME = /^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;
const TRACE_HEADER = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/;

const sortedKeys = (value: object | undefined) => Object.keys(value ?? {}).sort();
const sorted = (keys: readonly string[]) => [...keys].sort();

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = new LocalGateway({ port: 0, routes: recordingRoutes, authorizerEntry: recordingAuthorizerEntry });
  await gateway.start();
});

afterAll(() => gateway.stop());

/** The recorded event of a route for a connection, once it has arrived. */
function eventOf(routeKey: string, connectionId: string): Promise<WebSocketEvent> {
  return vi.waitFor(
    () => {
      const found = routeEvents.find(
        (event) => event.requestContext.routeKey === routeKey && event.requestContext.connectionId === connectionId,
      );
      if (found === undefined) throw new Error(`no ${routeKey} event for ${connectionId} yet`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe("the formats of AWS's sample values", () => {
  it('are the formats the checks below hold the local events to', () => {
    expect(awsConnect.values.requestId).toMatch(GATEWAY_ID);
    expect(awsConnect.values.connectionId).toMatch(GATEWAY_ID);
    expect(awsMessage.values.messageId).toMatch(GATEWAY_ID);
    expect(awsConnect.values.requestTime).toMatch(REQUEST_TIME);
    expect(awsConnect.values.traceHeader).toMatch(TRACE_HEADER);
    // 1731324924553, the sample's connectedAt, is the same second.
    expect(requestTime(1731324924553)).toBe(awsConnect.values.requestTime);
  });
});

describe('one connection, its events against AWS’s', () => {
  let connect: WebSocketEvent;
  let message: WebSocketEvent;
  let disconnect: WebSocketEvent;
  let authorizer: (typeof authorizerEvents)[number];

  beforeAll(async () => {
    const client = await WsClient.connect(`${gateway.url}/?token=abc&lang=en&lang=fr`);
    const connectionId = gateway.openConnectionIds.at(-1) ?? '';
    connect = await eventOf('$connect', connectionId);
    authorizer = authorizerEvents.at(-1) as (typeof authorizerEvents)[number];
    client.send({ action: 'record', n: 1 });
    message = await eventOf('record', connectionId);
    // No status code in the close frame, as in AWS's sample.
    client.socket.close();
    await client.closed;
    disconnect = await eventOf('$disconnect', connectionId);
  });

  it('$connect has the keys of AWS’s, plus the query and the authorizer’s context this API has', () => {
    expect(sortedKeys(connect)).toEqual(sorted([...awsConnect.keys, 'queryStringParameters', 'multiValueQueryStringParameters']));
    expect(sortedKeys(connect.headers)).toEqual(sorted(awsConnect.headers));
    expect(sortedKeys(connect.requestContext)).toEqual(sorted([...awsConnect.requestContext, 'authorizer']));
    expect(sortedKeys(connect.requestContext.identity)).toEqual(sorted(awsConnect.identity));
  });

  it('$connect’s values are in AWS’s formats', () => {
    const context = connect.requestContext;
    expect(context).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', stage: 'local', apiId: 'local' });
    expect(context.connectionId).toMatch(GATEWAY_ID);
    expect(context.requestId).toMatch(GATEWAY_ID);
    expect(context.extendedRequestId).toBe(context.requestId);
    expect(context.requestTime).toMatch(REQUEST_TIME);
    expect(context.requestTime).toBe(requestTime(context.requestTimeEpoch));
    expect(context.authorizer).toEqual({ principalId: 'recorded-user', userId: 'recorded-user' });
    expect(connect.headers).toMatchObject({
      Host: `127.0.0.1:${gateway.port}`,
      'Sec-WebSocket-Version': '13',
      'X-Amzn-Trace-Id': expect.stringMatching(TRACE_HEADER),
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Port': String(gateway.port),
      // AWS's is https: its endpoint is wss. This one is plain ws.
      'X-Forwarded-Proto': 'http',
    });
    expect(connect.multiValueHeaders).toEqual(Object.fromEntries(Object.entries(connect.headers ?? {}).map(([name, value]) => [name, [value]])));
    expect(connect.queryStringParameters).toEqual({ token: 'abc', lang: 'fr' });
    expect(connect.multiValueQueryStringParameters).toEqual({ token: ['abc'], lang: ['en', 'fr'] });
    expect(connect.isBase64Encoded).toBe(false);
  });

  it('the authorizer gets the keys of AWS’s documented input, the same request id and trace as $connect', () => {
    expect(sortedKeys(authorizer)).toEqual(sorted(awsAuthorizer.keys));
    expect(sortedKeys(authorizer.headers)).toEqual(sorted(awsAuthorizer.headerNames));
    expect(authorizer.headers).toMatchObject(awsAuthorizer.headers);
    expect(sortedKeys(authorizer.requestContext)).toEqual(sorted(awsConnect.requestContext));
    expect(authorizer.methodArn).toMatch(/^arn:aws:execute-api:[a-z0-9-]+:\d{12}:local\/local\/\$connect$/);
    expect(awsAuthorizer.methodArn).toMatch(/^arn:aws:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+\/[^/]+\/\$connect$/);
    expect(authorizer.stageVariables).toEqual({});
    expect(authorizer.requestContext.requestId).toBe(connect.requestContext.requestId);
    expect(authorizer.requestContext.connectionId).toBe(connect.requestContext.connectionId);
    expect(authorizer.headers['X-Amzn-Trace-Id']).toBe(connect.headers?.['X-Amzn-Trace-Id']);
  });

  it('a message has exactly the keys of AWS’s, a messageId of its own and no headers', () => {
    expect(sortedKeys(message)).toEqual(sorted(awsMessage.keys));
    expect(sortedKeys(message.requestContext)).toEqual(sorted([...awsMessage.requestContext, 'authorizer']));
    const context = message.requestContext;
    expect(context.messageId).toMatch(GATEWAY_ID);
    expect(context.requestId).toMatch(GATEWAY_ID);
    expect(context.messageId).not.toBe(context.requestId);
    expect(context.requestId).not.toBe(connect.requestContext.requestId);
    expect(context.connectedAt).toBe(connect.requestContext.connectedAt);
    expect(message.body).toBe('{"action":"record","n":1}');
  });

  it('$disconnect has the keys, headers and close status of AWS’s', () => {
    expect(sortedKeys(disconnect)).toEqual(sorted(awsDisconnect.keys));
    expect(sortedKeys(disconnect.requestContext)).toEqual(sorted([...awsDisconnect.requestContext, 'authorizer']));
    expect(sortedKeys(disconnect.headers)).toEqual(sortedKeys(awsDisconnect.headers));
    expect(disconnect.headers).toEqual({ ...awsDisconnect.headers, Host: `127.0.0.1:${gateway.port}` });
    expect(disconnect.requestContext).toMatchObject({
      eventType: 'DISCONNECT',
      disconnectStatusCode: awsDisconnect.disconnectStatusCode,
      disconnectReason: awsDisconnect.disconnectReason,
    });
  });
});

describe('identity.userAgent', () => {
  // Present when the client sent one: the aws-lambda-go sample message
  // (events/testdata/apigw-websocket-request-send-message.json) has a
  // browser's; absent otherwise, as in the samples above.
  it('is the User-Agent the client sent, on every event of the connection', async () => {
    const client = await WsClient.connect(`${gateway.url}/?token=abc`, { headers: { 'User-Agent': 'demo-client/1.0' } });
    const connectionId = gateway.openConnectionIds.at(-1) ?? '';
    client.send({ action: 'record' });
    const message = await eventOf('record', connectionId);
    const connect = await eventOf('$connect', connectionId);

    expect(connect.requestContext.identity).toEqual({ sourceIp: '127.0.0.1', userAgent: 'demo-client/1.0' });
    expect(message.requestContext.identity).toEqual({ sourceIp: '127.0.0.1', userAgent: 'demo-client/1.0' });
    // Header names as the client wrote them.
    expect(connect.headers?.['User-Agent']).toBe('demo-client/1.0');
    await client.close();
  });
});
