import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adminApi } from '../../lib/routes.js';
import { dynamo } from '../../lambdas/core/clients.js';
import { config } from '../../lambdas/core/config.js';
import {
  logger,
  MAX_DATA_BYTES,
  ProtocolError,
  publish,
  serverFrameSchema,
  type PublishRequest,
  type ServerFrame,
} from '../../lambdas/core/index.js';
import { decodeStoredMessage } from '../../lambdas/core/store/stored-message.js';
import { broadcastShardOf, keys } from '../../lambdas/core/table.js';
import { handler } from '../../lambdas/handlers/admin.js';
import { lambdaContext } from '../support/events.js';
import { callAdmin, httpEvent } from '../support/http-events.js';
import { managementApi } from '../support/management-api.js';
import { connectionItems, getItem, nowSeconds, setExpiresAt } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

// No TTL deletion in this file's table, so the expired-link test sees the
// broadcast skip expired items by its own filter, not because DynamoDB Local
// happened to delete them already.
vi.hoisted(() => {
  process.env.TEST_TABLE_TTL = 'off';
});

const SYSTEM = { userId: 'system', name: 'system' };
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Every connection a test opens is closed after it, so each test starts with
 * no live connection in the (file-wide) table and a broadcast's counts are
 * exactly the test's own.
 */
const opened: TestConnection[] = [];

afterEach(async () => {
  for (const conn of opened.splice(0)) await conn.disconnect();
  vi.restoreAllMocks();
});

async function open(userId: string, connectionId?: string): Promise<TestConnection> {
  const conn = new TestConnection({ userId, name: userId.toUpperCase(), allowedRooms: [], roles: [] }, connectionId);
  const result = await conn.connect();
  if (result.statusCode !== 200) throw new Error(`connect refused: ${result.statusCode}`);
  opened.push(conn);
  return conn;
}

async function openInRoom(room: string, ...users: string[]): Promise<TestConnection[]> {
  const conns: TestConnection[] = [];
  for (const user of users) {
    const conn = await open(user);
    await conn.send({ action: 'joinRoom', room });
    conns.push(conn);
  }
  for (const conn of conns) conn.received();
  return conns;
}

function messagesOf(frames: ServerFrame[]) {
  return frames.filter((frame) => frame.type === 'message');
}

/** Connection ids, `perShard` in every everyone-set partition, so a broadcast must read them all. */
function idsCoveringEveryShard(perShard: number): string[] {
  const byShard = new Map<number, string[]>();
  while ([...byShard.values()].filter((ids) => ids.length >= perShard).length < config.broadcastShards) {
    const id = `c-${randomUUID().slice(0, 12)}=`;
    const ids = byShard.get(broadcastShardOf(id, config.broadcastShards)) ?? [];
    if (ids.length < perShard) ids.push(id);
    byShard.set(broadcastShardOf(id, config.broadcastShards), ids);
  }
  return [...byShard.values()].flat();
}

