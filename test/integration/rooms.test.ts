import { describe, expect, it, vi } from 'vitest';
import { roomPartition } from '../../lambdas/core/table.js';
import { connectionItems, partitionItems } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

vi.hoisted(() => {
  process.env.MAX_ROOMS_PER_CONNECTION = '3';
});

describe('joinRoom', () => {
  it('replies joined with the members and lastSeq, and tells the others user_joined', async () => {
    const alice = await TestConnection.open('alice', { name: 'Alice' });
    const bob = await TestConnection.open('bob', { name: 'Bob' });
    await alice.send({ action: 'joinRoom', room: 'lobby' });

    const reply = await bob.send({ action: 'joinRoom', room: 'lobby' });

    expect(reply).toEqual({
      type: 'joined',
      room: 'lobby',
      members: [
        { userId: 'alice', name: 'Alice' },
        { userId: 'bob', name: 'Bob' },
      ],
      lastSeq: 0,
    });
    expect(alice.received()).toEqual([
      { type: 'user_joined', room: 'lobby', user: { userId: 'bob', name: 'Bob' }, count: 2 },
    ]);
    expect(bob.received()).toEqual([]);
  });

  it('writes the membership and the connection record together', async () => {
    const conn = await TestConnection.open('hank');
    await conn.send({ action: 'joinRoom', room: 'consistent' });

    const { connection, memberships } = await connectionItems(conn.connectionId, 'hank', ['consistent']);
    expect(connection?.rooms).toEqual(new Set(['consistent']));
    expect(memberships).toEqual([
      expect.objectContaining({ userId: 'hank', connectionId: conn.connectionId, expiresAt: connection?.expiresAt }),
    ]);
  });

  it("is idempotent, and a user's second device does not announce the user again", async () => {
    const watcher = await TestConnection.open('ivy');
    const phone = await TestConnection.open('jack');
    const laptop = await TestConnection.open('jack');
    await watcher.send({ action: 'joinRoom', room: 'devices' });
    await phone.send({ action: 'joinRoom', room: 'devices' });
    watcher.received();

    const again = await phone.send({ action: 'joinRoom', room: 'devices' });
    const second = await laptop.send({ action: 'joinRoom', room: 'devices' });

    expect(again).toMatchObject({ type: 'joined', room: 'devices' });
    expect(second).toMatchObject({ type: 'joined', room: 'devices' });
    expect(watcher.received()).toEqual([]);
    expect(await partitionItems(roomPartition('devices'))).toHaveLength(3);
  });

  it.each([
    ['missing', { action: 'joinRoom' }],
    ['empty', { action: 'joinRoom', room: '' }],
    ['65 characters', { action: 'joinRoom', room: 'r'.repeat(65) }],
    ['a space', { action: 'joinRoom', room: 'two words' }],
    ['a hash', { action: 'joinRoom', room: 'a#b' }],
    ['a slash', { action: 'joinRoom', room: 'a/b' }],
    ['non-ASCII', { action: 'joinRoom', room: 'café' }],
    ['a number', { action: 'joinRoom', room: 42 }],
  ])('answers BAD_REQUEST for a room name that is %s, and stores nothing', async (description, frame) => {
    const user = `kim-${description.replaceAll(' ', '-')}`;
    const conn = await TestConnection.open(user);

    const reply = await conn.send(frame);

    expect(reply).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'joinRoom' });
    expect(reply?.type === 'error' && reply.message).toMatch(/^room: /);
    const { connection } = await connectionItems(conn.connectionId, user);
    expect(connection?.rooms).toBeUndefined();
  });

  it('accepts a 64-character name of every allowed character class', async () => {
    const room = `Az09_.:-${'x'.repeat(56)}`;
    const conn = await TestConnection.open('lee');
    expect(await conn.send({ action: 'joinRoom', room })).toMatchObject({ type: 'joined', room });
  });

  it('answers FORBIDDEN for a private room the token does not name, and stores nothing', async () => {
    const conn = await TestConnection.open('mia', { allowedRooms: ['private-other'] });

    const reply = await conn.send({ action: 'joinRoom', room: 'private-board' });

    expect(reply).toMatchObject({ type: 'error', code: 'FORBIDDEN', action: 'joinRoom' });
    expect(await partitionItems(roomPartition('private-board'))).toEqual([]);
  });

  it('admits a private room named in the token, or any with "*"', async () => {
    const named = await TestConnection.open('ned', { allowedRooms: ['private-board'] });
    const wildcard = await TestConnection.open('ola', { allowedRooms: ['*'] });
    expect(await named.send({ action: 'joinRoom', room: 'private-board' })).toMatchObject({ type: 'joined' });
    expect(await wildcard.send({ action: 'joinRoom', room: 'private-board' })).toMatchObject({ type: 'joined' });
  });

  it('caps the rooms per connection (MAX_ROOMS_PER_CONNECTION) with FORBIDDEN', async () => {
    const conn = await TestConnection.open('pat');
    for (const room of ['cap-1', 'cap-2', 'cap-3']) await conn.send({ action: 'joinRoom', room });

    const reply = await conn.send({ action: 'joinRoom', room: 'cap-4' });

    expect(reply).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringMatching(/at most 3 rooms/) });
    expect(await partitionItems(roomPartition('cap-4'))).toEqual([]);
    expect(await conn.send({ action: 'joinRoom', room: 'cap-2' })).toMatchObject({ type: 'joined' });
  });

  it('tells the loser of two joins racing for the last slot about the room limit, not to reconnect', async () => {
    const conn = await TestConnection.open('race');
    for (const room of ['slot-1', 'slot-2']) await conn.send({ action: 'joinRoom', room });

    const replies = await Promise.all([
      conn.send({ action: 'joinRoom', room: 'slot-3a' }),
      conn.send({ action: 'joinRoom', room: 'slot-3b' }),
    ]);

    expect(replies.filter((reply) => reply?.type === 'joined')).toHaveLength(1);
    expect(replies.filter((reply) => reply?.type === 'error')).toEqual([
      expect.objectContaining({ code: 'FORBIDDEN', message: expect.stringMatching(/at most 3 rooms/) }),
    ]);
  });
});

