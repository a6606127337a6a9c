import { ProtocolError } from '../errors.js';
import { mayEnterRoom } from '../identity.js';
import type { ConnectionRecord } from '../store/connections.js';

/** What a connection may do in a room: enter it (its token's rooms allow it), or act as a member (it joined). */
export function requireRoomAccess(connection: ConnectionRecord, room: string): void {
  if (!mayEnterRoom(connection, room)) {
    throw new ProtocolError('FORBIDDEN', `room ${room} is private and your token does not allow it`);
  }
}

export function requireMembership(connection: ConnectionRecord, room: string): void {
  if (!connection.joinedRooms.includes(room)) {
    throw new ProtocolError('NOT_IN_ROOM', `you have not joined room ${room}`);
  }
}
