import { describe, expect, it } from 'vitest';
import {
  CONNECTION_SORT_PREFIX,
  LAST_MESSAGE_SORT_KEY,
  TABLE_SCHEMA,
  broadcastShardOf,
  connectionIdFromSortKey,
  keys,
  messageSortKey,
} from '../../lambdas/core/table.js';

/** Plain code-unit comparison, as DynamoDB orders string sort keys (UTF-8 bytes; ASCII here). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SEQS = [0, 1, 2, 9, 10, 11, 99, 100, 101, 999, 1_000, 65_535, 1_000_000, 2 ** 31, 10 ** 12, 10 ** 14, 10 ** 15 - 1];

describe('messageSortKey', () => {
  it('orders 9 < 10 < 100 < 10^12 as strings', () => {
    expect(messageSortKey(9) < messageSortKey(10)).toBe(true);
    expect(messageSortKey(10) < messageSortKey(100)).toBe(true);
    expect(messageSortKey(100) < messageSortKey(10 ** 12)).toBe(true);
  });

  it('sorts as strings exactly as the seqs sort as numbers', () => {
    const shuffled = [...SEQS].reverse().sort((a, b) => (a % 7) - (b % 7));
    const byKey = [...shuffled].sort((a, b) => compareStrings(messageSortKey(a), messageSortKey(b)));
    expect(byKey).toEqual([...SEQS].sort((a, b) => a - b));
  });

  it('is distinct for distinct seqs', () => {
    expect(new Set(SEQS.map(messageSortKey)).size).toBe(SEQS.length);
  });

  it('all keys share one fixed width', () => {
    expect(new Set(SEQS.map((seq) => messageSortKey(seq).length)).size).toBe(1);
  });

  it('never collides with the connection or sequence sort keys of a room', () => {
    for (const seq of SEQS) {
      expect(messageSortKey(seq).startsWith(CONNECTION_SORT_PREFIX)).toBe(false);
      expect(messageSortKey(seq)).not.toBe(keys.roomSequence('lobby').sk);
    }
  });

  it('is the sort key of keys.roomMessage', () => {
    expect(keys.roomMessage('lobby', 42)).toEqual({ pk: keys.roomSequence('lobby').pk, sk: messageSortKey(42) });
  });
});

describe('LAST_MESSAGE_SORT_KEY', () => {
  it('sorts after every message sort key', () => {
    for (const seq of SEQS.filter((s) => s < 10 ** 15 - 1)) {
      expect(compareStrings(messageSortKey(seq), LAST_MESSAGE_SORT_KEY)).toBe(-1);
    }
    expect(compareStrings(messageSortKey(10 ** 15 - 1), LAST_MESSAGE_SORT_KEY)).toBeLessThanOrEqual(0);
  });

  it('shares the message key prefix, so it bounds a message range', () => {
    expect(LAST_MESSAGE_SORT_KEY.slice(0, 4)).toBe(messageSortKey(1).slice(0, 4));
    expect(LAST_MESSAGE_SORT_KEY).toHaveLength(messageSortKey(1).length);
  });
});

describe('keys', () => {
  it('puts a room sequence and its memberships in the room partition', () => {
    expect(keys.membership('lobby', 'c1').pk).toBe(keys.roomSequence('lobby').pk);
    expect(keys.membership('lobby', 'c1').pk).not.toBe(keys.membership('lobby2', 'c1').pk);
  });

  it('gives membership, user and broadcast links the connection sort prefix', () => {
    expect(keys.membership('lobby', 'c1').sk.startsWith(CONNECTION_SORT_PREFIX)).toBe(true);
    expect(keys.userConnection('alice', 'c1').sk.startsWith(CONNECTION_SORT_PREFIX)).toBe(true);
    expect(keys.broadcastMember(3, 'c1').sk.startsWith(CONNECTION_SORT_PREFIX)).toBe(true);
  });

  it('keeps connections, rooms, users and broadcast shards in separate partitions', () => {
    const pks = [
      keys.connection('x').pk,
      keys.membership('x', 'c').pk,
      keys.userConnection('x', 'c').pk,
      keys.broadcastMember(0, 'c').pk,
    ];
    expect(new Set(pks).size).toBe(pks.length);
  });

  it('names the TTL attribute expiresAt (docs/protocol.md)', () => {
    expect(TABLE_SCHEMA.ttlAttribute).toBe('expiresAt');
  });
});

describe('connectionIdFromSortKey', () => {
  it.each(['c1', 'L0SM9cOFvHcCIhw=', 'abc#def', 'CONN#nested', 'a'])('inverts keys.membership(...).sk for %s', (connectionId) => {
    expect(connectionIdFromSortKey(keys.membership('lobby', connectionId).sk)).toBe(connectionId);
  });

  it('inverts the user and broadcast link sort keys too', () => {
    expect(connectionIdFromSortKey(keys.userConnection('alice', 'Zx9=').sk)).toBe('Zx9=');
    expect(connectionIdFromSortKey(keys.broadcastMember(5, 'Zx9=').sk)).toBe('Zx9=');
  });
});

describe('broadcastShardOf', () => {
  const ids = Array.from({ length: 500 }, (_, i) => `conn-${i}-${(i * 7919).toString(36)}=`);

  it('is stable for a connection id', () => {
    for (const id of ids.slice(0, 50)) {
      expect(broadcastShardOf(id, 8)).toBe(broadcastShardOf(id, 8));
    }
    expect(broadcastShardOf('L0SM9cOFvHcCIhw=', 8)).toBe(broadcastShardOf(['L0SM', '9cOFvHcCIhw='].join(''), 8));
  });

  it.each([1, 2, 3, 8, 16, 100])('stays a whole number within [0, %i)', (shards) => {
    for (const id of [...ids, '', 'é', '😀', 'x'.repeat(1000)]) {
      const shard = broadcastShardOf(id, shards);
      expect(Number.isInteger(shard)).toBe(true);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(shards);
    }
  });

  it('puts everything in shard 0 when there is one shard', () => {
    expect(new Set(ids.map((id) => broadcastShardOf(id, 1)))).toEqual(new Set([0]));
  });

  it('spreads connections over every shard', () => {
    expect(new Set(ids.map((id) => broadcastShardOf(id, 8))).size).toBe(8);
  });
});
