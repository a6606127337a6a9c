import { BATCH_GET_LIMIT } from '../store/batch-get.js';
import { everyoneConnectionPages, getLiveConnections, type ConnectionRecord } from '../store/connections.js';

export interface RoomStats {
  readonly room: string;
  /** Live connections that joined the room. */
  readonly connections: number;
  /** Distinct users among them. */
  readonly users: number;
}

export interface Stats {
  /** Live connections. */
  readonly connections: number;
  /** Distinct users holding them. */
  readonly users: number;
  /** Rooms with at least one live connection, most connections first, then by name. */
  readonly rooms: readonly RoomStats[];
}

/**
 * Counts live connections, users and room occupancy.
 *
 * Cost: O(connections) reads on every call. It Queries every everyone-set
 * partition (never a Scan) and BatchGets every live connection's record for
 * its joined rooms, about one read unit per connection plus the Query
 * pages; memory also grows with the number of users and rooms. This is an
 * admin endpoint for operators and dashboards polled now and then, not a hot
 * path: nothing on the message path may call it.
 *
 * Rooms come from the connection records' `rooms` sets, which join and leave
 * change in the same transaction as the memberships, so they agree with what
 * `members` reports.
 */
export async function stats(): Promise<Stats> {
  let connections = 0;
  const users = new Set<string>();
  const rooms = new Map<string, { connections: number; users: Set<string> }>();
  const tally = (records: readonly ConnectionRecord[]): void => {
    for (const record of records) {
      connections += 1;
      users.add(record.userId);
      for (const room of record.joinedRooms) {
        const entry = rooms.get(room) ?? { connections: 0, users: new Set<string>() };
        entry.connections += 1;
        entry.users.add(record.userId);
        rooms.set(room, entry);
      }
    }
  };

  // Ids are gathered across pages and shards into full BatchGets: a shard's
  // page is often much smaller than a batch, and requests cost round trips.
  let pending: string[] = [];
  for await (const page of everyoneConnectionPages()) {
    pending.push(...page);
    if (pending.length < BATCH_GET_LIMIT) continue;
    const full = pending.length - (pending.length % BATCH_GET_LIMIT);
    tally(await getLiveConnections(pending.slice(0, full)));
    pending = pending.slice(full);
  }
  if (pending.length > 0) tally(await getLiveConnections(pending));

  const roomStats = [...rooms].map(([room, entry]) => ({
    room,
    connections: entry.connections,
    users: entry.users.size,
  }));
  // Code-unit order, not localeCompare: the same order on every runtime and locale.
  roomStats.sort((a, b) => b.connections - a.connections || (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
  return { connections, users: users.size, rooms: roomStats };
}
