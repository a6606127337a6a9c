import { createHash, randomUUID } from 'node:crypto';
import { config } from '../config.js';
import { ProtocolError } from '../errors.js';
import { count } from '../observability.js';
import { withinReplyBudget } from '../reply-budget.js';
import { fanOutToEveryone, fanOutToRoom, fanOutToUser } from '../fan-out.js';
import type { FanOutResult } from '../posting.js';
import { ADMIN_ROLE, MAX_DATA_BYTES, serialisedBytes, type ClientFrame, type MessageFrame, type ServerFrameOf } from '../protocol.js';
import type { ConnectionRecord } from '../store/connections.js';
import { claimClientMessage, nextSequence, readHistory, restoreMessage, storeMessage, type ClientMessageRef } from '../store/messages.js';
import { userOf } from '../presence.js';
import { requireMembership, requireRoomAccess } from './room-access.js';

/**
 * Sends `data` to a joined room (stored with the room's next `seq`, then
 * posted to every other connection in it), privately to every connection of
 * user `to`, or, for the admin role, to everyone connected (neither stored).
 * The sending connection gets `ack`, not its own message.
 */
export async function sendMessage(
  connection: ConnectionRecord,
  frame: ClientFrame<'sendMessage'>,
): Promise<ServerFrameOf<'ack'>> {
  const dataBytes = serialisedBytes(frame.data);
  if (dataBytes > MAX_DATA_BYTES) {
    throw new ProtocolError('PAYLOAD_TOO_LARGE', `data is ${dataBytes} bytes; the limit is ${MAX_DATA_BYTES}`);
  }
  count('MessagesSent');
  const clientMsgId = frame.clientMsgId === undefined ? {} : { clientMsgId: frame.clientMsgId };
  const base = { type: 'message', id: randomUUID(), from: userOf(connection), data: frame.data } as const;

  if (frame.room !== undefined) {
    const room = frame.room;
    requireMembership(connection, room);
    const sent = frame.clientMsgId === undefined ? undefined : { userId: connection.userId, clientMsgId: frame.clientMsgId };
    const { message } = await postRoomMessage(room, base, connection.connectionId, sent);
    return { type: 'ack', ...clientMsgId, id: message.id, seq: message.seq };
  }

  if (frame.broadcast === true) {
    if (!connection.roles.includes(ADMIN_ROLE)) {
      throw new ProtocolError('FORBIDDEN', `only the ${ADMIN_ROLE} role may broadcast to everyone`);
    }
    const message: MessageFrame = { ...base, sentAt: new Date().toISOString() };
    await fanOutToEveryone(message, connection.connectionId);
    return { type: 'ack', ...clientMsgId, id: message.id };
  }

  // Neither a room nor everyone: the schema's one-target rule leaves a user.
  const to = frame.to as string;
  // Private messages are not stored, so a resend cannot be recognised here;
  // it gets the same id instead, and a receiver that already has it drops it.
  const id = frame.clientMsgId === undefined ? base.id : privateMessageId(connection.userId, to, frame.clientMsgId);
  const message: MessageFrame = { ...base, id, sentAt: new Date().toISOString() };
  const result = await fanOutToUser(to, message, connection.connectionId);
  if (result.delivered === 0) {
    if (result.failed > 0) throw new ProtocolError('INTERNAL', `could not deliver to user ${to}; try again`);
    throw new ProtocolError('BAD_REQUEST', `user ${to} has no open connection`);
  }
  return { type: 'ack', ...clientMsgId, id: message.id };
}

/**
 * The id of a private message with a `clientMsgId`: the same for every resend
 * from the same sender to the same user, and shaped as a UUID (version 8, the
 * version for ids derived by a scheme of one's own).
 */
export function privateMessageId(from: string, to: string, clientMsgId: string): string {
  const bytes = createHash('sha256').update(JSON.stringify(['private', from, to, clientMsgId])).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A room message as stored and posted: it always has its room and `seq`. */
export type RoomMessage = MessageFrame & { room: string; seq: number };

/**
 * Numbers a message with the room's next `seq`, stores it for `history` and
 * posts it to every live connection in the room but `exceptConnectionId`.
 * Shared by `sendMessage` and the server-side `publish`, so that a pushed
 * message is numbered, stored and delivered exactly like a member's.
 *
 * The writes, and what each is for:
 * 1. the room's counter (UpdateItem): the `seq`, strictly increasing;
 * 2. with a `clientMsgId`, its claim (conditional Put, holding the message):
 *    a resend is recognised and answered with the first `id` and `seq`;
 * 3. the history item (Put), written while the fan-out runs: members get
 *    the message live, and history serves whoever missed it.
 * Admitting the frame (the rate-limit count on the connection) is the fourth.
 */
export async function postRoomMessage(
  room: string,
  content: Pick<MessageFrame, 'id' | 'from' | 'data'>,
  exceptConnectionId?: string,
  sent?: ClientMessageRef,
): Promise<{ message: RoomMessage; result: FanOutResult }> {
  const seq = await nextSequence(room);
  // Fields picked one by one: a caller's object may carry more than a frame should.
  const { id, from, data } = content;
  const message: RoomMessage = { type: 'message', id, from, data, room, seq, sentAt: new Date().toISOString() };
  const earlier = sent === undefined ? undefined : await claimClientMessage(message, sent);
  if (sent !== undefined && earlier !== undefined) {
    // Already sent under this clientMsgId: the `seq` just taken stays a gap.
    await restoreMessage(earlier, sent);
    return { message: earlier, result: { delivered: 0, gone: 0, failed: 0 } };
  }
  // Both run to the end before either's failure is reported: a function that
  // answered as soon as the store failed would end with the fan-out half done.
  const [stored, fannedOut] = await Promise.allSettled([storeMessage(message, sent), fanOutToRoom(room, message, exceptConnectionId)]);
  if (stored.status === 'rejected') throw stored.reason;
  if (fannedOut.status === 'rejected') throw fannedOut.reason;
  return { message, result: fannedOut.value };
}

/** Tells the others in a joined room that this user is typing; nothing is stored. */
export async function typing(connection: ConnectionRecord, room: string): Promise<void> {
  requireMembership(connection, room);
  await fanOutToRoom(room, { type: 'typing', room, user: userOf(connection) }, connection.connectionId);
}

/**
 * Stored room messages after `afterSeq`, oldest first: at most
 * `HISTORY_PAGE_SIZE` of them and what fits in one reply; the client asks
 * again after the last `seq` it got.
 */
export async function history(
  connection: ConnectionRecord,
  room: string,
  afterSeq: number,
): Promise<ServerFrameOf<'history'>> {
  requireRoomAccess(connection, room);
  const messages = await readHistory(room, afterSeq, config.historyPageSize);
  return { type: 'history', room, messages: withinReplyBudget(messages) };
}

/** Answers `pong`; admitting the frame has already moved the idle expiry forward. */
export function ping(): ServerFrameOf<'pong'> {
  return { type: 'pong', at: new Date().toISOString() };
}
