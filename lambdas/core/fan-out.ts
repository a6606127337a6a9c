/**
 * Delivery to many connections, and the cleanup of those that turn out gone.
 *
 * A room is read a page at a time and each page is posted with bounded
 * concurrency. A post answered 410 (GoneException) means API Gateway no
 * longer holds that connection, usually because its `$disconnect` never ran:
 * the connection and all its memberships are purged on the spot, and rooms
 * it leaves empty of its user hear `user_left`. Throttling (429) and 5xx
 * answers are retried with backoff and jitter by the SDK's retry strategy.
 *
 * A room with more than LARGE_ROOM_THRESHOLD live connections is not posted
 * by the sending function: its connection ids go to the fan-out queue in
 * batches, and worker functions post them within the post-rate budget.
 */
import pMap from 'p-map';
import { connectionPoster } from './clients.js';
import { config } from './config.js';
import { batchSizeFor, enqueueBatches, type FanOutBatch } from './fan-out-queue.js';
import type { DepartureReason, EventOut } from './events-out.js';
import { count, logger } from './observability.js';
import { presenceOf } from './presence.js';
import type { ServerFrame, UserRef } from './protocol.js';
import { eventsOutEnabled, putEventsOut } from './put-events-out.js';
import { departureEvents, type Departure } from './room-transitions.js';
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
  /** A large room: connections handed to the fan-out workers, and in how many batches. */
  queued?: { connections: number; batches: number };
}

