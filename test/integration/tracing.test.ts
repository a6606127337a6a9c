/**
 * X-Ray, as a traced deployment sends it: functions built as deployed, with
 * the variables CDK gives them when `tracing` is on and those Lambda sets for
 * a sampled invocation, send their segments to a stand-in X-Ray daemon (a UDP
 * socket, as the daemon is). What arrives is what the X-Ray console shows.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LARGE_ROOM_DEFAULTS } from '../../lib/fan-out-worker.js';
import { functionDefinitions } from '../../lib/function-definitions.js';
import { PROJECT_ROOT } from '../../lib/realtime-stack.js';
import * as gateway from '../../local/gateway/events.js';
import { IsolatedFunctions } from '../../local/lambda/function-invoker.js';
import { messageEvent } from '../support/events.js';
import { httpEvent } from '../support/http-events.js';

interface XRayDocument {
  readonly name: string;
  readonly trace_id: string;
  readonly namespace?: string;
  readonly aws?: { readonly operation?: string; readonly table_name?: string };
  readonly annotations?: Record<string, unknown>;
}

const TRACE_ROOT = '1-67890abc-0123456789abcdef01234567';
const api: gateway.ApiInfo = { apiId: 'local', stage: 'dev', domainName: '127.0.0.1', region: 'us-east-1', accountId: '000000000000' };

/** A Management API whose every connection is gone: each post is answered 410. */
let goneApi: Server;

beforeAll(async () => {
  goneApi = createServer((request, response) => {
    request.resume();
    response.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' }).end('{"message":null}');
  });
  await new Promise<void>((resolve) => goneApi.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise<void>((resolve) => goneApi.close(() => resolve())));

/** Runs `invocations` against the deployed functions configured with `tracing`; gives what the daemon received. */
async function daemonSees(tracing: boolean, invocations: (functions: IsolatedFunctions) => Promise<void>): Promise<XRayDocument[]> {
  const daemon = createSocket('udp4');
  const received: XRayDocument[] = [];
  // A daemon datagram is a header line, then the segment document.
  daemon.on('message', (datagram) => received.push(JSON.parse(datagram.toString('utf8').split('\n')[1] ?? '{}') as XRayDocument));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const functions = new IsolatedFunctions({
    definitions: functionDefinitions({
      tableName: process.env.TABLE_NAME as string,
      callbackUrl: `http://127.0.0.1:${(goneApi.address() as AddressInfo).port}/dev`,
      fanOutQueueUrl: 'https://example.invalid/queue',
      authorizerEnvironment: {},
      limitEnvironment: {},
      largeRooms: LARGE_ROOM_DEFAULTS,
      logLevel: 'SILENT',
      tracing,
    }),
    projectRoot: PROJECT_ROOT,
    region: 'us-east-1',
    localVariables: {
      AWS_ENDPOINT_URL_DYNAMODB: process.env.DYNAMODB_ENDPOINT as string,
      POWERTOOLS_METRICS_DISABLED: 'true',
      // What Lambda sets in a function with active tracing, for a sampled invocation.
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=0123456789abcdef;Sampled=1`,
    },
  });
  try {
    await invocations(functions);
    // UDP: give the last datagrams a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return received;
  } finally {
    await functions.stop();
    daemon.close();
  }
}

describe('X-Ray tracing', () => {
  let traced: XRayDocument[];
  let untraced: XRayDocument[];
  let connected: unknown;
  let published: { body: string } | undefined;

  beforeAll(async () => {
    traced = await daemonSees(true, async (functions) => {
      const connection: gateway.ClientInfo = {
        connectionId: 'traced-connection',
        connectedAt: Date.now(),
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
        // The authorizer's context as API Gateway passes it on.
        authorizer: { principalId: 'traced-user', userId: 'traced-user', name: 'Traced', rooms: '', roles: '' },
      };
      const shake = gateway.handshake({ headers: [['Host', api.domainName]], search: new URLSearchParams({ token: 'x' }) });
      connected = await functions.invoke('$connect', 'lambdas/handlers/connect.ts', gateway.connectEvent(api, connection, shake));
      published = await functions.invoke<{ body: string }>('admin', 'lambdas/handlers/admin.ts', httpEvent('POST', '/publish', '{"userId":"traced-user","data":"hi"}'));
    });
    untraced = await daemonSees(false, async (functions) => {
      await functions.invoke('ping', 'lambdas/handlers/ping.ts', messageEvent('untraced-unknown', 'ping', '{"action":"ping"}'));
    });
  }, 120_000);

  it('on: the functions work as they do untraced', () => {
    expect(connected).toEqual({ statusCode: 200 });
    // The user's one connection answered 410, so the post found it gone.
    expect(JSON.parse(published?.body ?? '{}')).toMatchObject({ delivered: 0, gone: 1 });
  });

  it('on: each handler is a subsegment of the invocation’s trace, annotated with its cold start and service', () => {
    const handlers = traced.filter((document) => document.name === '## index.handler');
    expect(handlers).toHaveLength(2);
    for (const handler of handlers) expect(handler).toMatchObject({ trace_id: TRACE_ROOT, annotations: { ColdStart: true, Service: 'realtime' } });
  });

  it('on: each DynamoDB call is a subsegment naming its operation, and its table when it has one', () => {
    const dynamoCalls = traced.filter((document) => document.name === 'DynamoDB');
    for (const call of dynamoCalls) expect(call).toMatchObject({ trace_id: TRACE_ROOT, namespace: 'aws', aws: { operation: expect.any(String) } });
    // $connect writes its records in one transaction (which names no single table); publish reads the user's connections.
    expect(dynamoCalls.map((call) => call.aws?.operation)).toEqual(expect.arrayContaining(['TransactWriteItems', 'Query']));
    const tables = dynamoCalls.flatMap((call) => (call.aws?.table_name === undefined ? [] : [call.aws.table_name]));
    expect(tables.length).toBeGreaterThan(0);
    expect(new Set(tables)).toEqual(new Set([process.env.TABLE_NAME]));
  });

  it('on: a fan-out is one subsegment around its posts, annotated with its recipients', () => {
    expect(traced.filter((document) => document.name === 'PostToConnection')).toEqual([
      expect.objectContaining({ trace_id: TRACE_ROOT, annotations: { recipients: 1 } }),
    ]);
  });

  it('off (the default): nothing is sent, though Lambda’s variables are the same', () => {
    expect(untraced).toEqual([]);
  });
});
