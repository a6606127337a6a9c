import type { UserRef } from './protocol.js';
import type { ConnectionRecord } from './store/connections.js';
import type { RoomMembership } from './store/memberships.js';

export interface Presence extends UserRef {
  readonly connections: number;
}

/** Who is in a room: one entry per user, however many devices, ordered by user id. */
export function presenceOf(memberships: readonly Omit<RoomMembership, 'joinedAt'>[]): Presence[] {
  const byUser = new Map<string, Presence>();
  for (const { userId, name } of memberships) {
    const seen = byUser.get(userId);
    byUser.set(userId, { userId, name: seen?.name ?? name, connections: (seen?.connections ?? 0) + 1 });
  }
  return [...byUser.values()].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** The user behind a connection, as frames name them. */
export function userOf(connection: ConnectionRecord): UserRef {
  return { userId: connection.userId, name: connection.name };
}
