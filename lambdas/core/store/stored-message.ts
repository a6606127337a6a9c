/**
 * How a message is kept in the table (history items and `clientMsgId`
 * claims). Free of configuration and clients, so checks of the table can
 * read it too.
 */
import type { MessageFrame } from '../protocol.js';

/**
 * A message is stored as its JSON text, not as a DynamoDB map: `data` is
 * whatever JSON a client sent, and the SDK's marshaller silently drops a
 * `__proto__` key and refuses an object with a `constructor` key. The text
 * is also exactly what was delivered live.
 */
export function encodeStoredMessage(message: MessageFrame): string {
  return JSON.stringify(message);
}

/** The stored message; items written before messages were stored as text hold a map. */
export function decodeStoredMessage(stored: unknown): MessageFrame {
  return (typeof stored === 'string' ? JSON.parse(stored) : stored) as MessageFrame;
}
