import { config } from '../config.js';
import { ConnectionRefused } from '../errors.js';
import { removeConnection } from '../fan-out.js';
import { count } from '../observability.js';
import type { Identity } from '../identity.js';
import { countLiveUserConnections, putConnection, type ConnectionRecord } from '../store/connections.js';

/**
 * Registers a connection for the identity the authorizer established.
 * Refused (401) without one, and (429) when the user already holds the
 * maximum number of live connections.
 */
export async function connect(connectionId: string, identity: Identity | undefined): Promise<ConnectionRecord> {
  if (identity === undefined) throw new ConnectionRefused(401, 'no authenticated user for this connection');
  const open = await countLiveUserConnections(identity.userId);
  if (open >= config.maxConnectionsPerUser) {
    count('ConnectionsRefused');
    throw new ConnectionRefused(429, `user already holds ${open} connections (limit ${config.maxConnectionsPerUser})`);
  }
  const record = await putConnection(connectionId, identity);
  count('ConnectionsOpened');
  return record;
}

/** Removes the connection everywhere; rooms it leaves hear `user_left`. */
export async function disconnect(connectionId: string): Promise<void> {
  await removeConnection(connectionId);
  count('ConnectionsClosed');
}
