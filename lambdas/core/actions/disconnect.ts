import { removeConnection } from '../departures.js';
import { count } from '../observability.js';

/** Removes the connection everywhere; rooms it leaves hear `user_left`. */
export async function disconnect(connectionId: string): Promise<void> {
  await removeConnection(connectionId);
  count('ConnectionsClosed');
}
