import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import { mintDevToken } from '../../local/dev-token.js';
import { LocalGateway } from '../../local/gateway/gateway.js';
import { recordingRoutes } from '../support/recording-routes.js';
import { connectAs, startLocalGateway } from '../support/local-gateway.js';
import { connectionItems, getItem } from '../support/table.js';
import { recordedEvents, routesWithTestRoutes } from '../support/test-routes.js';
import { HandshakeRefused, WsClient } from '../support/ws-client.js';

const wscatBin = fileURLToPath(new URL('../../node_modules/wscat/bin/wscat', import.meta.url));

let gateway: LocalGateway;
let management: ApiGatewayManagementApiClient;

beforeAll(async () => {
  gateway = await startLocalGateway({ routes: routesWithTestRoutes });
  management = new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  management.destroy();
  await gateway.stop();
});

/** Sends raw bytes to the gateway and resolves with the first line it answers. */
function rawRequest(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.setTimeout(5_000, () => (socket.destroy(), reject(new Error(`no answer to ${JSON.stringify(request.slice(0, 40))}`))));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', reject);
  });
}

/**
 * A SigV4 Authorization header of the right form for `execute-api`: the
 * local gateway checks the form, not the signature, as DynamoDB Local does.
 */
const signedHeaders = (service = 'execute-api') => ({
  authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  'x-amz-date': '20260101T000000Z',
});

/** Status, `x-amzn-ErrorType` and JSON body of an HTTP answer. */
async function answer(response: Response) {
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: (await response.json()) as unknown };
}

async function refusal(url: string): Promise<number> {
  const error = await WsClient.connect(url).then(
    (client) => (client.socket.terminate(), undefined),
    (reason: unknown) => reason,
  );
  return error instanceof HandshakeRefused ? error.status : -1;
}

describe('chat through the local gateway', () => {
  it('lets two users chat in a room', async () => {
    const alice = await connectAs(gateway, 'alice', { name: 'Alice' });
    const bob = await connectAs(gateway, 'bob', { name: 'Bob' });

    expect(await alice.client.request({ action: 'joinRoom', room: 'lobby' }, 'joined')).toMatchObject({
      type: 'joined',
      members: [{ userId: 'alice', name: 'Alice' }],
    });
    expect(await bob.client.request({ action: 'joinRoom', room: 'lobby' }, 'joined')).toMatchObject({
      members: [
        { userId: 'alice', name: 'Alice' },
        { userId: 'bob', name: 'Bob' },
      ],
    });
    expect(await alice.client.nextOfType('user_joined')).toMatchObject({ user: { userId: 'bob' }, count: 2 });

    const ack = await alice.client.request(
      { action: 'sendMessage', room: 'lobby', data: { text: 'hi Bob' }, clientMsgId: 'a-1' },
      'ack',
    );
    const message = await bob.client.nextOfType('message');

    expect(ack).toMatchObject({ type: 'ack', clientMsgId: 'a-1', seq: 1 });
    expect(message).toMatchObject({ room: 'lobby', seq: 1, from: { userId: 'alice', name: 'Alice' }, data: { text: 'hi Bob' } });
    expect(message.id).toBe(ack.id);
    await alice.client.close();
    expect(await bob.client.nextOfType('user_left')).toMatchObject({ user: { userId: 'alice' }, count: 1 });
    await bob.client.close();
  });

  it('delivers a private message to both devices of the user', async () => {
    const sender = await connectAs(gateway, 'carol');
    const phone = await connectAs(gateway, 'dave');
    const laptop = await connectAs(gateway, 'dave');

    await sender.client.request({ action: 'sendMessage', to: 'dave', data: 'psst' }, 'ack');

    for (const device of [phone, laptop]) {
      expect(await device.client.nextOfType('message')).toMatchObject({ from: { userId: 'carol' }, data: 'psst' });
    }
    for (const c of [sender, phone, laptop]) await c.client.close();
  });

  it('purges a connection whose $disconnect never ran on the next fan-out', async () => {
    const speaker = await connectAs(gateway, 'erin');
    const vanishing = await connectAs(gateway, 'frank');
    await speaker.client.request({ action: 'joinRoom', room: 'lossy' }, 'joined');
    await vanishing.client.request({ action: 'joinRoom', room: 'lossy' }, 'joined');
    await speaker.client.nextOfType('user_joined');

    gateway.losesDisconnects = true;
    await vanishing.client.close();
    gateway.losesDisconnects = false;
    expect(await getItem(keys.membership('lossy', vanishing.connectionId))).toBeDefined();

    await speaker.client.request({ action: 'sendMessage', room: 'lossy', data: 'anyone?' }, 'ack');

    expect(await speaker.client.nextOfType('user_left')).toMatchObject({ user: { userId: 'frank' }, count: 1 });
    await expect(management.send(new GetConnectionCommand({ ConnectionId: vanishing.connectionId }))).rejects.toBeInstanceOf(
      GoneException,
    );
    expect(await speaker.client.request({ action: 'members', room: 'lossy' }, 'members')).toMatchObject({
      members: [{ userId: 'erin', connections: 1 }],
    });
    expect(await connectionItems(vanishing.connectionId, 'frank', ['lossy'])).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
    await speaker.client.close();
  });
});

