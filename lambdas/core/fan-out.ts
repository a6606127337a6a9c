/**
 * Delivery to many connections, and the cleanup of those that turn out gone.
 *
 * A room is read a page at a time and each page is posted with bounded
 * concurrency. A post answered 410 (GoneException) means API Gateway no
 * longer holds that connection, usually because its `$disconnect` never ran:
 * the connection and all its memberships are purged on the spot, and rooms
 * it leaves empty of its user hear `user_left`. Throttling (429) and 5xx
 * answers are retried with backoff and jitter by the SDK's retry strategy.
 */
import pMap from 'p-map';
import { connectionPoster } from './clients.js';
import { config } from './config.js';
import { count, logger } from './observability.js';
import { presenceOf } from './presence.js';
import type { ServerFrame, UserRef } from './protocol.js';
import { deleteConnectionItems, everyoneConnectionPages, getConnectionRecord } from './store/connections.js';
import { listRoomMemberships, roomConnectionPages } from './store/memberships.js';

/** A connection to post to; `room` is where it was found, so a purge can remove that membership. */
export interface Recipient {
  readonly connectionId: string;
  readonly room?: string;
}

export interface FanOutResult {
  delivered: number;
  /** Connections that answered 410 and were purged. */
  gone: number;
  /** Posts that failed for another reason, retries exhausted. */
  failed: number;
}

/**
 * How many rounds of "a purge announces `user_left`, whose fan-out finds more
 * gone connections" run before the rest are purged without announcement.
 */
const MAX_PURGE_CASCADE = 3;

type PostOutcome = 'delivered' | 'gone' | 'failed';

/** SDK v3 errors carry no `statusCode`: a gone connection is known by name or by HTTP status. */
export function isGoneError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return name === 'GoneException' || $metadata?.httpStatusCode === 410;
}

async function post(connectionId: string, data: Uint8Array): Promise<PostOutcome> {
  try {
    await connectionPoster().post(connectionId, data);
    return 'delivered';
  } catch (error) {
    if (isGoneError(error)) return 'gone';
    logger.warn('post to connection failed', { connectionId, error: error as Error });
    return 'failed';
  }
}

function encode(frame: ServerFrame): Uint8Array {
  return Buffer.from(JSON.stringify(frame));
}

/**
 * Posts one frame to each recipient, at most `fanOutConcurrency` in flight,
 * and purges every recipient that answers 410.
 */
export async function postToConnections(
  recipients: readonly Recipient[],
  frame: ServerFrame,
  cascade = 0,
): Promise<FanOutResult> {
  const data = encode(frame);
  const result: FanOutResult = { delivered: 0, gone: 0, failed: 0 };
  const gone: Recipient[] = [];
  await pMap(
    recipients,
    async (recipient) => {
      const outcome = await post(recipient.connectionId, data);
      result[outcome] += 1;
      if (outcome === 'gone') gone.push(recipient);
    },
    { concurrency: config.fanOutConcurrency },
  );
  count('FanOutRecipients', recipients.length);
  count('PostsDelivered', result.delivered);
  count('PostsFailed', result.failed);
  count('GoneConnectionsPurged', gone.length);
  if (gone.length > 0) logger.info('purging gone connections', { connectionIds: gone.map((r) => r.connectionId) });
  await purgeGone(gone, cascade);
  return result;
}

/** Posts the frame to every live member of the room but `exceptConnectionId`, page by page. */
export async function fanOutToRoom(
  room: string,
  frame: ServerFrame,
  exceptConnectionId?: string,
): Promise<FanOutResult> {
  const total = await fanOutPages(roomConnectionPages(room), frame, exceptConnectionId, room);
  logger.debug('fan-out done', { room, type: frame.type, ...total });
  return total;
}

/**
 * Posts the frame to every live connection but `exceptConnectionId`, one
 * everyone-set page at a time, so memory stays bounded by a page however many
 * are connected.
 */
export async function fanOutToEveryone(frame: ServerFrame, exceptConnectionId?: string): Promise<FanOutResult> {
  return fanOutPages(everyoneConnectionPages(), frame, exceptConnectionId);
}

/** Posts to each page of connection ids in turn; `room` is where they were found, for purges. */
async function fanOutPages(
  pages: AsyncIterable<readonly string[]>,
  frame: ServerFrame,
  exceptConnectionId: string | undefined,
  room?: string,
): Promise<FanOutResult> {
  const total: FanOutResult = { delivered: 0, gone: 0, failed: 0 };
  for await (const page of pages) {
    const recipients = page
      .filter((connectionId) => connectionId !== exceptConnectionId)
      .map((connectionId) => (room === undefined ? { connectionId } : { connectionId, room }));
    if (recipients.length === 0) continue;
    const result = await postToConnections(recipients, frame);
    total.delivered += result.delivered;
    total.gone += result.gone;
    total.failed += result.failed;
  }
  return total;
}

/**
 * Purges each gone connection once: its records and memberships first, all of
 * them, so that the `user_left` each owes then counts only who is still there.
 */
export async function purgeGone(gone: readonly Recipient[], cascade = 0): Promise<void> {
  const roomsByConnection = new Map<string, string[]>();
  for (const { connectionId, room } of gone) {
    const rooms = roomsByConnection.get(connectionId) ?? [];
    if (room !== undefined) rooms.push(room);
    roomsByConnection.set(connectionId, rooms);
  }
  // One departure per user, not per connection: a user whose two devices
  // both turn out gone leaves each room once.
  const departures = new Map<string, { user: UserRef; rooms: Set<string> }>();
  for (const [connectionId, alsoRooms] of roomsByConnection) {
    const record = await getConnectionRecord(connectionId);
    await deleteConnectionItems(connectionId, record, alsoRooms);
    if (record === undefined) continue;
    const departure = departures.get(record.userId) ?? { user: { userId: record.userId, name: record.name }, rooms: new Set() };
    for (const room of [...record.rooms, ...alsoRooms]) departure.rooms.add(room);
    departures.set(record.userId, departure);
  }
  if (cascade >= MAX_PURGE_CASCADE) return;
  for (const { user, rooms } of departures.values()) {
    for (const room of rooms) await announceDeparture(room, user, cascade + 1);
  }
}

/**
 * Removes a connection and everything that points at it, then tells each room
 * it was in that its user left, if that was the user's last connection there.
 */
export async function removeConnection(connectionId: string): Promise<void> {
  await purgeGone([{ connectionId }]);
}

/** Sends `user_left` to the room unless the user still has another connection in it. */
export async function announceDeparture(room: string, user: UserRef, cascade = 0): Promise<void> {
  const members = await listRoomMemberships(room);
  if (members.some((member) => member.userId === user.userId)) return;
  const recipients = members.map((member) => ({ connectionId: member.connectionId, room }));
  await postToConnections(recipients, { type: 'user_left', room, user, count: presenceOf(members).length }, cascade);
}