describe('POST /publish to a room', () => {
  it('delivers a system message numbered in line with the members’ own, stores it in history and advances lastSeq', async () => {
    const [ann, ben] = await openInRoom('lobby', 'ann', 'ben');
    const outsider = await open('out');
    expect(await ann?.send({ action: 'sendMessage', room: 'lobby', data: 'first' })).toMatchObject({ seq: 1 });
    ben?.received();

    const answer = await callAdmin('POST', '/publish', { room: 'lobby', data: { text: 'maintenance at 5' } });

    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(answer.json).toEqual({ id: expect.any(String), seq: 2, delivered: 2, gone: 0, failed: 0 });
    const id = (answer.json as { id: string }).id;
    const expected = {
      type: 'message',
      room: 'lobby',
      id,
      seq: 2,
      from: SYSTEM,
      data: { text: 'maintenance at 5' },
      sentAt: expect.stringMatching(ISO_TIME),
    };
    for (const member of [ann, ben]) {
      const frames = member?.received() ?? [];
      expect(frames).toEqual([expected]);
      expect(serverFrameSchema.safeParse(frames[0]).success).toBe(true);
    }
    expect(outsider.received()).toEqual([]);

    const history = await ben?.send({ action: 'history', room: 'lobby', afterSeq: 1 });
    expect(history).toEqual({ type: 'history', room: 'lobby', messages: [expected] });
    const newcomer = await open('new');
    expect(await newcomer.send({ action: 'joinRoom', room: 'lobby' })).toMatchObject({ lastSeq: 2 });
    expect(await ann?.send({ action: 'sendMessage', room: 'lobby', data: 'after' })).toMatchObject({ seq: 3 });
  });

  it('stores and numbers the message even when nobody is in the room', async () => {
    const answer = await callAdmin('POST', '/publish', { room: 'private-empty', data: [1, 2] });

    expect(answer).toMatchObject({ status: 200, json: { seq: 1, delivered: 0, gone: 0, failed: 0 } });
    const stored = await getItem(keys.roomMessage('private-empty', 1));
    expect(decodeStoredMessage(stored?.message)).toMatchObject({ type: 'message', room: 'private-empty', seq: 1, from: SYSTEM, data: [1, 2] });
    expect(await getItem(keys.roomSequence('private-empty'))).toMatchObject({ seq: 1 });
  });

  it('accepts a base64-encoded body and a path under a named stage', async () => {
    const [member] = await openInRoom('encoded', 'enc');

    const answer = await callAdmin('POST', '/publish', { room: 'encoded', data: 'ünïcödé' }, { base64: true, stage: 'prod' });

    expect(answer).toMatchObject({ status: 200, json: { seq: 1, delivered: 1 } });
    expect(messagesOf(member?.received() ?? [])).toMatchObject([{ data: 'ünïcödé', from: SYSTEM }]);
  });
});

describe('POST /publish to a user', () => {
  it('reaches every device of the user and nobody else, unnumbered and unstored', async () => {
    const devices = [await open('pia'), await open('pia'), await open('pia')];
    const other = await open('oli');

    const answer = await callAdmin('POST', '/publish', { userId: 'pia', data: { notice: 'invoice ready' } });

    expect(answer).toMatchObject({ status: 200, json: { id: expect.any(String), delivered: 3, gone: 0, failed: 0 } });
    expect(answer.json).not.toHaveProperty('seq');
    const expected = {
      type: 'message',
      id: (answer.json as { id: string }).id,
      from: SYSTEM,
      data: { notice: 'invoice ready' },
      sentAt: expect.stringMatching(ISO_TIME),
    };
    for (const device of devices) expect(device.received()).toEqual([expected]);
    expect(other.received()).toEqual([]);
  });

  it('is not an error when the user has no open connection', async () => {
    const answer = await callAdmin('POST', '/publish', { userId: 'offline-user', data: 1 });
    expect(answer).toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      json: { id: expect.any(String), delivered: 0, gone: 0, failed: 0 },
    });
  });

  it('purges a device that answers 410 and still reaches the others', async () => {
    const live = await open('sam');
    const vanished = await open('sam');
    managementApi.markGone(vanished.connectionId);

    const answer = await callAdmin('POST', '/publish', { userId: 'sam', data: 'hi' });

    expect(answer.json).toMatchObject({ delivered: 1, gone: 1, failed: 0 });
    expect(messagesOf(live.received())).toHaveLength(1);
    expect(await connectionItems(vanished.connectionId, 'sam')).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
  });
});

