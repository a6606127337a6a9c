/**
 * The client SDK: `import { RealtimeClient } from '<package>/client'`.
 * Browser and Node; it shares only the protocol module with the server.
 */
export { RealtimeClient } from './realtime-client.js';
export type {
  AckFrame,
  ConnectionState,
  JoinedFrame,
  Member,
  PresenceFrame,
  RealtimeEvents,
  SendOptions,
  StateChange,
  TypingFrame,
} from './api-types.js';
export type { RealtimeClientOptions } from './options.js';
export { RealtimeError, type ClientErrorCode, type RealtimeErrorCode } from './errors.js';
export type { WebSocketClass } from './websocket.js';
export { readTokenClaims, type TokenClaims } from './token.js';
export type { ErrorCode } from '../lambdas/core/protocol-constants.js';
export type { MessageFrame, ServerFrame, UserRef } from '../lambdas/core/protocol.js';