describe('frames the gateway answers with an error', () => {
  it.each([
    ['not JSON', 'hello there', { type: 'error', code: 'BAD_REQUEST' }],
    ['an unknown action', '{"action":"fly"}', { type: 'error', code: 'UNKNOWN_ACTION', action: 'fly' }],
    ['no action', '{"room":"x"}', { type: 'error', code: 'BAD_REQUEST' }],
    ['a bad field', '{"action":"joinRoom","room":"no spaces"}', { type: 'error', code: 'BAD_REQUEST', action: 'joinRoom' }],
  ])('%s', async (_description, frame, expected) => {
    const { client } = await connectAs(gateway, 'gina');
    const reply = client.next();
    client.send(frame);
    expect(await reply).toMatchObject({ ...expected, requestId: expect.any(String) });
    await client.close();
  });

  it('answers a handler that throws with API Gateway’s Internal server error frame and keeps the socket open', async () => {
    const { client, connectionId } = await connectAs(gateway, 'hank');

    const reply = client.next();
    client.send({ action: 'explode' });

    expect(await reply).toEqual({ message: 'Internal server error', connectionId, requestId: expect.any(String) });
    expect(await client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });
});

describe('the handshake', () => {
  it('refuses a missing or empty token with 401 before any authorizer runs, and a bad one with 403', async () => {
    const before = recordedEvents.length;
    expect(await refusal(gateway.url)).toBe(401);
    expect(await refusal(`${gateway.url}/?token=`)).toBe(401);
    expect(await refusal(`${gateway.url}/?token=not-a-jwt`)).toBe(403);
    const wrongSecret = await mintDevToken({ userId: 'ivan' }, 'some-other-secret-that-is-long-enough!!');
    expect(await refusal(`${gateway.url}/?token=${wrongSecret}`)).toBe(403);
    // Refused before $connect: nothing reached it.
    expect(recordedEvents.length).toBe(before);
  });

  it('refuses a request that is no WebSocket handshake with 400 before the authorizer and $connect run', async () => {
    const token = await mintDevToken({ userId: 'keyless' });
    const before = recordedEvents.length;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await rawRequest(
        `GET /?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      statuses.push(Number(response.split(' ')[1]));
    }

    expect(statuses).toEqual([400, 400, 400, 400, 400, 400]);
    expect(recordedEvents.length).toBe(before);
    // Nothing was left to count against the user's limit.
    const { client } = await connectAs(gateway, 'keyless');
    await client.close();
  });

  it('answers a malformed URL with 400 instead of leaving the socket hanging', async () => {
    expect(await rawRequest('GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    const signed = Object.entries(signedHeaders())
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    expect(await rawRequest(`GET /local/@connections/%E0%A4 HTTP/1.1\r\nHost: 127.0.0.1\r\n${signed}\r\n`)).toMatch(/^HTTP\/1\.1 410/);
  });

  it("refuses the user's sixth connection with 429, the status $connect answered", async () => {
    const devices = [];
    for (let i = 0; i < 5; i += 1) devices.push(await connectAs(gateway, 'jill'));
    const token = await mintDevToken({ userId: 'jill' });

    expect(await refusal(`${gateway.url}/?token=${token}`)).toBe(429);
    for (const device of devices) await device.client.close();
  });

  it('gives $connect and every route the event API Gateway would', async () => {
    const token = await mintDevToken({ userId: 'kate', name: 'Kate', rooms: ['private-a'], roles: ['admin'] });
    const client = await WsClient.connect(`${gateway.url}/?token=${token}&lang=en`, { headers: { 'user-agent': 'e2e-test' } });
    const connect = recordedEvents.at(-1);

    const reply = client.next();
    client.send({ action: 'echoEvent', hello: 1 });
    const echoed = await reply;

    expect(connect).toMatchObject({
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        stage: 'local',
        apiId: 'local',
        domainName: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        connectionId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/),
        requestId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/),
        requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        connectedAt: expect.any(Number),
        requestTimeEpoch: expect.any(Number),
        identity: { sourceIp: '127.0.0.1', userAgent: 'e2e-test' },
        authorizer: { principalId: 'kate', userId: 'kate', name: 'Kate', rooms: 'private-a', roles: 'admin' },
      },
      headers: expect.objectContaining({ 'user-agent': 'e2e-test' }),
      queryStringParameters: { token, lang: 'en' },
      isBase64Encoded: false,
    });
    expect(echoed).toMatchObject({
      requestContext: {
        routeKey: 'echoEvent',
        eventType: 'MESSAGE',
        messageId: expect.any(String),
        requestId: expect.any(String),
        connectionId: connect?.requestContext.connectionId,
        connectedAt: connect?.requestContext.connectedAt,
        authorizer: { userId: 'kate' },
      },
      body: '{"action":"echoEvent","hello":1}',
      isBase64Encoded: false,
    });
    await client.close();
  });
});

describe('the Management API', () => {
  // Its endpoint is the stage's callback URL, https://{api-id}.execute-api.{region}.amazonaws.com/{stage}
  // (API Gateway developer guide, "Use @connections commands in your backend service":
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html).
  it('is served at the stage of the callback URL', () => {
    expect(gateway.managementEndpoint).toBe(`http://127.0.0.1:${gateway.port}/local`);
    expect(process.env.MANAGEMENT_ENDPOINT).toBe(gateway.managementEndpoint);
  });

  it('posts to, describes and deletes a connection through the real SDK client', async () => {
    const { client, connectionId } = await connectAs(gateway, 'liam');
    const pushed = client.next();

    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"hello":"there"}') }));
    const described = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));

    expect(await pushed).toEqual({ hello: 'there' });
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.LastActiveAt).toBeInstanceOf(Date);
    expect(described.Identity).toMatchObject({ SourceIp: '127.0.0.1' });
    expect((await client.closed).code).toBe(1000);
    // $disconnect ran for the deleted connection.
    await expect.poll(() => getItem(keys.connection(connectionId))).toBeUndefined();
  });

  it('answers an unknown connection with a GoneException the SDK recognises', async () => {
    const post = management.send(new PostToConnectionCommand({ ConnectionId: 'nope', Data: Buffer.from('x') }));
    await expect(post).rejects.toBeInstanceOf(GoneException);
    await expect(post).rejects.toMatchObject({ $metadata: { httpStatusCode: 410 } });
    await expect(management.send(new DeleteConnectionCommand({ ConnectionId: 'nope' }))).rejects.toBeInstanceOf(GoneException);
  });

  // A callback URL without the stage gets 403 {"message":"Forbidden"}
  // (github.com/aws/aws-sdk-php/issues/1955), which the SDK raises as a
  // ForbiddenException (https://csdcorp.com/blog/coding/aws-websocket-403-using-posttoconnect/).
  it('refuses a callback URL without the stage, or with another one, with 403 Forbidden', async () => {
    const { client, connectionId } = await connectAs(gateway, 'stageless');
    for (const endpoint of [gateway.httpEndpoint, `${gateway.httpEndpoint}/prod`]) {
      const wrong = new ApiGatewayManagementApiClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      const post = wrong.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from('{"lost":true}') }));
      await expect(post).rejects.toBeInstanceOf(ForbiddenException);
      await expect(post).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 }, message: 'Forbidden' });
      wrong.destroy();
    }
    const raw = await fetch(`${gateway.httpEndpoint}/@connections/${encodeURIComponent(connectionId)}`, { method: 'POST', body: 'x', headers: signedHeaders() });
    expect(await answer(raw)).toEqual({ status: 403, errorType: 'ForbiddenException', body: { message: 'Forbidden' } });
    // Nothing was delivered: the next frame is the answer to this request.
    expect(await client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  // "These requests use IAM authorization, so you must sign them with
  // Signature Version 4" (the @connections page above). Unsigned: REST APIs'
  // answer for IAM-authorised methods (API Gateway developer guide, "Gateway
  // response types": MISSING_AUTHENTICATION_TOKEN, 403:
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html),
  // unverified for @connections itself. Signed for another service:
  // github.com/aws/aws-sdk-js-v3/issues/1831. A bearer token instead of a
  // signature: github.com/aws/chalice/issues/828.
  it('refuses what is not signed with SigV4 for execute-api, as API Gateway does, and delivers nothing', async () => {
    const { client, connectionId } = await connectAs(gateway, 'unsigned');
    const url = `${gateway.managementEndpoint}/@connections/${encodeURIComponent(connectionId)}`;

    const unsigned = await fetch(url, { method: 'POST', body: '{"lost":1}' });
    const otherService = await fetch(url, { method: 'POST', body: '{"lost":2}', headers: signedHeaders('apigateway') });
    const bearer = await fetch(url, { method: 'POST', body: '{"lost":3}', headers: { authorization: 'Bearer abc' } });
    const undated = await fetch(url, { method: 'GET', headers: { authorization: signedHeaders().authorization } });

    expect(await answer(unsigned)).toEqual({
      status: 403,
      errorType: 'MissingAuthenticationTokenException',
      body: { message: 'Missing Authentication Token' },
    });
    expect(await answer(otherService)).toEqual({
      status: 403,
      errorType: 'InvalidSignatureException',
      body: { message: "Credential should be scoped to correct service: 'execute-api'. " },
    });
    expect(await answer(bearer)).toEqual({
      status: 403,
      errorType: 'IncompleteSignatureException',
      body: {
        message:
          "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
          "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
          "'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc",
      },
    });
    expect(await answer(undated)).toMatchObject({ status: 403, errorType: 'IncompleteSignatureException' });
    expect(await client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  // The documented call URL-encodes the @ (the @connections page above: /prod/%40connections/R0oXAdfD0kwCH6w%3D).
  it('takes @connections URL-encoded too', async () => {
    const { client, connectionId } = await connectAs(gateway, 'encoded');
    const pushed = client.next();
    const response = await fetch(`${gateway.managementEndpoint}/%40connections/${encodeURIComponent(connectionId)}`, {
      method: 'POST',
      body: '{"encoded":true}',
      headers: signedHeaders(),
    });
    expect(response.status).toBe(200);
    expect(await pushed).toEqual({ encoded: true });
    await client.close();
  });

  it('refuses a post over 128 KiB with 413', async () => {
    const { client, connectionId } = await connectAs(gateway, 'mona');
    const post = management.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 'a') }),
    );
    await expect(post).rejects.toBeInstanceOf(PayloadTooLargeException);
    await client.close();
  });
});