describe('POST /publish broadcast', () => {
  it('reaches every live connection, in a room or not, in every everyone-set shard', async () => {
    const ids = idsCoveringEveryShard(2);
    expect(ids.length).toBeGreaterThan(config.broadcastShards);
    const conns: TestConnection[] = [];
    for (const [index, id] of ids.entries()) {
      const conn = await open(`b${index}`, id);
      if (index % 3 === 0) await conn.send({ action: 'joinRoom', room: 'some-room' });
      conns.push(conn);
    }
    for (const conn of conns) conn.received();
    expect(new Set(ids.map((id) => broadcastShardOf(id, config.broadcastShards))).size).toBe(config.broadcastShards);

    const answer = await callAdmin('POST', '/publish', { broadcast: true, data: { banner: 'hello all' } });

    expect(answer).toMatchObject({ status: 200, json: { delivered: ids.length, gone: 0, failed: 0 } });
    expect(answer.json).not.toHaveProperty('seq');
    for (const conn of conns) {
      expect(conn.received()).toEqual([
        {
          type: 'message',
          id: (answer.json as { id: string }).id,
          from: SYSTEM,
          data: { banner: 'hello all' },
          sentAt: expect.stringMatching(ISO_TIME),
        },
      ]);
    }
  });

  it('purges a connection that answers 410, and its room hears that its user left', async () => {
    const [stays, vanished] = await openInRoom('broadcast-room', 'stay', 'gone');
    const id = vanished?.connectionId ?? '';
    managementApi.markGone(id);

    const answer = await callAdmin('POST', '/publish', { broadcast: true, data: 'all' });

    expect(answer.json).toMatchObject({ delivered: 1, gone: 1, failed: 0 });
    // Shards are read in turn, so whether the purge's user_left comes before
    // or after the broadcast depends on which shard each connection is in.
    const frames = stays?.received() ?? [];
    expect(frames).toHaveLength(2);
    expect(frames).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'message', from: SYSTEM, data: 'all' }),
        { type: 'user_left', room: 'broadcast-room', user: { userId: 'gone', name: 'GONE' }, count: 1 },
      ]),
    );
    expect(await connectionItems(id, 'gone', ['broadcast-room'])).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
    expect(await getItem(keys.broadcastMember(broadcastShardOf(id, config.broadcastShards), id))).toBeUndefined();
  });

  it('skips connections whose everyone-set link has expired', async () => {
    const live = await open('fresh');
    const stale = await open('stale');
    const staleLink = keys.broadcastMember(broadcastShardOf(stale.connectionId, config.broadcastShards), stale.connectionId);
    await setExpiresAt(staleLink, nowSeconds() - 5);

    const answer = await callAdmin('POST', '/publish', { broadcast: true, data: 'live ones only' });

    expect(answer.json).toMatchObject({ delivered: 1, gone: 0, failed: 0 });
    expect(messagesOf(live.received())).toHaveLength(1);
    expect(managementApi.attemptsFor(stale.connectionId)).toBe(0);
    expect(await getItem(staleLink)).toBeDefined();
  });
});

