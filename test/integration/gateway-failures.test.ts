import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../local/dev-token.js';
import { LocalGateway } from '../../local/gateway/gateway.js';
import { INTEGRATION_TIMEOUT_MS } from '../../local/gateway/integration-timeout.js';
import { routes } from '../../lib/routes.js';
import { connectAs, startLocalGateway } from '../support/local-gateway.js';
import { brokenModuleRoute, lateWork, routesWithFailures, slowness } from '../support/failure-routes.js';
import { HandshakeRefused, WsClient } from '../support/ws-client.js';

/**
 * How the local gateway fails when a handler, the authorizer or its own code
 * does: as API Gateway does, answered, logged, and never left hanging.
 */

// Short, so the tests do not wait API Gateway's 29 s, yet long enough that the
// real handlers on a loaded machine never reach it; the slow ones take twice as long.
const TIMEOUT_MS = 2_000;

let gateway: LocalGateway;
const logged: string[] = [];
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', recordUnhandled);
  slowness.ms = 2 * TIMEOUT_MS;
  gateway = await startLocalGateway({
    routes: routesWithFailures,
    authorizerEntry: 'test/support/slow-authorizer.ts',
    integrationTimeoutMs: TIMEOUT_MS,
    log: (line) => logged.push(line),
  });
});

afterAll(async () => {
  await gateway?.stop();
  process.off('unhandledRejection', recordUnhandled);
});

beforeEach(() => {
  logged.length = 0;
});

afterEach(() => {
  // Every test, not only the ones about late failures: a rejection nobody handles is a gateway bug.
  if (unhandled.length > 0) throw new Error(`unhandled rejections: ${unhandled.map(String).join('; ')}`);
});

async function signedInUrl(userId: string, extra = ''): Promise<string> {
  return `${gateway.url}/?token=${encodeURIComponent(await mintDevToken({ userId }))}${extra}`;
}

async function refusal(url: string): Promise<number> {
  const error = await WsClient.connect(url).then(
    (client) => (client.socket.terminate(), undefined),
    (reason: unknown) => reason,
  );
  return error instanceof HandshakeRefused ? error.status : -1;
}

/** True when `lines` has one that matches. */
const hasLine = (lines: readonly string[], pattern: RegExp) => lines.some((line) => pattern.test(line));

describe('a handler that returns nothing', () => {
  // API Gateway refuses the handshake only when $connect fails or answers a
  // status outside 2xx (API Gateway developer guide, "$connect and
  // $disconnect routes"; measured on a deployed API in
  // github.com/if1live/aws-lambda-nodejs-event, documents/websocket.md), so an
  // empty result connects.
  it('on $connect: the handshake is accepted, as with a 200 (AWS docs: only a failed or non-2xx $connect refuses)', async () => {
    const before = gateway.openConnectionIds.length;

    const client = await WsClient.connect(await signedInUrl('quiet-connect', '&connect=silent'));

    expect(gateway.openConnectionIds.length).toBe(before + 1);
    const reply = client.next();
    client.send({ action: 'echoEvent' });
    expect(await reply).toMatchObject({ requestContext: { routeKey: 'echoEvent' } });
    expect(hasLine(logged, /gateway error|failed in the gateway/)).toBe(false);
    await client.close();
  });

  it('on a two-way route: nothing is answered and the connection goes on', async () => {
    const { client } = await connectAs(gateway, 'quiet-route');

    client.send({ action: 'silent' });
    const reply = client.next();
    client.send({ action: 'echoEvent' });

    // The first frame to arrive answers the second request: the first got none.
    expect(await reply).toMatchObject({ requestContext: { routeKey: 'echoEvent' } });
    expect(client.pending()).toEqual([]);
    expect(hasLine(logged, /silent|gateway error|failed in the gateway/)).toBe(false);
    await client.close();
  });
});

