/**
 * Which joins and departures are events out (events-out.ts), told from the
 * read of the room's memberships that each join and departure makes anyway
 * after its own write: no read of its own.
 *
 * Arrivals: a join that reads the room after writing its membership sees
 * every member written before that read, and two joins racing into an empty
 * room may each see the other. So the join that emits `room.occupied` is not
 * "the one that found itself alone" (racing joins would each find the other,
 * and neither would emit) but the member that sorts first by (joinedAt,
 * connectionId) among those the read returned: every join that saw the same
 * members names the same one. Likewise `user.joined`, among the user's own
 * memberships in the room. A join whose read came before another's write
 * cannot see it; if that later-written join sorts first all the same (it
 * took its joinedAt first but its write was slower to land, or the
 * functions' clocks differ), both emit: a duplicate, never a miss, since
 * the one that reads alone always emits.
 *
 * Departures: nothing of the departed member remains to compare, so each one
 * that reads the room (or the user) gone emits; two last members leaving at
 * once can both do so.
 */
import { EVENTS_OUT, type DepartureReason, type EventOut } from './events-out.js';
import { presenceOf } from './presence.js';
import type { UserRef } from './protocol.js';
import type { RoomMembership } from './store/memberships.js';

/** A connection's departure from a room, its membership already deleted. */
export interface Departure {
  readonly room: string;
  readonly user: UserRef;
  readonly connectionId: string;
  readonly reason: DepartureReason;
}

function roomState(room: string, members: readonly RoomMembership[], time: Date) {
  return { room, users: presenceOf(members).length, connections: members.length, time: time.toISOString() };
}

/** Whether `member` sorts first by (joinedAt, connectionId) among `members`. */
function sortsFirst(member: RoomMembership, members: readonly RoomMembership[]): boolean {
  return members.every(
    (other) =>
      other.joinedAt > member.joinedAt ||
      (other.joinedAt === member.joinedAt && other.connectionId >= member.connectionId),
  );
}

/**
 * The events a join emits: `members` is the room as read after the join
 * wrote its membership. None when the joining connection is not among them
 * (purged meanwhile).
 */
export function arrivalEvents(
  room: string,
  connectionId: string,
  members: readonly RoomMembership[],
  time = new Date(),
): EventOut[] {
  const joined = members.find((member) => member.connectionId === connectionId);
  if (joined === undefined) return [];
  const state = roomState(room, members, time);
  const events: EventOut[] = [];
  if (sortsFirst(joined, members)) {
    events.push({ detailType: EVENTS_OUT.detailTypes.roomOccupied, detail: state });
  }
  if (sortsFirst(joined, members.filter((member) => member.userId === joined.userId))) {
    events.push({
      detailType: EVENTS_OUT.detailTypes.userJoined,
      detail: { ...state, user: { userId: joined.userId, name: joined.name }, connectionId },
    });
  }
  return events;
}

/**
 * The events a departure emits: `members` is the room as read after the
 * departing membership was deleted. `user.left` when none of the user's
 * connections remains, and `room.vacated` too when no one's does.
 */
export function departureEvents(departure: Departure, members: readonly RoomMembership[], time = new Date()): EventOut[] {
  const { room, user, connectionId, reason } = departure;
  if (members.some((member) => member.userId === user.userId)) return [];
  const state = roomState(room, members, time);
  const events: EventOut[] = [
    { detailType: EVENTS_OUT.detailTypes.userLeft, detail: { ...state, user: { userId: user.userId, name: user.name }, connectionId, reason } },
  ];
  if (members.length === 0) events.push({ detailType: EVENTS_OUT.detailTypes.roomVacated, detail: { ...state, reason } });
  return events;
}
