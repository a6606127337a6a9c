/**
 * Departures: a connection leaving (`$disconnect`, or found gone by a post),
 * its records and memberships removed, the rooms it leaves empty of its user
 * told `user_left`, and the events out those departures give.
 */
import { config } from './config.js';
import type { DepartureReason, EventOut } from './events-out.js';
import { count, logger } from './observability.js';
import { presenceOf, userOf } from './presence.js';
import type { ServerFrame, UserRef } from './protocol.js';
import { encode, postToEach, type FanOutResult, type PostOptions, type Recipient } from './posting.js';
import { eventsOutEnabled, putEventsOut } from './put-events-out.js';
import { departureEvents, type Departure } from './room-transitions.js';
import { deleteConnectionItems, getConnectionRecord } from './store/connections.js';
import { listRoomMemberships } from './store/memberships.js';

/**
 * How many rounds of "a purge announces `user_left`, whose fan-out finds more
 * gone connections" run before the rest are purged without announcement.
 */
const MAX_PURGE_CASCADE = 3;

/**
 * Posts to each recipient and purges every one that answers 410: usually a
 * connection whose `$disconnect` never ran.
 */
export async function postAndPurge(
  recipients: readonly Recipient[],
  frame: string,
  options: PostOptions = {},
): Promise<{ result: FanOutResult; failed: Recipient[] }> {
  const { result, gone, failed } = await postToEach(recipients, frame, options);
  count('GoneConnectionsPurged', gone.length);
  if (gone.length > 0) {
    logger.info('purging gone connections', { connectionIds: gone.map((r) => r.connectionId) });
    // The posts are done and counted: a purge that fails must not turn them
    // into a failed request. Each purge is all or nothing, and the next post
    // to a connection still listed is answered 410 again and purges it then.
    await purgeGone(gone, options.cascade ?? 0).catch((error: unknown) => {
      logger.warn('purge of gone connections failed; the next post to them tries again', { error: error as Error });
    });
  }
  return { result, failed };
}

/** `postAndPurge` of one frame, for a fan-out `cascade` purges deep. */
export async function postToConnections(recipients: readonly Recipient[], frame: ServerFrame, cascade = 0): Promise<FanOutResult> {
  const { result } = await postAndPurge(recipients, encode(frame), { cascade });
  return result;
}

/**
 * Purges each gone connection once: its records and memberships first, all of
 * them, so that the `user_left` each owes then counts only who is still there.
 * The events out of all these departures go in as few PutEvents calls as
 * they fit. `reason` is why these connections are leaving: found gone by a
 * post, unless the caller knows better (`$disconnect`).
 */
export async function purgeGone(gone: readonly Recipient[], cascade = 0, reason: DepartureReason = 'gone'): Promise<void> {
  const roomsByConnection = new Map<string, string[]>();
  for (const { connectionId, room } of gone) {
    const rooms = roomsByConnection.get(connectionId) ?? [];
    if (room !== undefined) rooms.push(room);
    roomsByConnection.set(connectionId, rooms);
  }
  // One departure per user and room, not per connection: a user whose two
  // devices both turn out gone leaves each room once.
  const departures = new Map<string, { user: UserRef; connectionIdByRoom: Map<string, string> }>();
  for (const [connectionId, alsoRooms] of roomsByConnection) {
    const record = await getConnectionRecord(connectionId);
    await deleteConnectionItems(connectionId, record, alsoRooms);
    if (record === undefined) continue;
    const departure = departures.get(record.userId) ?? { user: userOf(record), connectionIdByRoom: new Map() };
    for (const room of [...record.joinedRooms, ...alsoRooms]) {
      if (!departure.connectionIdByRoom.has(room)) departure.connectionIdByRoom.set(room, connectionId);
    }
    departures.set(record.userId, departure);
  }
  const events: EventOut[] = [];
  for (const { user, connectionIdByRoom } of departures.values()) {
    for (const [room, connectionId] of connectionIdByRoom) {
      events.push(...(await announceDeparture({ room, user, connectionId, reason }, cascade + 1)));
    }
  }
  await putEventsOut(events);
}

/**
 * Removes a connection and everything that points at it, then tells each room
 * it was in that its user left, if that was the user's last connection there.
 */
export async function removeConnection(connectionId: string): Promise<void> {
  await purgeGone([{ connectionId }], 0, 'disconnected');
}

/**
 * Whether a room of this many live connections hears `user_joined`,
 * `user_left` and `typing`: not when it is large, where each would cost a post
 * per member for every join, leave and keystroke (docs/protocol.md).
 */
export function announcesPresence(roomConnections: number): boolean {
  return config.fanOutQueueUrl === undefined || roomConnections <= config.largeRoomThreshold;
}

/**
 * Sends `user_left` to the room unless the user still has another connection
 * in it (or the room is large, or the purge `cascade` is past its limit), and
 * returns the events out the departure gives, told from the same read, for
 * the caller to put. Past the limit those still go out: they are one
 * PutEvents, not a post per member.
 */
export async function announceDeparture(departure: Departure, cascade = 0): Promise<EventOut[]> {
  const { room, user } = departure;
  const tellsRoom = cascade <= MAX_PURGE_CASCADE;
  if (!tellsRoom && !eventsOutEnabled()) return [];
  const members = await listRoomMemberships(room);
  const events = eventsOutEnabled() ? departureEvents(departure, members) : [];
  if (!tellsRoom || members.some((member) => member.userId === user.userId)) return events;
  if (!announcesPresence(members.length)) return events;
  const recipients = members.map((member) => ({ connectionId: member.connectionId, room }));
  await postToConnections(recipients, { type: 'user_left', room, user, count: presenceOf(members).length }, cascade);
  return events;
}
