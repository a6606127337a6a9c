import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import { ProtocolError } from '../errors.js';
import { mayEnterRoom } from '../identity.js';
import { getLiveConnection, refreshConnectionExpiry, type ConnectionRecord } from '../store/connections.js';

/** The connection a frame came from; core needs nothing else of the event. */
export interface Caller {
  readonly connectionId: string;
}

/**
 * The caller's live record. Any frame counts as activity: once half the idle
 * window has passed, the records' expiry moves forward, so an active client
 * never has to ping just to stay in its rooms.
 */
export async function requireConnection(caller: Caller, { refresh = false } = {}): Promise<ConnectionRecord> {
  const record = await getLiveConnection(caller.connectionId);
  if (record === undefined) {
    throw new ProtocolError('FORBIDDEN', 'this connection is not registered (expired or removed); reconnect');
  }
  const remaining = record.expiresAt - nowSeconds();
  if (!refresh && remaining > config.connectionIdleSeconds / 2) return record;
  return { ...record, expiresAt: await refreshConnectionExpiry(record) };
}

export function requireRoomAccess(connection: ConnectionRecord, room: string): void {
  if (!mayEnterRoom({ rooms: connection.allowedRooms }, room)) {
    throw new ProtocolError('FORBIDDEN', `room ${room} is private and your token does not allow it`);
  }
}

export function requireMembership(connection: ConnectionRecord, room: string): void {
  if (!connection.rooms.includes(room)) {
    throw new ProtocolError('NOT_IN_ROOM', `you have not joined room ${room}`);
  }
}

export function userOf(connection: ConnectionRecord): { userId: string; name: string } {
  return { userId: connection.userId, name: connection.name };
}