describe('POST /publish refusals', () => {
  // Serialised, a string gains two quotes: this is exactly MAX_DATA_BYTES, one more character is over.
  const atLimit = 'x'.repeat(MAX_DATA_BYTES - 2);

  it.each([
    ['a body that is not JSON', '{"room": "x", ', 400, /not valid JSON/],
    ['no body at all', undefined, 400, /not valid JSON/],
    ['a JSON array', [1], 400, /expected object/],
    ['JSON null', null, 400, /expected object/],
    ['none of room, userId or broadcast', { data: 1 }, 400, /exactly one of room, userId or broadcast/],
    ['room and userId', { room: 'refused', userId: 'u', data: 1 }, 400, /exactly one of/],
    ['room and broadcast', { room: 'refused', broadcast: true, data: 1 }, 400, /exactly one of/],
    ['userId and broadcast', { userId: 'u', broadcast: true, data: 1 }, 400, /exactly one of/],
    ['broadcast: false', { broadcast: false, data: 1 }, 400, /^broadcast: must be true/],
    ['broadcast: "true"', { broadcast: 'true', data: 1 }, 400, /^broadcast: must be true/],
    ['a bad room name', { room: 'no spaces allowed', data: 1 }, 400, /^room: must be 1-64 characters/],
    ['a room name with a key separator', { room: 'a#b', data: 1 }, 400, /^room: /],
    ['an empty userId', { userId: '', data: 1 }, 400, /^userId: must not be empty/],
    ['a userId over 128 characters', { userId: 'u'.repeat(129), data: 1 }, 400, /^userId: must be at most 128/],
    ['no data', { room: 'refused' }, 400, /^data: is required$/],
    ['data over 16 KiB', { room: 'refused', data: `${atLimit}x` }, 413, /^data: is 16385 bytes serialised; the limit is 16384$/],
    ['data over 16 KiB and two targets', { room: 'refused', userId: 'u', data: `${atLimit}x` }, 400, /exactly one of/],
  ])('answers %s with %i', async (_description, body, status, message) => {
    const answer = await callAdmin('POST', '/publish', body);

    expect(answer).toEqual({
      status,
      headers: { 'Content-Type': 'application/json' },
      json: { error: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message: expect.stringMatching(message) },
    });
    expect(await getItem(keys.roomSequence('refused'))).toBeUndefined();
  });

  it('counts data size in UTF-8 bytes and accepts exactly 16 KiB', async () => {
    // 'é' is one character but two bytes: counted in characters, the second would pass.
    const exactly = await callAdmin('POST', '/publish', { room: 'limits', data: `${atLimit.slice(2)}é` });
    const overByMultibyte = await callAdmin('POST', '/publish', { room: 'limits', data: `${atLimit.slice(1)}é` });

    expect(exactly).toMatchObject({ status: 200, json: { seq: 1 } });
    expect(overByMultibyte).toMatchObject({ status: 413, json: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(await getItem(keys.roomSequence('limits'))).toMatchObject({ seq: 1 });
  });

  it('refuses the same requests when called as a library, without touching the table', async () => {
    // The type cannot express the room-name rule, so publish checks again itself.
    const badRoom: PublishRequest = { room: 'a#b', data: 1 };
    const tooBig: PublishRequest = { userId: 'u', data: `${atLimit}x` };

    await expect(publish(badRoom)).rejects.toBeInstanceOf(ProtocolError);
    await expect(publish(badRoom)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(publish(tooBig)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await getItem(keys.roomSequence('a#b'))).toBeUndefined();
  });
});

describe('admin routing', () => {
  it.each(adminApi.routes.map(({ method, path }) => [method, path] as const))(
    'serves %s %s from the route table',
    async (method, path) => {
      const answer = await callAdmin(method, path, method === 'POST' ? { broadcast: true, data: 'ping' } : undefined);
      expect(answer.status).toBe(200);
      expect(answer.headers).toMatchObject({ 'Content-Type': 'application/json' });
    },
  );

  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['POST', '/publish/extra'],
    ['POST', '/Publish'],
    ['GET', '/stats/'],
    ['GET', '/constructor'],
  ])('answers %s %s with 404', async (method, path) => {
    expect(await callAdmin(method, path, '{}')).toEqual({
      status: 404,
      headers: { 'Content-Type': 'application/json' },
      json: { error: 'NOT_FOUND' },
    });
  });

  it.each([
    ['GET', '/publish', 'POST'],
    ['PUT', '/publish', 'POST'],
    ['DELETE', '/publish', 'POST'],
    ['POST', '/stats', 'GET'],
  ])('answers %s %s with 405 and allows %s', async (method, path, allow) => {
    expect(await callAdmin(method, path, '{"broadcast": true, "data": 1}')).toEqual({
      status: 405,
      headers: { 'Content-Type': 'application/json', Allow: allow },
      json: { error: 'METHOD_NOT_ALLOWED' },
    });
  });

  it('answers an unexpected failure with 500 and the request id, logs it, and does not throw', async () => {
    const dynamoMock = mockClient(dynamo);
    try {
      dynamoMock.on(UpdateCommand).rejects(new Error('table on fire'));
      const logged = vi.spyOn(logger, 'error');
      const event = httpEvent('POST', '/publish', JSON.stringify({ room: 'burning', data: 1 }));

      const result = await handler(event, lambdaContext);

      expect(result).toEqual({
        statusCode: 500,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: 'INTERNAL', requestId: event.requestContext.requestId }),
      });
      expect(logged).toHaveBeenCalledWith('admin request failed', { error: expect.objectContaining({ message: 'table on fire' }) });
    } finally {
      dynamoMock.restore();
    }
  });
});