describe('leaveRoom', () => {
  it('replies left, removes the membership and tells the others user_left with the new count', async () => {
    const quinn = await TestConnection.open('quinn', { name: 'Quinn' });
    const ray = await TestConnection.open('ray');
    await quinn.send({ action: 'joinRoom', room: 'leaving' });
    await ray.send({ action: 'joinRoom', room: 'leaving' });
    ray.received();

    const reply = await quinn.send({ action: 'leaveRoom', room: 'leaving' });

    expect(reply).toEqual({ type: 'left', room: 'leaving' });
    expect(ray.received()).toEqual([
      { type: 'user_left', room: 'leaving', user: { userId: 'quinn', name: 'Quinn' }, count: 1 },
    ]);
    const { connection, memberships } = await connectionItems(quinn.connectionId, 'quinn', ['leaving']);
    expect(memberships).toEqual([]);
    expect(connection?.rooms).toBeUndefined();
  });

  it('answers NOT_IN_ROOM for a room not joined', async () => {
    const conn = await TestConnection.open('sam');
    expect(await conn.send({ action: 'leaveRoom', room: 'never-joined' })).toMatchObject({
      type: 'error',
      code: 'NOT_IN_ROOM',
      action: 'leaveRoom',
    });
  });
});

describe('members', () => {
  it('lists each user once with their connection count', async () => {
    const tia = await TestConnection.open('tia', { name: 'Tia' });
    const uma1 = await TestConnection.open('uma', { name: 'Uma' });
    const uma2 = await TestConnection.open('uma', { name: 'Uma' });
    for (const conn of [tia, uma1, uma2]) await conn.send({ action: 'joinRoom', room: 'presence' });

    expect(await tia.send({ action: 'members', room: 'presence' })).toEqual({
      type: 'members',
      room: 'presence',
      members: [
        { userId: 'tia', name: 'Tia', connections: 1 },
        { userId: 'uma', name: 'Uma', connections: 2 },
      ],
    });
  });

  it('answers FORBIDDEN for a private room the token does not allow', async () => {
    const conn = await TestConnection.open('val');
    expect(await conn.send({ action: 'members', room: 'private-x' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  });
});
