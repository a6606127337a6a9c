import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { connectAs, startLocalGateway } from '../support/local-gateway.js';
import { getItem } from '../support/table.js';

vi.hoisted(() => {
  process.env.RATE_LIMIT_FRAMES = '5';
  process.env.RATE_LIMIT_WINDOW_SECONDS = '4';
});

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const WINDOW_MS = 4_000;

/** Waits for the start of a fresh rate window, so a burst falls inside one even on a loaded machine. */
async function atWindowStart(): Promise<void> {
  const into = Date.now() % WINDOW_MS;
  if (into > 300) await sleep(WINDOW_MS - into + 20);
}

describe('the per-connection rate limit', () => {
  it('answers RATE_LIMITED past the budget, and serves the connection again in the next window', async () => {
    const { client } = await connectAs(gateway, 'flooder');
    await atWindowStart();

    const replies = Array.from({ length: 7 }, () => client.next());
    for (let i = 0; i < 7; i += 1) client.send({ action: 'ping' });
    const frames = await Promise.all(replies);

    expect(frames.filter((frame) => frame.type === 'pong')).toHaveLength(5);
    const refusals = frames.filter((frame) => frame.type === 'error');
    expect(refusals).toEqual([
      expect.objectContaining({ code: 'RATE_LIMITED', action: 'ping', message: expect.stringMatching(/more than 5 frames in 4 s/) }),
      expect.objectContaining({ code: 'RATE_LIMITED' }),
    ]);
    // Machine-readable: until the 4-second window ends, so clients need not parse the message.
    for (const refusal of refusals) {
      expect(refusal.retryAfterMs).toEqual(expect.any(Number));
      expect(refusal.retryAfterMs).toBeGreaterThan(0);
      expect(refusal.retryAfterMs).toBeLessThanOrEqual(WINDOW_MS);
    }

    await sleep(WINDOW_MS + 100);
    expect(await client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    await client.close();
  });

  it('names the send it refused, so the client can send it again after retryAfterMs', async () => {
    const { client } = await connectAs(gateway, 'hasty');
    await client.request({ action: 'joinRoom', room: 'hasty-room' }, 'joined');
    await atWindowStart();

    const replies = Array.from({ length: 6 }, () => client.next());
    for (let i = 0; i < 6; i += 1) client.send({ action: 'sendMessage', room: 'hasty-room', data: i, clientMsgId: `h-${i}` });
    const frames = await Promise.all(replies);

    const refused = frames.filter((frame) => frame.type === 'error');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const frame of refused) {
      expect(frame).toMatchObject({ code: 'RATE_LIMITED', room: 'hasty-room', clientMsgId: expect.stringMatching(/^h-\d$/) });
    }
    const answered = frames.map((frame) => frame.clientMsgId).sort();
    expect(answered).toEqual(['h-0', 'h-1', 'h-2', 'h-3', 'h-4', 'h-5']);
    await client.close();
  });

  it('limits each connection on its own', async () => {
    const noisy = await connectAs(gateway, 'noisy');
    const quiet = await connectAs(gateway, 'quiet');
    await atWindowStart();

    const burst = Array.from({ length: 6 }, () => noisy.client.next());
    for (let i = 0; i < 6; i += 1) noisy.client.send({ action: 'ping' });
    await Promise.all(burst);

    expect(await quiet.client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    for (const c of [noisy, quiet]) await c.client.close();
  });
});

describe('a token that expires while connected', () => {
  it('closes the connection on its next frame, telling it why, and its records go', async () => {
    const { client, connectionId } = await connectAs(gateway, 'short-lived', { expiresIn: '2s' });
    expect(await client.request({ action: 'joinRoom', room: 'expiring' }, 'joined')).toMatchObject({ type: 'joined' });

    await sleep(3_000);
    const last = client.next();
    client.send({ action: 'ping' });

    expect(await last).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringMatching(/token has expired/), reconnect: true });
    expect((await client.closed).code).toBe(1000);
    await expect.poll(() => getItem(keys.connection(connectionId))).toBeUndefined();
    expect(await getItem(keys.membership('expiring', connectionId))).toBeUndefined();
  });
});

describe('room authorisation through the gateway', () => {
  it('refuses a private room the token does not name and admits one it names', async () => {
    const outsider = await connectAs(gateway, 'outsider');
    const insider = await connectAs(gateway, 'insider', { rooms: ['private-board'] });

    expect(await outsider.client.request({ action: 'joinRoom', room: 'private-board' }, 'joined')).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
    });
    expect(await insider.client.request({ action: 'joinRoom', room: 'private-board' }, 'joined')).toMatchObject({
      type: 'joined',
    });
    for (const c of [outsider, insider]) await c.client.close();
  });
});

describe('broadcast over the WebSocket', () => {
  it('is refused without the admin role', async () => {
    const { client } = await connectAs(gateway, 'pretender');
    expect(await client.request({ action: 'sendMessage', broadcast: true, data: 'all of you' }, 'ack')).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      message: expect.stringMatching(/admin/),
    });
    await client.close();
  });

  it('reaches every other connection, in a room or not, for the admin role', async () => {
    const admin = await connectAs(gateway, 'operator', { roles: ['admin'] });
    const roomless = await connectAs(gateway, 'listener-1');
    const inRoom = await connectAs(gateway, 'listener-2');
    await inRoom.client.request({ action: 'joinRoom', room: 'somewhere' }, 'joined');

    const ack = await admin.client.request({ action: 'sendMessage', broadcast: true, data: 'maintenance at 18:00' }, 'ack');

    expect(ack).toMatchObject({ type: 'ack', id: expect.any(String) });
    for (const listener of [roomless, inRoom]) {
      expect(await listener.client.nextOfType('message')).toMatchObject({
        id: ack.id,
        from: { userId: 'operator' },
        data: 'maintenance at 18:00',
      });
    }
    expect(admin.client.pending()).toEqual([]);
    for (const c of [admin, roomless, inRoom]) await c.client.close();
  });
});