describe('the admin API', () => {
  // IAM-authorised when deployed ("Control access to HTTP APIs with IAM
  // authorization in API Gateway": clients must sign with SigV4:
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html).
  // unverified: the answer to an unsigned request, 403 {"message":"Forbidden"}.
  it('refuses an unsigned request with 403 Forbidden before its handler runs, and serves a signed one', async () => {
    const unsignedPublish = await fetch(`${gateway.httpEndpoint}/publish`, { method: 'POST', body: '{"room":"lobby","data":"unsigned"}' });
    const unsignedStats = await fetch(`${gateway.httpEndpoint}/stats`);
    const signedStats = await fetch(`${gateway.httpEndpoint}/stats`, { headers: signedHeaders() });

    expect(await answer(unsignedPublish)).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect(await answer(unsignedStats)).toMatchObject({ status: 403, body: { message: 'Forbidden' } });
    expect(signedStats.status).toBe(200);
    expect(await signedStats.json()).toMatchObject({ connections: expect.any(Number) });
  });
});

// A WebSocket API need not have $default: API Gateway then answers a frame no
// route matches itself, with this frame, and the connection stays open
// (github.com/aws-samples/simple-websockets-chat-app/issues/24: wscat
// connected, every message answered `{"message": "Forbidden",
// "connectionId":"…", "requestId":"…"}`). Binary frames go to $default only
// ("Non-JSON messages are directed to a $default route": API Gateway developer
// guide, "Create routes for WebSocket APIs in API Gateway":
// https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).
describe('an API without $default', () => {
  let withoutDefault: LocalGateway;

  beforeAll(async () => {
    withoutDefault = new LocalGateway({
      port: 0,
      authorize: false,
      routes: [
        ...recordingRoutes.filter((route) => route.routeKey !== '$default'),
        { routeKey: 'echoEvent', name: 'echo-event', entry: 'test/support/test-routes.ts', twoWay: true },
      ],
    });
    await withoutDefault.start();
  });

  afterAll(() => withoutDefault.stop());

  it('answers unmatched and binary frames with API Gateway’s Forbidden frame, keeps the socket open, and routes the rest', async () => {
    const client = await WsClient.connect(withoutDefault.url);
    const connectionId = withoutDefault.openConnectionIds.at(-1);
    const raw: string[] = [];
    client.socket.on('message', (data: Buffer) => raw.push(data.toString()));

    const answers = [];
    for (const frame of ['no action here', '{"action":"fly"}', '{"room":"x"}', '{"action":"$connect"}', Buffer.from([1, 2, 3])]) {
      const reply = client.next();
      client.socket.send(frame);
      answers.push(await reply);
    }
    const echoed = client.next();
    client.send({ action: 'echoEvent' });

    expect(answers).toEqual(Array(5).fill({ message: 'Forbidden', connectionId, requestId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/) }));
    // Byte for byte as API Gateway writes it.
    expect(raw[0]).toMatch(new RegExp(`^\\{"message": "Forbidden", "connectionId":"${(connectionId ?? '').replace(/[+=]/g, '\\$&')}", "requestId":"[A-Za-z0-9_-]{15}="\\}$`));
    expect(await echoed).toMatchObject({ requestContext: { routeKey: 'echoEvent' } });
    expect(withoutDefault.openConnectionIds).toEqual([connectionId]);
    await client.close();
  });
});

