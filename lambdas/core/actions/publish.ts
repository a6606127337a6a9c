import { randomUUID } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { fanOutToEveryone, fanOutToUser } from '../fan-out.js';
import type { FanOutResult } from '../posting.js';
import { logger } from '../observability.js';
import {
  describeIssues,
  publishErrorCode,
  publishRequest,
  type MessageFrame,
  SYSTEM_USER,
  type PublishRequest,
} from '../protocol.js';
import { postRoomMessage } from './messages.js';

export interface PublishResult extends FanOutResult {
  /** The pushed `message` frame's id. */
  readonly id: string;
  /** The room's `seq` for the message; only a room publish is numbered. */
  readonly seq?: number;
}

/**
 * Validates a publish request that arrived as untyped JSON. Throws
 * ProtocolError PAYLOAD_TOO_LARGE when `data` is too large and nothing else is
 * wrong, BAD_REQUEST otherwise.
 */
export function parsePublishRequest(input: unknown): PublishRequest {
  const parsed = publishRequest.safeParse(input);
  if (!parsed.success) throw new ProtocolError(publishErrorCode(parsed.error), describeIssues(parsed.error));
  return parsed.data;
}

/**
 * Pushes `data` as a `message` from SYSTEM_USER, for other services.
 *
 * - room: numbered and stored exactly like a member's `sendMessage`, then
 *   posted to every live connection in the room;
 * - userId: posted to every live connection of the user, not stored; a user
 *   with none is not an error here (delivered: 0), since a backend pushing a
 *   notification cannot know whether its user is online;
 * - broadcast: posted to every live connection, one everyone-set page at a time.
 *
 * Connections that answer 410 are purged as in any fan-out. The request is
 * validated again here, whoever called: the type cannot express the room-name
 * rule, and a room name becomes part of a key.
 */
export async function publish(request: PublishRequest): Promise<PublishResult> {
  const target = parsePublishRequest(request);
  const content = { id: randomUUID(), from: SYSTEM_USER, data: target.data };

  let result: PublishResult;
  if ('room' in target) {
    const { message, result: delivery } = await postRoomMessage(target.room, content);
    result = { id: message.id, seq: message.seq, ...delivery };
  } else {
    const message: MessageFrame = { type: 'message', ...content, sentAt: new Date().toISOString() };
    const delivery = 'userId' in target ? await fanOutToUser(target.userId, message) : await fanOutToEveryone(message);
    result = { id: message.id, ...delivery };
  }
  logger.info('published', { target: describeTarget(target), ...result });
  return result;
}


function describeTarget(target: PublishRequest): string {
  if ('room' in target) return `room ${target.room}`;
  if ('userId' in target) return `user ${target.userId}`;
  return 'everyone';
}
