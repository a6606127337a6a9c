import { describe, expect, it } from 'vitest';
import { connectionFromItem } from '../../lambdas/core/store/connections.js';
import { membershipParser } from '../../lambdas/core/store/memberships.js';
import { claimedMessageFromItem } from '../../lambdas/core/store/messages.js';
import { connectionIdOf } from '../../lambdas/core/store/query.js';
import { messageFrameFromItem } from '../../lambdas/core/store/stored-message.js';
import type { Item } from '../../lambdas/core/store/item.js';
import { keys } from '../../lambdas/core/table.js';

const connectionItem: Item = {
  ...keys.connection('c1'),
  connectionId: 'c1',
  userId: 'ann',
  name: 'Ann',
  allowedRooms: ['private-ops'],
  roles: ['admin'],
  connectedAt: 1_900_000_000,
  expiresAt: 1_900_000_960,
  broadcastShard: 3,
};

describe('connectionFromItem', () => {
  it('reads a record that has joined no room and whose token has no exp', () => {
    const record = connectionFromItem(connectionItem);
    expect(record).toEqual({
      connectionId: 'c1',
      userId: 'ann',
      name: 'Ann',
      allowedRooms: ['private-ops'],
      roles: ['admin'],
      joinedRooms: [],
      connectedAt: 1_900_000_000,
      expiresAt: 1_900_000_960,
      broadcastShard: 3,
    });
    expect(Object.hasOwn(record, 'tokenExpiresAt')).toBe(false);
  });

  it('reads the joined rooms from the string set `rooms`, and tokenExpiresAt', () => {
    const record = connectionFromItem({ ...connectionItem, rooms: new Set(['lobby', 'general']), tokenExpiresAt: 1_900_003_600 });
    expect(record.joinedRooms).toEqual(['lobby', 'general']);
    expect(record.tokenExpiresAt).toBe(1_900_003_600);
  });

  it.each<[string, Item, string]>([
    ['connectionId missing', { connectionId: undefined }, 'connectionId is missing, expected a string'],
    ['userId a number', { userId: 7 }, 'userId is a number, expected a string'],
    ['name null', { name: null }, 'name is null, expected a string'],
    ['allowedRooms missing', { allowedRooms: undefined }, 'allowedRooms is missing, expected a list of strings'],
    ['allowedRooms a set', { allowedRooms: new Set(['private-ops']) }, 'allowedRooms is a set, expected a list of strings'],
    ['roles holding a number', { roles: ['admin', 1] }, 'roles holds a number, expected a list of strings'],
    ['rooms a list', { rooms: ['lobby'] }, 'rooms is a list, expected a string set'],
    ['rooms holding a number', { rooms: new Set(['lobby', 2]) }, 'rooms holds a number, expected a string set'],
    ['connectedAt a string', { connectedAt: '1900000000' }, 'connectedAt is a string, expected a number'],
    ['expiresAt missing', { expiresAt: undefined }, 'expiresAt is missing, expected a number'],
    ['broadcastShard a map', { broadcastShard: { shard: 3 } }, 'broadcastShard is a map, expected a number'],
    ['tokenExpiresAt a string', { tokenExpiresAt: 'soon' }, 'tokenExpiresAt is a string, expected a number'],
    ['tokenExpiresAt binary', { tokenExpiresAt: new Uint8Array([1]) }, 'tokenExpiresAt is binary, expected a number'],
  ])('throws, naming the record, its key and the attribute, for %s', (_label, change, problem) => {
    expect(() => connectionFromItem({ ...connectionItem, ...change })).toThrow(`Malformed connection item CONN#c1/META: ${problem}`);
  });
});