describe('wscat', () => {
  it('joins a room and receives a message', { timeout: 60_000 }, async () => {
    const token = await mintDevToken({ userId: 'wscat-user' });
    const sender = await connectAs(gateway, 'nora');
    await sender.client.request({ action: 'joinRoom', room: 'terminal' }, 'joined');

    // Interactive, as a person uses it: wscat reads frames from its stdin (kept open) and prints what arrives.
    const before = gateway.openConnectionIds.length;
    // The installed package's own bin, run by this Node: what `npx wscat` runs, without npx's start-up.
    const wscat = spawn(process.execPath, [wscatBin, '--no-color', '-c', `${gateway.url}/?token=${token}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const printed = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(output) && resolve();
        wscat.stdout.on('data', (chunk: Buffer) => ((output += chunk.toString()), check()));
        check();
      });
    try {
      // Without a terminal wscat prints no "Connected" line: watch the gateway instead.
      await expect.poll(() => gateway.openConnectionIds.length, { timeout: 20_000 }).toBe(before + 1);
      wscat.stdin.write('{"action":"joinRoom","room":"terminal"}\n');
      await sender.client.nextOfType('user_joined', 20_000);
      await sender.client.request({ action: 'sendMessage', room: 'terminal', data: 'hello wscat' }, 'ack');
      await printed(/hello wscat/);
    } finally {
      wscat.kill();
    }

    expect(output).toContain('"type":"joined"');
    expect(output).toMatch(/"type":"message".*"data":"hello wscat"/);
    await sender.client.close();
  });
});
