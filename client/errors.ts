import type { ErrorCode } from '../lambdas/core/protocol-constants.js';
import type { ErrorFrame } from '../lambdas/core/protocol.js';

/** Failures the client itself reports, beside the server's error codes. */
export type ClientErrorCode =
  /** No reply came, after every attempt. */
  | 'TIMEOUT'
  /** `close()` was called (or the client gave up) before the request settled. */
  | 'CLOSED'
  /** Node only: the server refused the handshake with 401 or 403 (`status`); the client stops. */
  | 'HANDSHAKE_REFUSED'
  /** `reconnect.maxAttempts` connection attempts failed in a row; the client stops. */
  | 'CONNECT_FAILED';

export type RealtimeErrorCode = ErrorCode | ClientErrorCode;

export interface RealtimeErrorDetails {
  /** The server's id for the request, to quote when reporting an INTERNAL error. */
  readonly requestId?: string;
  readonly action?: string;
  readonly room?: string;
  readonly clientMsgId?: string;
  /** With RATE_LIMITED. */
  readonly retryAfterMs?: number;
  /** With HANDSHAKE_REFUSED: the HTTP status of the refused handshake. */
  readonly status?: number;
  readonly cause?: unknown;
}

/** Every error the client rejects a promise with or emits: `code` says what happened. */
export class RealtimeError extends Error {
  override readonly name = 'RealtimeError';
  readonly code: RealtimeErrorCode;
  readonly requestId: string | undefined;
  readonly action: string | undefined;
  readonly room: string | undefined;
  readonly clientMsgId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(code: RealtimeErrorCode, message: string, details: RealtimeErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.requestId = details.requestId;
    this.action = details.action;
    this.room = details.room;
    this.clientMsgId = details.clientMsgId;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
  }

  /** The server's `error` frame as an error. */
  static fromFrame(frame: ErrorFrame): RealtimeError {
    return new RealtimeError(frame.code, frame.message, frame);
  }
}
