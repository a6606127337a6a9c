import type { ErrorCode } from './protocol.js';

/**
 * A refusal the client caused and can act on. `code` is exactly a PROTOCOL.md
 * error code; the handler turns it into an `error` frame.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** With RATE_LIMITED: when the client may send again, so it need not parse the message. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A refused `$connect`: the handshake fails with this HTTP status. */
export class ConnectionRefused extends Error {
  override readonly name = 'ConnectionRefused';
  constructor(
    readonly statusCode: 401 | 403 | 429,
    message: string,
  ) {
    super(message);
  }
}

/** The server closed the caller's connection while handling its frame: there is no one to reply to. */
export class ConnectionClosed extends Error {
  override readonly name = 'ConnectionClosed';
}