describe('membershipParser', () => {
  const parse = membershipParser('lobby');
  const membershipItem: Item = { sk: 'CONN#c1', userId: 'ann', name: 'Ann', joinedAt: 1_900_000_000.5 };

  it('reads a membership as the members query projects it', () => {
    expect(parse(membershipItem)).toEqual({ connectionId: 'c1', userId: 'ann', name: 'Ann', joinedAt: 1_900_000_000.5 });
  });

  it('reads a membership without joinedAt as joined at 0', () => {
    expect(parse({ ...membershipItem, joinedAt: undefined }).joinedAt).toBe(0);
  });

  it.each<[string, Item, string]>([
    ['sk missing', { sk: undefined }, 'ROOM#lobby/?: sk is missing, expected a string'],
    ['userId missing', { userId: undefined }, 'ROOM#lobby/CONN#c1: userId is missing, expected a string'],
    ['name a boolean', { name: true }, 'ROOM#lobby/CONN#c1: name is a boolean, expected a string'],
    ['joinedAt a string', { joinedAt: 'yesterday' }, 'ROOM#lobby/CONN#c1: joinedAt is a string, expected a number'],
  ])('throws, naming the room, for %s', (_label, change, problem) => {
    expect(() => parse({ ...membershipItem, ...change })).toThrow(`Malformed membership item ${problem}`);
  });
});

describe('connectionIdOf', () => {
  it('is the connection id in the sort key', () => {
    expect(connectionIdOf({ sk: 'CONN#c1' }, { kind: 'everyone-set', pk: 'ALL#3' })).toBe('c1');
  });

  it('throws, naming the partition read, for a sort key that is not a string', () => {
    expect(() => connectionIdOf({ sk: 5 }, { kind: 'everyone-set', pk: 'ALL#3' })).toThrow(
      'Malformed everyone-set item ALL#3/?: sk is a number, expected a string',
    );
  });
});

const message = {
  type: 'message',
  id: 'm1',
  from: { userId: 'ann', name: 'Ann' },
  data: { text: 'hi' },
  room: 'lobby',
  seq: 4,
  sentAt: '2030-03-17T17:46:40.000Z',
};

describe('messageFrameFromItem', () => {
  const historyItem: Item = { ...keys.roomMessage('lobby', 4), message: JSON.stringify(message) };
  const roomMessage = { kind: 'room message' };

  it('reads the message stored as JSON text', () => {
    expect(messageFrameFromItem(historyItem, roomMessage)).toEqual(message);
  });

  it('reads the map items written before messages were stored as text hold', () => {
    expect(messageFrameFromItem({ ...historyItem, message }, roomMessage)).toEqual(message);
  });

  it('reads a message whose data is null', () => {
    expect(messageFrameFromItem({ ...historyItem, message: JSON.stringify({ ...message, data: null }) }, roomMessage).data).toBeNull();
  });

  it.each<[string, unknown, string]>([
    ['no message', undefined, 'is missing'],
    ['text that is not JSON', '{"type":"message"', 'is not JSON text'],
    ['a number', 7, 'holds no message frame'],
    ['another frame', JSON.stringify({ type: 'ack', id: 'm1' }), 'holds no message frame'],
    ['a message without id', JSON.stringify({ ...message, id: undefined }), 'holds no message frame'],
    ['a message without data', JSON.stringify({ ...message, data: undefined }), 'holds no message frame'],
    ['a message whose sender has no name', JSON.stringify({ ...message, from: { userId: 'ann' } }), 'holds no message frame'],
    ['a message whose seq is a string', JSON.stringify({ ...message, seq: '4' }), 'holds no message frame'],
    ['a message whose sentAt is missing', { ...message, sentAt: undefined }, 'holds no message frame'],
  ])('throws, naming the record, for %s', (_label, stored, problem) => {
    expect(() => messageFrameFromItem({ ...historyItem, message: stored }, roomMessage)).toThrow(
      `Malformed room message item ROOM#lobby/MSG#000000000000004: message ${problem}`,
    );
  });
});

describe('claimedMessageFromItem', () => {
  const claimItem: Item = { ...keys.sentClientMessage('ann', 'lobby', 'k1'), message: JSON.stringify(message) };

  it('reads the claimed room message', () => {
    expect(claimedMessageFromItem(claimItem)).toEqual(message);
  });

  it.each<[string, object, string]>([
    ['without room', { ...message, room: undefined }, 'holds a message without room and seq'],
    ['without seq', { ...message, seq: undefined }, 'holds a message without room and seq'],
    ['of another frame', { type: 'pong', at: message.sentAt }, 'holds no message frame'],
  ])('throws, naming the record, for a message %s', (_label, stored, problem) => {
    expect(() => claimedMessageFromItem({ ...claimItem, message: JSON.stringify(stored) })).toThrow(
      `Malformed sent clientMsgId item USER#ann/SENT#lobby#k1: message ${problem}`,
    );
  });
});
