import { closeConnection } from '../close-connection.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import { ConnectionClosed, ProtocolError } from '../errors.js';
import { countFrame } from '../store/connection-activity.js';
import { expiryIsDue, refreshConnectionExpiry, type ConnectionRecord } from '../store/connections.js';

/** The connection a frame came from; core needs nothing else of the event. */
export interface Caller {
  readonly connectionId: string;
  /** API Gateway's id for this request, quoted in error frames. */
  readonly requestId: string;
}

/**
 * Admits one frame: the caller's live record, with the frame counted against
 * its rate limit. Every frame passes here first, whatever its action and
 * whether or not it parses, so junk frames are limited like any other.
 *
 * A connection whose token has expired is closed here: the token was checked
 * at `$connect` only, so its `exp` is enforced on the next frame at the latest.
 *
 * Any frame counts as activity and keeps the records alive as long as API
 * Gateway keeps the socket (`expiryIsDue`); `ping` always refreshes them.
 */
export async function admitFrame(caller: Caller, action?: string): Promise<ConnectionRecord> {
  const outcome = await countFrame(caller.connectionId);
  if (outcome.kind === 'unknown') throw notRegistered();
  if (outcome.kind === 'rate-limited') {
    throw new ProtocolError(
      'RATE_LIMITED',
      `more than ${config.rateLimitFrames} frames in ${config.rateLimitWindowSeconds} s; retry in ${Math.ceil(outcome.retryAfterMs / 1000)} s`,
      { retryAfterMs: outcome.retryAfterMs },
    );
  }
  const { record } = outcome;
  if (record.tokenExpiresAt !== undefined && record.tokenExpiresAt <= nowSeconds()) {
    await closeConnection(record.connectionId, {
      type: 'error',
      code: 'FORBIDDEN',
      message: 'your token has expired; reconnect with a fresh one',
      requestId: caller.requestId,
      reconnect: true,
    });
    throw new ConnectionClosed();
  }
  if (action !== 'ping' && !expiryIsDue(record)) return record;
  return { ...record, expiresAt: await refreshConnectionExpiry(record) };
}

/** The connection's records are gone (expired, purged, or a fresh table): only a new connection helps. */
export function notRegistered(): ProtocolError {
  return new ProtocolError('FORBIDDEN', 'this connection is not registered (expired or removed); reconnect', { reconnect: true });
}
