import { config } from '../config.js';
import { ProtocolError } from '../errors.js';
import { announceDeparture, announcesPresence, postToConnections } from '../departures.js';
import { presenceOf, userOf } from '../presence.js';
import { eventsOutEnabled, putEventsOut } from '../put-events-out.js';
import { withinReplyBudget } from '../reply-budget.js';
import type { ServerFrameOf } from '../protocol.js';
import { arrivalEvents } from '../room-transitions.js';
import { addMembership, listRoomMemberships, removeMembership } from '../store/memberships.js';
import { lastSequence } from '../store/messages.js';
import type { ConnectionRecord } from '../store/connections.js';
import { notRegistered } from './admission.js';
import { requireMembership, requireRoomAccess } from './room-access.js';

/**
 * Joins a room (idempotent). Others in the room hear `user_joined` only when
 * this is the user's first connection there, mirroring `user_left`. The
 * events out a first join gives are told from the same read of the room and
 * put while the room is told; a join already made puts none again.
 */
export async function joinRoom(connection: ConnectionRecord, room: string): Promise<ServerFrameOf<'joined'>> {
  requireRoomAccess(connection, room);
  const alreadyJoined = connection.joinedRooms.includes(room);
  if (!alreadyJoined) {
    const outcome = await addMembership(connection, room);
    if (outcome === 'room-limit') {
      throw new ProtocolError('FORBIDDEN', `a connection may join at most ${config.maxRoomsPerConnection} rooms`);
    }
    if (outcome === 'connection-gone') {
      throw notRegistered();
    }
  }
  const [members, lastSeq] = await Promise.all([listRoomMemberships(room), lastSequence(room)]);
  const presence = presenceOf(members);
  const user = userOf(connection);
  if (!alreadyJoined) {
    const others = members.filter((member) => member.connectionId !== connection.connectionId);
    const tellsRoom = announcesPresence(members.length) && !others.some((member) => member.userId === user.userId);
    await Promise.all([
      tellsRoom
        ? postToConnections(
            others.map((member) => ({ connectionId: member.connectionId, room })),
            { type: 'user_joined', room, user, count: presence.length },
          )
        : undefined,
      // Told only when there is a bus: telling them reads the whole room again.
      eventsOutEnabled() ? putEventsOut(arrivalEvents(room, connection.connectionId, members)) : undefined,
    ]);
  }
  const listed = withinReplyBudget(presence.map(({ userId, name }) => ({ userId, name })));
  return { type: 'joined', room, members: listed, lastSeq };
}

/** Leaves a joined room; the room hears `user_left` if the user has no other connection there. */
export async function leaveRoom(connection: ConnectionRecord, room: string): Promise<ServerFrameOf<'left'>> {
  requireMembership(connection, room);
  await removeMembership(connection.connectionId, room);
  await putEventsOut(await announceDeparture({ room, user: userOf(connection), connectionId: connection.connectionId, reason: 'left' }));
  return { type: 'left', room };
}

/** Presence: who is in the room, with how many connections each. */
export async function listMembers(connection: ConnectionRecord, room: string): Promise<ServerFrameOf<'members'>> {
  requireRoomAccess(connection, room);
  return { type: 'members', room, members: withinReplyBudget(presenceOf(await listRoomMemberships(room))) };
}
