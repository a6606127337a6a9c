import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { connectAs, startLocalGateway } from '../support/local-gateway.js';
import { getItem } from '../support/table.js';
import { recordedEvents, routesWithTestRoutes } from '../support/test-routes.js';

// Timeouts shortened from API Gateway's 10 minutes and 2 hours so they can be watched.
let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startLocalGateway({ routes: routesWithTestRoutes, idleTimeoutSeconds: 1, maxConnectionSeconds: 3 });
});
afterAll(() => gateway.stop());

/** The `$disconnect` event the gateway sent for the connection. */
async function disconnectOf(connectionId: string) {
  await expect
    .poll(() => recordedEvents.some((e) => e.requestContext.routeKey === '$disconnect' && e.requestContext.connectionId === connectionId))
    .toBe(true);
  return recordedEvents.find((e) => e.requestContext.routeKey === '$disconnect' && e.requestContext.connectionId === connectionId)
    ?.requestContext;
}

describe('timeouts', () => {
  it('closes an idle connection with 1001, runs $disconnect and the records go', async () => {
    const { client, connectionId } = await connectAs(gateway, 'idle-user');
    expect(await getItem(keys.connection(connectionId))).toBeDefined();

    expect((await client.closed).code).toBe(1001);

    expect(await disconnectOf(connectionId)).toMatchObject({ eventType: 'DISCONNECT', disconnectStatusCode: 1001 });
    await expect.poll(() => getItem(keys.connection(connectionId))).toBeUndefined();
  });

  it('keeps a connection that talks, until the maximum duration closes it with 1001', async () => {
    const { client, connectionId } = await connectAs(gateway, 'chatty-user');
    const started = Date.now();
    const keepTalking = setInterval(() => client.send({ action: 'ping' }), 300);

    const closed = await client.closed;
    clearInterval(keepTalking);

    // Past the 1 s idle timeout: the pings kept it open until the 3 s limit.
    expect(Date.now() - started).toBeGreaterThan(2_000);
    expect(closed.code).toBe(1001);
    expect(await disconnectOf(connectionId)).toMatchObject({ disconnectStatusCode: 1001 });
  });
});

describe('an abrupt drop', () => {
  it('runs $disconnect with 1006 when the client vanishes without a close frame', async () => {
    const { client, connectionId } = await connectAs(gateway, 'dropper');

    client.socket.terminate();

    expect(await disconnectOf(connectionId)).toMatchObject({ disconnectStatusCode: 1006 });
    await expect.poll(() => getItem(keys.connection(connectionId))).toBeUndefined();
  });
});

describe('size limits', () => {
  it('closes the connection with 1009 on a single frame over 32 KiB', async () => {
    const { client, connectionId } = await connectAs(gateway, 'big-frame');

    client.send({ action: 'ping', padding: 'x'.repeat(32 * 1024) });

    expect((await client.closed).code).toBe(1009);
    expect(await disconnectOf(connectionId)).toMatchObject({ disconnectStatusCode: 1009 });
    // The oversize frame never reached a route.
    expect(recordedEvents.some((e) => e.requestContext.connectionId === connectionId && e.requestContext.routeKey === 'ping')).toBe(false);
  });

  it('accepts a message of 32 KiB frames up to 128 KiB, and closes with 1009 above', async () => {
    const { client, connectionId } = await connectAs(gateway, 'fragments');
    const sendFragmented = (body: string) => {
      const frameBytes = 30 * 1024;
      for (let at = 0; at < body.length; at += frameBytes) {
        client.socket.send(body.slice(at, at + frameBytes), { fin: at + frameBytes >= body.length });
      }
    };

    const echoed = client.next();
    sendFragmented(JSON.stringify({ action: 'echoEvent', padding: 'y'.repeat(100 * 1024) }));
    expect(await echoed).toMatchObject({ requestContext: { routeKey: 'echoEvent' } });

    sendFragmented(JSON.stringify({ action: 'echoEvent', padding: 'z'.repeat(130 * 1024) }));
    expect((await client.closed).code).toBe(1009);
    expect(await disconnectOf(connectionId)).toMatchObject({ disconnectStatusCode: 1009 });
  });
});
