import { describe, expect, it } from 'vitest';
import { presenceOf } from '../../lambdas/core/presence.js';

describe('presenceOf', () => {
  it('is empty for no memberships', () => {
    expect(presenceOf([])).toEqual([]);
  });

  it('counts one connection for a single membership', () => {
    expect(presenceOf([{ connectionId: 'c1', userId: 'alice', name: 'Alice' }])).toEqual([
      { userId: 'alice', name: 'Alice', connections: 1 },
    ]);
  });

  it('groups by user with connection counts, sorted by userId', () => {
    const presence = presenceOf([
      { connectionId: 'c1', userId: 'carol', name: 'Carol' },
      { connectionId: 'c2', userId: 'alice', name: 'Alice' },
      { connectionId: 'c3', userId: 'bob', name: 'Bob' },
      { connectionId: 'c4', userId: 'alice', name: 'Alice' },
      { connectionId: 'c5', userId: 'carol', name: 'Carol' },
      { connectionId: 'c6', userId: 'alice', name: 'Alice' },
    ]);
    expect(presence).toEqual([
      { userId: 'alice', name: 'Alice', connections: 3 },
      { userId: 'bob', name: 'Bob', connections: 1 },
      { userId: 'carol', name: 'Carol', connections: 2 },
    ]);
  });

  it('sorts by userId, not by name or arrival', () => {
    const presence = presenceOf([
      { connectionId: 'c1', userId: 'u2', name: 'Aaron' },
      { connectionId: 'c2', userId: 'u10', name: 'Zed' },
      { connectionId: 'c3', userId: 'u1', name: 'Mia' },
    ]);
    expect(presence.map((p) => p.userId)).toEqual(['u1', 'u10', 'u2']);
  });

  it('keeps user ids that differ only by case apart', () => {
    const presence = presenceOf([
      { connectionId: 'c1', userId: 'bob', name: 'bob' },
      { connectionId: 'c2', userId: 'Bob', name: 'Bob' },
    ]);
    expect(presence).toEqual([
      { userId: 'Bob', name: 'Bob', connections: 1 },
      { userId: 'bob', name: 'bob', connections: 1 },
    ]);
  });

  it('reports each user once whatever the number of connections', () => {
    const memberships = Array.from({ length: 50 }, (_, i) => ({
      connectionId: `c${i}`,
      userId: `user-${i % 5}`,
      name: `User ${i % 5}`,
    }));
    const presence = presenceOf(memberships);
    expect(presence).toHaveLength(5);
    expect(presence.every((p) => p.connections === 10)).toBe(true);
    expect(presence.reduce((sum, p) => sum + p.connections, 0)).toBe(50);
  });

  it('does not modify its input', () => {
    const memberships = [
      { connectionId: 'c1', userId: 'b', name: 'B' },
      { connectionId: 'c2', userId: 'a', name: 'A' },
    ];
    const copy = structuredClone(memberships);
    presenceOf(memberships);
    expect(memberships).toEqual(copy);
  });
});
