/**
 * The local gateway running every function as Lambda runs it (what `npm start`
 * does): each in its own runtime with the environment CDK gives it, kept warm,
 * and a route added from AWS's documentation alone working end to end:
 * plain SDK clients, the documented callback URL, PostToConnection and a
 * GoneException for a closed connection.
 *
 * Sources: API Gateway developer guide, "Use @connections commands in your
 * backend service" (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html:
 * the callback URL is https://{api-id}.execute-api.{region}.amazonaws.com/{stage},
 * a closed connection answers 410 GoneException); Lambda developer guide,
 * "Defined runtime environment variables"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
 * AWS SDK for JavaScript v3 developer guide, "Service-specific endpoints"
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html: AWS_ENDPOINT_URL_<SERVICE>).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../lib/function-definitions.js';
import { LARGE_ROOM_DEFAULTS } from '../../lib/fan-out-worker.js';
import { PROJECT_ROOT } from '../../lib/realtime-api.js';
import { routes, type RouteDefinition } from '../../lib/routes.js';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { isolatedFunctions } from '../../local/lambda/local-deployment.js';
import { lambdaRuntimeVariables } from '../../local/lambda/runtime-variables.js';
import { connectAs, startLocalGateway, type SignedInClient } from '../support/local-gateway.js';

let handlerDir: string;
let gateway: LocalGateway;
const logged: string[] = [];
let alice: SignedInClient;

/** One line in the route table: what "Add a route" (docs/local-gateway.md) asks of a user. */
function echoRoute(entry: string): RouteDefinition {
  return { routeKey: 'echo', name: 'echo', entry, twoWay: false };
}

beforeAll(async () => {
  // Outside the project: no node_modules beside or above the handler.
  handlerDir = mkdtempSync(path.join(tmpdir(), 'aws-documented-handler-'));
  copyFileSync(path.join(PROJECT_ROOT, 'test/fixtures/aws-documented-handler/handler.mjs'), path.join(handlerDir, 'handler.mjs'));
  gateway = await startLocalGateway({
    routes: [...routes, echoRoute(path.join(handlerDir, 'handler.mjs'))],
    log: (line) => logged.push(line),
    functions: isolatedFunctions({
      projectRoot: PROJECT_ROOT,
      region: 'us-east-1',
      tableName: process.env.TABLE_NAME as string,
      dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT as string,
      authorizerEnvironment: { JWT_SECRET: process.env.JWT_SECRET as string },
      logLevel: 'SILENT',
      log: (line) => logged.push(line),
    }),
  });
  alice = await connectAs(gateway, 'alice');
}, 120_000);

afterAll(async () => {
  await alice?.client.close();
  await gateway?.stop();
  rmSync(handlerDir, { recursive: true, force: true });
});

describe('a route written from AWS documentation alone', () => {
  it('reaches DynamoDB Local with a plain client and answers through the callback URL https://{domainName}/{stage}', async () => {
    alice.client.send({ action: 'echo', text: 'hello' });
    expect(await alice.client.next((frame) => 'echo' in frame)).toMatchObject({ echo: 'hello', invocations: 1, tableRead: true });
  });

  it('keeps its module state between invocations, as a warm Lambda does, and logged its cold start', async () => {
    alice.client.send({ action: 'echo', text: 'again' });
    expect(await alice.client.next((frame) => 'echo' in frame)).toMatchObject({ echo: 'again', invocations: 2 });
    expect(logged.filter((line) => /^realtime-echo: cold start, init \d+ ms$/.test(line))).toHaveLength(1);
  });

  it('gets a GoneException (410) posting to a connection that closed', async () => {
    const bob = await connectAs(gateway, 'bob');
    await bob.client.close();
    await expect.poll(() => gateway.openConnectionIds.includes(bob.connectionId)).toBe(false);
    alice.client.send({ action: 'echo', text: 'anyone?', to: bob.connectionId });
    expect(await alice.client.next((frame) => 'gone' in frame)).toEqual({ gone: bob.connectionId, status: 410 });
  });

  it('sees exactly what CDK gives a route function, what Lambda sets, and the local endpoints: nothing of the gateway process', async () => {
    alice.client.send({ action: 'echo', text: 'env' });
    const { variables } = await alice.client.next<{ variables: string[] }>((frame) => 'variables' in frame);
    const definition = functionDefinitions(
      {
        tableName: 't',
        callbackUrl: 'u',
        fanOutQueueUrl: 'q',
        authorizerEnvironment: {},
        limitEnvironment: {},
        largeRooms: LARGE_ROOM_DEFAULTS,
        logLevel: 'SILENT',
        tracing: false,
      },
      [...routes, echoRoute('echo.mjs')],
    ).find((candidate) => candidate.name === 'echo');
    const expected = [
      ...Object.keys(lambdaRuntimeVariables({ functionName: 'f', memoryMb: 1, runtime: 'r', taskRoot: '/' })),
      ...Object.keys(definition?.environment ?? {}),
      'AWS_ENDPOINT_URL_DYNAMODB',
      'POWERTOOLS_METRICS_DISABLED',
    ].sort();
    expect(variables).toEqual(expected);
    // The test process has these; a function must not.
    expect(variables).not.toContain('JWT_SECRET');
    expect(variables).not.toContain('PATH');
    expect(variables).not.toContain('DYNAMODB_ENDPOINT');
  });
});

describe("the product's own routes, isolated", () => {
  it('join, send and receive across two users, every frame through its own function', async () => {
    const carol = await connectAs(gateway, 'carol');
    try {
      alice.client.send({ action: 'joinRoom', room: 'isolated' });
      await alice.client.nextOfType('joined');
      carol.client.send({ action: 'joinRoom', room: 'isolated' });
      await carol.client.nextOfType('joined');
      carol.client.send({ action: 'sendMessage', room: 'isolated', data: { text: 'over https' }, clientMsgId: 'c1' });
      expect(await carol.client.nextOfType('ack')).toMatchObject({ clientMsgId: 'c1', seq: 1 });
      expect(await alice.client.nextOfType('message')).toMatchObject({ room: 'isolated', seq: 1, data: { text: 'over https' } });
    } finally {
      await carol.client.close();
    }
  });
});
