import type { ErrorCode } from './protocol.js';

/**
 * A refusal the client caused and can act on. `code` is exactly a docs/protocol.md
 * error code; the handler turns it into an `error` frame.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  /** With RATE_LIMITED: when the client may send again, so it need not parse the message. */
  readonly retryAfterMs: number | undefined;
  /** This connection cannot be used any more: the client should open a new one and send again. */
  readonly reconnect: boolean;

  constructor(code: ErrorCode, message: string, options: { retryAfterMs?: number; reconnect?: boolean } = {}) {
    super(message);
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.reconnect = options.reconnect ?? false;
  }
}

/** A refused `$connect`: the handshake fails with this HTTP status. */
export class ConnectionRefused extends Error {
  override readonly name = 'ConnectionRefused';
  constructor(
    readonly statusCode: 401 | 429,
    message: string,
  ) {
    super(message);
  }
}

/** The server closed the caller's connection while handling its frame: there is no one to reply to. */
export class ConnectionClosed extends Error {
  override readonly name = 'ConnectionClosed';
}
