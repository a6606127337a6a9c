import { describe, expect, it } from 'vitest';
import { TestConnection } from '../support/test-connection.js';

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
});
