/**
 * Delivery to a room, to a user's devices or to everyone: a room is read a page at a time and
 * each page posted (departures.ts `postAndPurge`, which also removes the
 * connections found gone).
 *
 * A room with more than LARGE_ROOM_THRESHOLD live connections is not posted
 * by the sending function: its connection ids go to the fan-out queue in
 * batches, and worker functions post them within the post-rate budget.
 */
import { config } from './config.js';
import { postToConnections } from './departures.js';
import { batchSizeFor, enqueueBatches, type FanOutBatch } from './fan-out-queue.js';
import { logger } from './observability.js';
import { encode, type FanOutResult } from './posting.js';
import type { ServerFrame } from './protocol.js';
import { everyoneConnectionPages, listLiveUserConnections } from './store/connections.js';
import { roomConnectionPages } from './store/memberships.js';

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

/** Posts the frame to every live connection (device) of the user but `exceptConnectionId`. */
export async function fanOutToUser(userId: string, frame: ServerFrame, exceptConnectionId?: string): Promise<FanOutResult> {
  const devices = await listLiveUserConnections(userId);
  const recipients = devices.filter((connectionId) => connectionId !== exceptConnectionId).map((connectionId) => ({ connectionId }));
  return postToConnections(recipients, frame);
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

