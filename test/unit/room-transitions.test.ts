import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS_OUT, toPutEventsEntry, type EventOut } from '../../lambdas/core/events-out.js';
import { eventOutDetailSchemas } from '../../lambdas/core/events-out-schema.js';
import { arrivalEvents, departureEvents } from '../../lambdas/core/room-transitions.js';
import type { RoomMembership } from '../../lambdas/core/store/memberships.js';

const { roomOccupied, roomVacated, userJoined, userLeft } = EVENTS_OUT.detailTypes;
const time = new Date('2026-12-03T10:00:00.123Z');

function member(connectionId: string, userId: string, joinedAt: number): RoomMembership {
  return { connectionId, userId, name: userId.toUpperCase(), joinedAt };
}

const typesOf = (events: readonly EventOut[]) => events.map((event) => event.detailType);

describe('arrivalEvents', () => {
  it('gives room.occupied and user.joined to a connection alone in the room, with the counts', () => {
    expect(arrivalEvents('lobby', 'c1', [member('c1', 'alice', 100.5)], time)).toEqual([
      { detailType: roomOccupied, detail: { room: 'lobby', users: 1, connections: 1, time: '2026-12-03T10:00:00.123Z' } },
      {
        detailType: userJoined,
        detail: {
          room: 'lobby',
          users: 1,
          connections: 1,
          time: '2026-12-03T10:00:00.123Z',
          user: { userId: 'alice', name: 'ALICE' },
          connectionId: 'c1',
        },
      },
    ]);
  });

  it("gives nothing to a user's second device", () => {
    const members = [member('c1', 'alice', 100), member('c2', 'alice', 101)];
    expect(arrivalEvents('lobby', 'c2', members, time)).toEqual([]);
  });

  it('gives only user.joined to another user, counting users and connections', () => {
    const members = [member('c1', 'alice', 100), member('c2', 'alice', 101), member('c3', 'bob', 102)];
    expect(arrivalEvents('lobby', 'c3', members, time)).toEqual([
      expect.objectContaining({ detailType: userJoined, detail: expect.objectContaining({ users: 2, connections: 3, connectionId: 'c3' }) }),
    ]);
  });

  it('orders joins within the same second by the millisecond', () => {
    // c0 sorts before c9 by id, but joined 5 ms later: it is not first.
    const members = [member('c9', 'alice', 100.001), member('c0', 'bob', 100.006)];
    expect(typesOf(arrivalEvents('lobby', 'c0', members, time))).toEqual([userJoined]);
    expect(typesOf(arrivalEvents('lobby', 'c9', members, time))).toEqual([roomOccupied, userJoined]);
  });

  it('breaks a tie of joinedAt by connection id, the same way for every reader', () => {
    const members = [member('b', 'alice', 100), member('a', 'alice', 100)];
    expect(typesOf(arrivalEvents('lobby', 'a', members, time))).toEqual([roomOccupied, userJoined]);
    expect(arrivalEvents('lobby', 'b', members, time)).toEqual([]);
  });

  it('gives nothing when the joining connection is not among the members read (purged meanwhile)', () => {
    expect(arrivalEvents('lobby', 'c2', [member('c1', 'alice', 100)], time)).toEqual([]);
  });

  it('names exactly one emitter of room.occupied, and one of user.joined per user, among joins that read the same members', () => {
    const memberships = fc.uniqueArray(
      fc.record({
        connectionId: fc.string({ minLength: 1, maxLength: 4 }),
        userId: fc.constantFrom('u1', 'u2', 'u3'),
        // Whole seconds and milliseconds alike, ties included.
        joinedAt: fc.oneof(fc.integer({ min: 100, max: 102 }), fc.integer({ min: 100_000, max: 100_004 }).map((ms) => ms / 1000)),
      }),
      { minLength: 1, maxLength: 12, selector: (membership) => membership.connectionId },
    );
    fc.assert(
      fc.property(memberships, (raw) => {
        const members = raw.map((m) => member(m.connectionId, m.userId, m.joinedAt));
        const events = members.flatMap((joined) => arrivalEvents('r', joined.connectionId, members, time));
        expect(events.filter((event) => event.detailType === roomOccupied)).toHaveLength(1);
        const joinedUsers = events.flatMap((event) => (event.detailType === userJoined ? [event.detail.user.userId] : []));
        expect(joinedUsers.toSorted()).toEqual([...new Set(members.map((m) => m.userId))].toSorted());
      }),
    );
  });
});

describe('departureEvents', () => {
  const departure = { room: 'lobby', user: { userId: 'alice', name: 'Alice' }, connectionId: 'c1', reason: 'left' } as const;

  it('gives nothing while the user has another connection in the room', () => {
    expect(departureEvents(departure, [member('c2', 'alice', 100), member('c3', 'bob', 100)], time)).toEqual([]);
  });

  it('gives user.left when the user has no connection left, the room still occupied', () => {
    expect(departureEvents(departure, [member('c3', 'bob', 100)], time)).toEqual([
      {
        detailType: userLeft,
        detail: {
          room: 'lobby',
          users: 1,
          connections: 1,
          time: '2026-12-03T10:00:00.123Z',
          user: { userId: 'alice', name: 'Alice' },
          connectionId: 'c1',
          reason: 'left',
        },
      },
    ]);
  });

  it('gives user.left and room.vacated when no one is left, with the reason', () => {
    const events = departureEvents({ ...departure, reason: 'gone' }, [], time);
    expect(typesOf(events)).toEqual([userLeft, roomVacated]);
    expect(events[1]?.detail).toEqual({ room: 'lobby', users: 0, connections: 0, time: '2026-12-03T10:00:00.123Z', reason: 'gone' });
  });
});

describe('the events out contract', () => {
  it('builds details that parse against their detail-type schema', () => {
    const events = [
      ...arrivalEvents('lobby', 'c1', [member('c1', 'alice', 100)], time),
      ...departureEvents({ room: 'lobby', user: { userId: 'alice', name: 'A' }, connectionId: 'c1', reason: 'disconnected' }, [], time),
    ];
    expect(typesOf(events)).toEqual([roomOccupied, userJoined, userLeft, roomVacated]);
    for (const event of events) expect(eventOutDetailSchemas[event.detailType].parse(event.detail)).toEqual(event.detail);
  });

  it('refuses a detail that breaks the contract', () => {
    const occupied = eventOutDetailSchemas[roomOccupied];
    expect(occupied.safeParse({ room: 'r', users: -1, connections: 0, time: time.toISOString() }).success).toBe(false);
    expect(occupied.safeParse({ room: 'r', users: 1, connections: 1, time: 'yesterday' }).success).toBe(false);
    expect(eventOutDetailSchemas[userLeft].safeParse({ room: 'r', users: 0, connections: 0, time: time.toISOString(), user: { userId: 'u', name: 'U' }, connectionId: 'c', reason: 'kicked' }).success).toBe(false);
  });

  it('puts each event on the bus with its source, detail-type, JSON detail and time', () => {
    const [event] = arrivalEvents('lobby', 'c1', [member('c1', 'alice', 100)], time);
    if (event === undefined) throw new Error('no event');

    const entry = toPutEventsEntry(event, { eventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/app', source: 'chat' });

    expect(entry).toEqual({
      EventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/app',
      Source: 'chat',
      DetailType: 'realtime.room.occupied',
      Detail: JSON.stringify(event.detail),
      Time: time,
    });
  });
});
