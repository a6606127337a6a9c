import { setTimeout as sleep } from 'node:timers/promises';
import { config } from '../config.js';
import { ConnectionRefused } from '../errors.js';
import { count } from '../observability.js';
import type { Identity } from '../identity.js';
import { countLiveUserConnections, deleteConnectionItems, putConnection, type ConnectionRecord } from '../store/connections.js';

/**
 * Registers a connection for the identity the authorizer established.
 * Refused (401) without one, and (429) when the user already holds the
 * maximum number of live connections.
 *
 * The limit holds under concurrent handshakes: after writing, the connection
 * counts again (strongly consistent) and withdraws itself when over the
 * limit. Of the handshakes that stay, the last to count saw every other one,
 * so no more than the limit can stay: a burst may refuse one too many, never
 * admit one too many. One that withdrew tries again a couple of times after
 * a random wait, so a burst cannot shut every newcomer out.
 */
export async function connect(connectionId: string, identity: Identity | undefined): Promise<ConnectionRecord> {
  if (identity === undefined) throw new ConnectionRefused(401, 'no authenticated user for this connection');
  const limit = config.maxConnectionsPerUser;
  if ((await countLiveUserConnections(identity.userId)) >= limit) refuse(limit);
  for (let retry = 0; ; retry += 1) {
    const record = await putConnection(connectionId, identity);
    if ((await countLiveUserConnections(identity.userId)) <= limit) {
      count('ConnectionsOpened');
      return record;
    }
    await deleteConnectionItems(connectionId, record);
    if (retry >= CONTENDED_RETRIES) refuse(limit);
    // In a burst every newcomer can count the others and withdraw, leaving
    // none: each tries again after a random moment, so that some stay.
    await sleep(Math.random() * CONTENDED_JITTER_MS * (retry + 1));
    if ((await countLiveUserConnections(identity.userId)) >= limit) refuse(limit);
  }
}

/** Tries again after withdrawing from a burst of handshakes, each within a longer random wait. */
const CONTENDED_RETRIES = 2;
const CONTENDED_JITTER_MS = 50;

function refuse(limit: number): never {
  count('ConnectionsRefused');
  throw new ConnectionRefused(429, `user already holds ${limit} connections (the limit)`);
}