describe("API Gateway's integration timeout", () => {
  it('is 29 s unless a test shortens it', () => {
    expect(INTEGRATION_TIMEOUT_MS).toBe(29_000);
  });

  // The frame a client of a deployed API gets: github.com/Kludex/mangum/issues/128, github.com/aws/chalice/issues/1406.
  it('answers a slow message route with "Endpoint request timed out", keeps the socket open and discards the late result', async () => {
    const { client, connectionId } = await connectAs(gateway, 'patient');

    const reply = client.next();
    client.send({ action: 'slow' });

    expect(await reply).toEqual({ message: 'Endpoint request timed out', connectionId, requestId: expect.any(String) });
    expect(hasLine(logged, new RegExp(`slow timed out after ${TIMEOUT_MS} ms on ${connectionId.replace(/[=+]/g, '\\$&')}`))).toBe(true);
    // The handler finishes later; its answer never reaches the client.
    await expect.poll(() => lateWork.some((entry) => entry.startsWith('slow '))).toBe(true);
    await sleep(100);
    expect(client.pending()).toEqual([]);
    expect(hasLine(logged, new RegExp(`slow finished after the ${TIMEOUT_MS} ms integration timeout: its result is discarded`))).toBe(true);
    expect(await client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  it('logs a slow handler that fails after the timeout, with no unhandled rejection', async () => {
    const { client, connectionId } = await connectAs(gateway, 'patient-too');

    const reply = client.next();
    client.send({ action: 'slowFailure' });

    expect(await reply).toEqual({ message: 'Endpoint request timed out', connectionId, requestId: expect.any(String) });
    await expect.poll(() => hasLine(logged, new RegExp(`slowFailure failed after the ${TIMEOUT_MS} ms integration timeout: Error: failed after`))).toBe(true);
    expect(client.pending()).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(await client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  it('refuses the handshake with 504 when $connect is too slow, and registers no connection for its late 200', async () => {
    const before = gateway.openConnectionIds.length;
    const finished = lateWork.length;

    expect(await refusal(await signedInUrl('slow-connect', '&connect=slow'))).toBe(504);
    expect(hasLine(logged, new RegExp(`\\$connect timed out after ${TIMEOUT_MS} ms: refused with 504`))).toBe(true);
    await expect.poll(() => lateWork.slice(finished).some((entry) => entry.startsWith('$connect '))).toBe(true);
    await sleep(50);
    expect(gateway.openConnectionIds.length).toBe(before);
    expect(hasLine(logged, new RegExp(`\\$connect finished after the ${TIMEOUT_MS} ms integration timeout`))).toBe(true);
  });

  it('refuses the handshake with 500 when the authorizer is too slow, before $connect runs', async () => {
    const before = gateway.openConnectionIds.length;

    expect(await refusal(await signedInUrl('slow-authorizer', '&authorizer=slow'))).toBe(500);

    expect(hasLine(logged, new RegExp(`the authorizer timed out after ${TIMEOUT_MS} ms: refused with 500`))).toBe(true);
    expect(gateway.openConnectionIds.length).toBe(before);
    // The same authorizer, fast, lets the user in.
    const { client } = await connectAs(gateway, 'slow-authorizer');
    await client.close();
  });
});

describe('failures outside the handler', () => {
  describe('with broken parts', () => {
    // A second gateway, not warmed (a module that fails to import would fail
    // warm()), with a broken route and a broken HTTP hook.
    let broken: LocalGateway;
    const brokenLog: string[] = [];

    beforeAll(async () => {
      broken = new LocalGateway({
        port: 0,
        authorize: false,
        routes: [...routesWithFailures, brokenModuleRoute],
        serveOtherHttp: () => Promise.reject(new Error('the page server broke')),
        log: (line) => brokenLog.push(line),
      });
      await broken.start();
    });

    afterAll(() => broken.stop());

    it('answers a route whose module fails to import with "Internal server error", logs why, and keeps the socket open', async () => {
      const client = await WsClient.connect(`${broken.url}/?connect=silent`);
      const connectionId = broken.openConnectionIds.at(-1);

      const reply = client.next();
      client.send({ action: 'broken' });

      expect(await reply).toEqual({ message: 'Internal server error', connectionId, requestId: expect.any(String) });
      expect(hasLine(brokenLog, /broken threw: Error: the module failed to initialise/)).toBe(true);
      const echoed = client.next();
      client.send({ action: 'echoEvent' });
      expect(await echoed).toMatchObject({ requestContext: { routeKey: 'echoEvent' } });
      await client.close();
    });

    it('refuses a handshake with 500 when the route table has no $connect, and logs why', async () => {
      const withoutConnect = new LocalGateway({
        port: 0,
        authorize: false,
        routes: routes.filter((route) => route.routeKey !== '$connect'),
        log: (line) => brokenLog.push(line),
      });
      await withoutConnect.start();
      try {
        expect(await refusal(withoutConnect.url)).toBe(500);
        expect(hasLine(brokenLog, /\$connect threw: Error: the route table has no \$connect route/)).toBe(true);
      } finally {
        await withoutConnect.stop();
      }
    });

    it('answers an HTTP request whose handling throws with 500 instead of leaving it open, and logs why', async () => {
      const response = await fetch(`${broken.httpEndpoint}/some-page`, { signal: AbortSignal.timeout(5_000) });

      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
      expect(hasLine(brokenLog, /GET \/some-page failed in the gateway: Error: the page server broke/)).toBe(true);
    });
  });
});
