/**
 * How a message is kept in the table (history items and `clientMsgId`
 * claims). Free of configuration and clients, so checks of the table can
 * read it too.
 */
import type { MessageFrame } from '../protocol.js';
import { malformedItem, type Item, type RecordRef } from './item.js';

/**
 * A message is stored as its JSON text, not as a DynamoDB map: `data` is
 * whatever JSON a client sent, and the SDK's marshaller silently drops a
 * `__proto__` key and refuses an object with a `constructor` key. The text
 * is also exactly what was delivered live.
 */
export function encodeStoredMessage(message: MessageFrame): string {
  return JSON.stringify(message);
}

/**
 * What a stored `message` attribute holds, unchecked, for checks of the table
 * that judge it themselves; items written before messages were stored as
 * text hold a map.
 */
export function decodeStoredMessage(stored: unknown): unknown {
  return typeof stored === 'string' ? JSON.parse(stored) : stored;
}

/**
 * The message frame in an item's `message` attribute, checked as far as
 * this code relies on it: `data` is any JSON, so only its presence is.
 */
export function messageFrameFromItem(item: Item, record: RecordRef): MessageFrame {
  if (item.message === undefined) throw malformedItem(item, record, 'message', 'is missing');
  let frame: unknown;
  try {
    frame = decodeStoredMessage(item.message);
  } catch {
    throw malformedItem(item, record, 'message', 'is not JSON text');
  }
  if (!isMessageFrame(frame)) throw malformedItem(item, record, 'message', 'holds no message frame');
  return frame;
}

function isMessageFrame(value: unknown): value is MessageFrame {
  if (!isObject(value)) return false;
  const { type, id, from, sentAt, room, seq } = value;
  return (
    type === 'message' &&
    typeof id === 'string' &&
    isObject(from) &&
    typeof from.userId === 'string' &&
    typeof from.name === 'string' &&
    'data' in value &&
    typeof sentAt === 'string' &&
    (room === undefined || typeof room === 'string') &&
    (seq === undefined || typeof seq === 'number')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
