/**
 * The wire protocol's constants (docs/protocol.md, v1), free of zod, so that
 * the browser bundle of the client SDK can share them without the schemas.
 * `protocol.ts` re-exports all of it; server code imports from there, except
 * code that needs no schema and is bundled without them (the authorizer).
 */

/** `data` of a message, serialised, may not exceed this (PAYLOAD_TOO_LARGE). */
export const MAX_DATA_BYTES = 16 * 1024;
/**
 * How deep `data` may nest (BAD_REQUEST deeper): a frame's 32 KiB hold
 * thousands of levels, more than a recursive validator's stack survives.
 */
export const MAX_DATA_DEPTH = 64;
/** API Gateway closes the connection (1009) on a single frame larger than this. */
export const MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway's limit for one message, fragmented frames included. */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/**
 * What one reply (`history`, `joined`, `members`) may fill, safely under
 * MAX_MESSAGE_BYTES: API Gateway does not deliver a larger one.
 */
export const REPLY_BUDGET_BYTES = 120 * 1024;
/** Display names longer than this are cut, so presence lists stay small. */
export const MAX_NAME_LENGTH = 64;
/** User ids (the token's `sub`) are at most this long. */
export const MAX_USER_ID_LENGTH = 128;
/** A `clientMsgId` is 1 to this many characters. */
export const MAX_CLIENT_MSG_ID_LENGTH = 128;

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_ACTION',
  'FORBIDDEN',
  'NOT_IN_ROOM',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Room names: 1-64 characters of A-Z a-z 0-9 _ . : - */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const PRIVATE_ROOM_PREFIX = 'private-';
/** The token role that may broadcast to everyone over the WebSocket. */
export const ADMIN_ROLE = 'admin';
/** The sender of every server-side push; reserved, no token may claim it. */
export const SYSTEM_USER: { readonly userId: string; readonly name: string } = Object.freeze({ userId: 'system', name: 'system' });

/** Serialised size in UTF-8 bytes, as API Gateway counts it (TextEncoder, so browsers share it). */
export function serialisedBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}
