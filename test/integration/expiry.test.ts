import { describe, expect, it, vi } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import { managementApi } from '../support/management-api.js';
import { expireConnection, getItem, nowSeconds, setExpiresAt } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

// This file's table has no TTL deletion: expired items stay, as they do on AWS
// for up to days, so these tests see the reads ignore them by themselves.
vi.hoisted(() => {
  process.env.TEST_TABLE_TTL = 'off';
});

const past = () => nowSeconds() - 5;

describe('expired items', () => {
  it('are invisible to fan-out, members and joined', async () => {
    const speaker = await TestConnection.open('ada');
    const stale = await TestConnection.open('bo');
    await speaker.send({ action: 'joinRoom', room: 'stale-room' });
    await stale.send({ action: 'joinRoom', room: 'stale-room' });
    await setExpiresAt(keys.membership('stale-room', stale.connectionId), past());
    managementApi.reset();

    await speaker.send({ action: 'sendMessage', room: 'stale-room', data: 'anyone?' });
    const members = await speaker.send({ action: 'members', room: 'stale-room' });
    const newcomer = await TestConnection.open('cy');
    const joined = await newcomer.send({ action: 'joinRoom', room: 'stale-room' });

    expect(managementApi.attemptsFor(stale.connectionId)).toBe(0);
    expect(members).toMatchObject({ members: [{ userId: 'ada' }] });
    expect(joined).toMatchObject({ members: [{ userId: 'ada' }, { userId: 'cy' }] });
    expect(await getItem(keys.membership('stale-room', stale.connectionId))).toBeDefined();
  });

  it('do not count toward the per-user connection limit', async () => {
    const old = await Promise.all(Array.from({ length: 5 }, () => TestConnection.open('dot')));
    for (const conn of old) await setExpiresAt(keys.userConnection('dot', conn.connectionId), past());

    const fresh = new TestConnection({ userId: 'dot', name: 'dot', allowedRooms: [], roles: [] });
    expect((await fresh.connect()).statusCode).toBe(200);
  });

  it('make a private message to their user find no open connection', async () => {
    const sender = await TestConnection.open('eda');
    const target = await TestConnection.open('fin');
    await setExpiresAt(keys.userConnection('fin', target.connectionId), past());

    expect(await sender.send({ action: 'sendMessage', to: 'fin', data: 'hi' })).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
    });
    expect(managementApi.attemptsFor(target.connectionId)).toBe(0);
  });

  it('leave a connection whose own record expired unable to act until it reconnects', async () => {
    const conn = await TestConnection.open('gil');
    await expireConnection(conn.connectionId, past());

    expect(await conn.send({ action: 'joinRoom', room: 'any' })).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      message: expect.stringMatching(/reconnect/),
    });
  });

  it('drop out of history', async () => {
    const conn = await TestConnection.open('hub');
    await conn.send({ action: 'joinRoom', room: 'old-news' });
    for (const data of ['first', 'second']) await conn.send({ action: 'sendMessage', room: 'old-news', data });
    await setExpiresAt(keys.roomMessage('old-news', 1), past());

    const reply = await conn.send({ action: 'history', room: 'old-news', afterSeq: 0 });

    expect(reply?.type === 'history' && reply.messages.map((message) => message.data)).toEqual(['second']);
  });
});

describe('idle expiry', () => {
  async function joinedConnection(user: string, room: string) {
    const conn = await TestConnection.open(user);
    await conn.send({ action: 'joinRoom', room });
    const itemKeys = [
      keys.connection(conn.connectionId),
      keys.userConnection(user, conn.connectionId),
      keys.membership(room, conn.connectionId),
    ];
    return { conn, itemKeys };
  }

  async function expiries(itemKeys: ReturnType<typeof keys.connection>[]) {
    return Promise.all(itemKeys.map(async (key) => Number((await getItem(key))?.expiresAt)));
  }

  it('moves forward on ping, for the connection, its user link and its memberships', async () => {
    const { conn, itemKeys } = await joinedConnection('ivo', 'pinged');
    const soon = nowSeconds() + 400;
    for (const key of itemKeys) await setExpiresAt(key, soon);

    expect(await conn.send({ action: 'ping' })).toMatchObject({ type: 'pong' });

    for (const expiresAt of await expiries(itemKeys)) expect(expiresAt).toBeGreaterThan(nowSeconds() + 600);
  });

  it('moves forward on any frame that API Gateway’s idle deadline would outlive, and not before', async () => {
    const { conn, itemKeys } = await joinedConnection('jon', 'active');
    // A frame now keeps the socket open until now + 600: records must last past that, plus grace.
    const covered = nowSeconds() + 700;
    const short = nowSeconds() + 650;

    for (const key of itemKeys) await setExpiresAt(key, covered);
    await conn.send({ action: 'members', room: 'active' });
    expect(await expiries(itemKeys)).toEqual([covered, covered, covered]);

    for (const key of itemKeys) await setExpiresAt(key, short);
    await conn.send({ action: 'members', room: 'active' });
    for (const expiresAt of await expiries(itemKeys)) expect(expiresAt).toBeGreaterThanOrEqual(nowSeconds() + 900);
  });

  it('keeps a member who spoke 6 minutes after joining in the room at minute 11', async () => {
    // The case that dropped a member while API Gateway still held the socket:
    // records written at join, a frame 350 s later, a room message at 700 s.
    const { conn: gina, itemKeys } = await joinedConnection('gina', 'late');
    const joinedAt = nowSeconds() - 350;
    for (const key of itemKeys) await setExpiresAt(key, joinedAt + 960);

    await gina.send({ action: 'sendMessage', room: 'late', data: 'still here' });

    // API Gateway keeps her until 350 + 600 = 950 s after the join; so must the records.
    for (const expiresAt of await expiries(itemKeys)) expect(expiresAt).toBeGreaterThan(joinedAt + 950 + 60);
  });
});