/** What a fan-out needs besides its recipients and frame. */
export interface PostOptions {
  /** How many purge announcements deep this fan-out is. */
  readonly cascade?: number;
  /** Waited for before each post: a worker's share of the post-rate budget. */
  readonly pace?: () => Promise<void>;
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

function encode(frame: ServerFrame): string {
  return JSON.stringify(frame);
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
  const { result } = await postEncoded(recipients, encode(frame), { cascade });
  return result;
}

/** `postToConnections` for a frame already encoded; also says which recipients failed. */
export async function postEncoded(
  recipients: readonly Recipient[],
  frame: string,
  options: PostOptions = {},
): Promise<{ result: FanOutResult; failed: Recipient[] }> {
  const data = Buffer.from(frame);
  const result: FanOutResult = { delivered: 0, gone: 0, failed: 0 };
  const gone: Recipient[] = [];
  const failed: Recipient[] = [];
  await pMap(
    recipients,
    async (recipient) => {
      await options.pace?.();
      const outcome = await post(recipient.connectionId, data);
      result[outcome] += 1;
      if (outcome === 'gone') gone.push(recipient);
      if (outcome === 'failed') failed.push(recipient);
    },
    { concurrency: config.fanOutConcurrency },
  );
  count('FanOutRecipients', recipients.length);
  count('PostsDelivered', result.delivered);
  count('PostsFailed', result.failed);
  count('GoneConnectionsPurged', gone.length);
  if (gone.length > 0) {
    logger.info('purging gone connections', { connectionIds: gone.map((r) => r.connectionId) });
    // The posts are done and counted: a purge that fails must not turn them
    // into a failed request. Each purge is all or nothing, and the next post
    // to a connection still listed is answered 410 again and purges it then.
    await purgeGone(gone, options.cascade ?? 0).catch((error: unknown) => {
      logger.warn('purge of gone connections failed; the next post to them tries again', { error: error as Error });
    });
  }
  return { result, failed };
}

/**
 * Posts the frame to every live member of the room but `exceptConnectionId`:
 * itself, page by page, or through the fan-out queue when the room has more
 * than `largeRoomThreshold` live connections and a queue is configured.
 */
export async function fanOutToRoom(
  room: string,
  frame: ServerFrame,
  exceptConnectionId?: string,
): Promise<FanOutResult> {
  const pages = roomConnectionPages(room)[Symbol.asyncIterator]();
  const inline = async function* (first: readonly string[]): AsyncGenerator<readonly string[]> {
    yield first;
    for (let page = await pages.next(); page.done !== true; page = await pages.next()) yield page.value;
  };
  if (config.fanOutQueueUrl === undefined) return fanOutPages(inline([]), frame, exceptConnectionId, room);

  // Read until the room is known to be large or known not to be.
  const seen: string[] = [];
  let exhausted = false;
  while (seen.length <= config.largeRoomThreshold) {
    const page = await pages.next();
    if (page.done === true) {
      exhausted = true;
      break;
    }
    seen.push(...page.value);
  }
  if (exhausted) return fanOutPages(inline(seen), frame, exceptConnectionId, room);
  if (frame.type !== 'message') {
    // Presence in a large room would cost a post per member for every join,
    // leave and keystroke: only messages are delivered there (docs/protocol.md).
    logger.debug('presence not announced in a large room', { room, type: frame.type });
    return { delivered: 0, gone: 0, failed: 0 };
  }
  const total = await spreadFanOut(room, encode(frame), inline(seen), exceptConnectionId);
  logger.info('fan-out queued', { room, type: frame.type, ...total.queued });
  return total;
}

/** Queues the room's connection ids in batches for the workers, one page of the room at a time. */
async function spreadFanOut(
  room: string,
  frame: string,
  pages: AsyncIterable<readonly string[]>,
  exceptConnectionId: string | undefined,
): Promise<FanOutResult> {
  const size = batchSizeFor(frame);
  const queued = { connections: 0, batches: 0 };
  let ids: string[] = [];
  const flush = async (all: boolean): Promise<void> => {
    const batches: FanOutBatch[] = [];
    while (ids.length >= size || (all && ids.length > 0)) {
      batches.push({ room, frame, connectionIds: ids.slice(0, size), attempt: 1 });
      ids = ids.slice(size);
    }
    if (batches.length === 0) return;
    await enqueueBatches(batches);
    queued.batches += batches.length;
    queued.connections += batches.reduce((sum, batch) => sum + batch.connectionIds.length, 0);
  };
  for await (const page of pages) {
    ids.push(...page.filter((connectionId) => connectionId !== exceptConnectionId));
    await flush(false);
  }
  await flush(true);
  return { delivered: 0, gone: 0, failed: 0, queued };
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
 * The events out of all these departures go in as few PutEvents calls as
 * they fit. `reason` is why these connections are leaving: found gone by a
 * post, unless the caller knows better (`$disconnect`).
 */
export async function purgeGone(gone: readonly Recipient[], cascade = 0, reason: DepartureReason = 'gone'): Promise<void> {
  const roomsByConnection = new Map<string, string[]>();
  for (const { connectionId, room } of gone) {
    const rooms = roomsByConnection.get(connectionId) ?? [];
    if (room !== undefined) rooms.push(room);
    roomsByConnection.set(connectionId, rooms);
  }
  // One departure per user and room, not per connection: a user whose two
  // devices both turn out gone leaves each room once.
  const departures = new Map<string, { user: UserRef; connectionIdByRoom: Map<string, string> }>();
  for (const [connectionId, alsoRooms] of roomsByConnection) {
    const record = await getConnectionRecord(connectionId);
    await deleteConnectionItems(connectionId, record, alsoRooms);
    if (record === undefined) continue;
    const departure = departures.get(record.userId) ?? { user: { userId: record.userId, name: record.name }, connectionIdByRoom: new Map() };
    for (const room of [...record.rooms, ...alsoRooms]) {
      if (!departure.connectionIdByRoom.has(room)) departure.connectionIdByRoom.set(room, connectionId);
    }
    departures.set(record.userId, departure);
  }
  const events: EventOut[] = [];
  for (const { user, connectionIdByRoom } of departures.values()) {
    for (const [room, connectionId] of connectionIdByRoom) {
      const departure: Departure = { room, user, connectionId, reason };
      if (cascade < MAX_PURGE_CASCADE) {
        events.push(...(await announceDeparture(departure, cascade + 1)));
      } else if (eventsOutEnabled()) {
        // Past the cascade limit the room hears nothing, but the events are
        // one PutEvents, not a post per member: they still go out.
        events.push(...departureEvents(departure, await listRoomMemberships(room)));
      }
    }
  }
  await putEventsOut(events);
}

/**
 * Removes a connection and everything that points at it, then tells each room
 * it was in that its user left, if that was the user's last connection there.
 */
export async function removeConnection(connectionId: string): Promise<void> {
  await purgeGone([{ connectionId }], 0, 'disconnected');
}

/**
 * Whether a room of this many live connections hears `user_joined`,
 * `user_left` and `typing`: not when it is large, where each would cost a post
 * per member for every join, leave and keystroke (docs/protocol.md).
 */
export function announcesPresence(roomConnections: number): boolean {
  return config.fanOutQueueUrl === undefined || roomConnections <= config.largeRoomThreshold;
}

/**
 * Sends `user_left` to the room unless the user still has another connection
 * in it (or the room is large), and returns the events out the departure
 * gives, told from the same read, for the caller to put.
 */
export async function announceDeparture(departure: Departure, cascade = 0): Promise<EventOut[]> {
  const { room, user } = departure;
  const members = await listRoomMemberships(room);
  const events = departureEvents(departure, members);
  if (members.some((member) => member.userId === user.userId)) return events;
  if (!announcesPresence(members.length)) return events;
  const recipients = members.map((member) => ({ connectionId: member.connectionId, room }));
  await postToConnections(recipients, { type: 'user_left', room, user, count: presenceOf(members).length }, cascade);
  return events;
}
