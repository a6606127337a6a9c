/** What the client checks before anything goes on the wire: the server would refuse it, or API Gateway would close the socket. */
import {
  MAX_CLIENT_MSG_ID_LENGTH,
  MAX_DATA_BYTES,
  MAX_USER_ID_LENGTH,
  ROOM_NAME_PATTERN,
  serialisedBytes,
} from '../lambdas/core/protocol-constants.js';
import { RealtimeError } from './errors.js';

export function checkRoom(room: unknown, action: string): RealtimeError | undefined {
  if (typeof room === 'string' && ROOM_NAME_PATTERN.test(room)) return undefined;
  return new RealtimeError('BAD_REQUEST', `room must be 1-64 characters of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(room)}`, { action });
}

export function checkUserId(userId: unknown): RealtimeError | undefined {
  if (typeof userId === 'string' && userId.length > 0 && userId.length <= MAX_USER_ID_LENGTH) return undefined;
  return new RealtimeError('BAD_REQUEST', `userId must be 1-${MAX_USER_ID_LENGTH} characters`, { action: 'sendMessage' });
}

export function checkClientMsgId(clientMsgId: unknown): RealtimeError | undefined {
  if (clientMsgId === undefined) return undefined;
  if (typeof clientMsgId === 'string' && clientMsgId.length > 0 && clientMsgId.length <= MAX_CLIENT_MSG_ID_LENGTH) return undefined;
  return new RealtimeError('BAD_REQUEST', `clientMsgId must be 1-${MAX_CLIENT_MSG_ID_LENGTH} characters`, { action: 'sendMessage' });
}

/** `data` must be JSON of at most MAX_DATA_BYTES, checked here so that an oversize frame never reaches the socket. */
export function checkData(data: unknown): RealtimeError | undefined {
  let bytes: number;
  try {
    if (JSON.stringify(data) === undefined) throw new Error('not JSON');
    bytes = serialisedBytes(data);
  } catch {
    return new RealtimeError('BAD_REQUEST', 'data must be a JSON value', { action: 'sendMessage' });
  }
  if (bytes <= MAX_DATA_BYTES) return undefined;
  return new RealtimeError('PAYLOAD_TOO_LARGE', `data is ${bytes} bytes serialised; the limit is ${MAX_DATA_BYTES}`, { action: 'sendMessage' });
}

/** A random id; crypto.getRandomValues also works on pages not served over https, unlike randomUUID. */
export function newClientMsgId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
