import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import { findViolations, keyOf, type TableItem } from '../support/invariants.js';

/** The checker the integration files end with must itself catch each kind of damage. */
const now = 1_000_000;
const later = now + 600;

function message(room: string, seq: number, id: string, userId = 'ann') {
  return { type: 'message', id, room, seq, from: { userId, name: userId }, data: 'x', sentAt: '2026-01-01T00:00:00.000Z' };
}

function soundTable(): TableItem[] {
  const link = { connectionId: 'c1', userId: 'ann', expiresAt: later };
  return [
    { ...keys.connection('c1'), connectionId: 'c1', userId: 'ann', rooms: new Set(['lobby']), broadcastShard: 3, expiresAt: later },
    { ...keys.userConnection('ann', 'c1'), ...link },
    { ...keys.broadcastMember(3, 'c1'), ...link },
    { ...keys.membership('lobby', 'c1'), ...link, name: 'ann' },
    { ...keys.roomSequence('lobby'), seq: 3, expiresAt: later },
    { ...keys.roomMessage('lobby', 1), message: message('lobby', 1, 'm1'), clientMsgId: 'k1', expiresAt: later },
    { ...keys.roomMessage('lobby', 3), message: message('lobby', 3, 'm3'), expiresAt: later },
    { ...keys.sentClientMessage('ann', 'lobby', 'k1'), message: message('lobby', 1, 'm1'), expiresAt: later },
    // Garbage waiting for TTL: expired, and pointing at nothing live. Reads ignore it.
    { ...keys.membership('lobby', 'gone'), connectionId: 'gone', userId: 'bob', expiresAt: now - 5 },
  ];
}

function without(items: TableItem[], key: { pk: string; sk: string }): TableItem[] {
  return items.filter((item) => keyOf(item) !== keyOf(key));
}

function replaced(items: TableItem[], key: { pk: string; sk: string }, change: Partial<TableItem>): TableItem[] {
  return items.map((item) => (keyOf(item) === keyOf(key) ? { ...item, ...change } : item));
}

describe('the table invariant checker', () => {
  it('finds nothing wrong with a sound table, expired garbage included', () => {
    expect(findViolations(soundTable(), now)).toEqual([]);
  });

  it.each([
    ['a membership whose connection is gone', without(soundTable(), keys.connection('c1')), /membership ROOM#lobby\|CONN#c1 points at no live connection/],
    ['a membership whose connection expired', replaced(soundTable(), keys.connection('c1'), { expiresAt: now - 1 }), /points at no live connection/],
    ['a connection without its user link', without(soundTable(), keys.userConnection('ann', 'c1')), /connection c1 has no link from user ann/],
    ['a connection missing from the everyone-set', without(soundTable(), keys.broadcastMember(3, 'c1')), /missing from everyone-set shard 3/],
    ['a room listed without its membership', without(soundTable(), keys.membership('lobby', 'c1')), /lists room lobby but has no membership/],
    ['a membership the connection does not list', replaced(soundTable(), keys.connection('c1'), { rooms: new Set() }), /is not in the connection's rooms/],
    ['a link naming another user', replaced(soundTable(), keys.userConnection('ann', 'c1'), { userId: 'eve' }), /names user eve/],
    ['an item without expiresAt', replaced(soundTable(), keys.roomSequence('lobby'), { expiresAt: undefined }), /ROOM#lobby\|SEQ has no numeric expiresAt/],
    ['a stored seq beyond the counter', replaced(soundTable(), keys.roomSequence('lobby'), { seq: 2 }), /stored seq 3 beyond its counter 2/],
    ['a message stored under another seq', replaced(soundTable(), keys.roomMessage('lobby', 3), { message: message('lobby', 2, 'm3') }), /holds message lobby\/2/],
    ['one message stored twice', replaced(soundTable(), keys.roomMessage('lobby', 3), { message: message('lobby', 3, 'm1') }), /stored message m1 twice/],
    ['one clientMsgId stored twice', replaced(soundTable(), keys.roomMessage('lobby', 3), { clientMsgId: 'k1' }), /stored clientMsgId ann\/k1 twice/],
    ['a claim whose seq holds another message', replaced(soundTable(), keys.sentClientMessage('ann', 'lobby', 'k1'), { message: message('lobby', 3, 'm9') }), /claims seq 3, which holds another message/],
  ])('reports %s', (_case, items, expected) => {
    expect(findViolations(items, now)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});
