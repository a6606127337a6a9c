/**
 * One WebSocket connection: the handshake (with the token in the query
 * string, the authorizer's identity source), requests matched to their
 * replies on this socket, and one report when it ends, whoever ended it.
 * Reconnecting is the client's business, not this class's.
 */
import type { ServerFrame } from '../lambdas/core/protocol.js';
import { replyKey, type OutgoingFrame } from './reply-keys.js';
import { readTokenClaims } from './token.js';
import { closeNow, onHandshakeRefused, OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

/** The connection ended while a request on it waited for its reply. */
export class ConnectionLost extends Error {
  override readonly name = 'ConnectionLost';
}

/** No reply came in time. */
export class RequestTimedOut extends Error {
  override readonly name = 'RequestTimedOut';
}

/** The handshake failed; `status` is the HTTP status where the WebSocket implementation tells it. */
export class HandshakeFailed extends Error {
  override readonly name = 'HandshakeFailed';
  constructor(
    readonly status: number | undefined,
    message: string,
    /** The socket closed before it opened, without saying why: a refusal or an unreachable server, as browsers report both. */
    readonly unexplained = false,
  ) {
    super(message);
  }
}

/** API Gateway's own answer when a route's handler fails: it has no `type` and names no request. */
export interface GatewayFailure {
  readonly message: string;
  readonly requestId?: string;
}

export interface ConnectionEvents {
  /** A frame that answers no request waiting on this connection: pushes, and late or stray replies. */
  onFrame(frame: ServerFrame, connection: Connection): void;
  onGatewayFailure(failure: GatewayFailure, connection: Connection): void;
  /** Called once when the connection ends, whoever ended it. */
  onClose(connection: Connection, reason: string): void;
}

export interface OpenOptions {
  readonly url: string;
  readonly token: string;
  readonly WebSocket: WebSocketConstructor;
  readonly timeoutMs: number;
  readonly events: ConnectionEvents;
  /** Aborting it abandons the handshake. */
  readonly signal?: AbortSignal;
}

const ignore = (): void => undefined;

interface Waiter {
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Close code for a connection the client gives up on (no pong, the server said to reconnect). */
export const ABANDONED = 4000;

export class Connection {
  /** When the handshake completed (epoch ms). */
  readonly openedAt = Date.now();
  /** The token's `exp` (epoch ms): the server refuses frames after it. */
  readonly tokenExpiresAt: number | undefined;
  /** The token's `iat` (epoch ms), when it has one. */
  readonly tokenIssuedAt: number | undefined;
  /** The token's `sub`: who the server knows this connection as. */
  readonly userId: string | undefined;
  /** When the last frame arrived (epoch ms): any frame shows the connection is alive. */
  lastReceivedAt = Date.now();
  private readonly waiters = new Map<string, Waiter>();
  private ended = false;
  private idleListeners: (() => void)[] = [];
  private graceTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly socket: WebSocketLike,
    token: string,
    private readonly events: ConnectionEvents,
  ) {
    const claims = readTokenClaims(token);
    this.tokenExpiresAt = claims.expiresAt;
    this.tokenIssuedAt = claims.issuedAt;
    this.userId = claims.userId;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = ignore; // a close event follows with the code
    socket.onclose = (event) => this.end(`closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
  }

  /** Opens a connection; rejects with HandshakeFailed when it cannot. */
  static open(options: OpenOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const url = new URL(options.url);
      url.searchParams.set('token', options.token);
      let socket: WebSocketLike;
      try {
        socket = new options.WebSocket(url.toString());
      } catch (error) {
        reject(new HandshakeFailed(undefined, `cannot open ${options.url}: ${String(error)}`));
        return;
      }
      let status: number | undefined;
      const fail = (message: string, unexplained = false) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', cancel);
        socket.onopen = socket.onclose = null;
        // Not null: `ws` reports aborting a handshake as an error, and an error nobody listens to ends the process.
        socket.onerror = ignore;
        closeNow(socket, 1000);
        reject(new HandshakeFailed(status, message, unexplained));
      };
      const cancel = () => fail('the client was closed');
      options.signal?.addEventListener('abort', cancel, { once: true });
      const timer = setTimeout(() => fail(`no answer to the handshake within ${options.timeoutMs} ms`), options.timeoutMs);
      onHandshakeRefused(socket, (code) => (status = code));
      socket.onopen = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', cancel);
        resolve(new Connection(socket, options.token, options.events));
      };
      socket.onerror = ignore; // a close event follows
      socket.onclose = () =>
        status === undefined
          ? fail('the handshake failed: refused by the server or the server could not be reached', true)
          : fail(`the server refused the handshake with HTTP ${status}`);
    });
  }

  /**
   * When the token expires, on this clock. The server accepted it, so it had
   * not expired by the issuer's clock; a local clock that says otherwise is
   * ahead, and the token's lifetime (exp − iat) counted from the handshake is
   * used instead. The earlier of the two wins when both are known.
   */
  tokenValidUntil(): number {
    const { tokenExpiresAt: expiresAt, tokenIssuedAt: issuedAt, openedAt } = this;
    if (expiresAt === undefined) return Number.POSITIVE_INFINITY;
    const estimates: number[] = [];
    if (expiresAt > openedAt) estimates.push(expiresAt);
    if (issuedAt !== undefined && expiresAt > issuedAt) estimates.push(openedAt + (expiresAt - issuedAt));
    return estimates.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...estimates);
  }

  get isOpen(): boolean {
    return !this.ended && this.socket.readyState === OPEN;
  }

  /** Sends a frame that expects no reply. False when the connection is not open. */
  send(frame: OutgoingFrame): boolean {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Sends a request and resolves with the frame that answers it (an `error`
   * frame included). Rejects with ConnectionLost or RequestTimedOut.
   */
  request(key: string, frame: OutgoingFrame, timeoutMs: number): Promise<ServerFrame> {
    if (this.waiters.has(key)) return Promise.reject(new Error(`a ${key} request is already waiting on this connection`));
    if (!this.isOpen) return Promise.reject(new ConnectionLost('the connection is not open'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(key);
        reject(new RequestTimedOut(`no reply to ${frame.action} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, { resolve, reject, timer });
      this.socket.send(JSON.stringify(frame));
    });
  }

  /** Ends the connection now: waiting requests fail with ConnectionLost, and onClose is called. */
  close(code = 1000, reason = 'closed by the client'): void {
    closeNow(this.socket, code);
    this.end(reason);
  }

  /** Closes once no request waits on it any more, or after `maxWaitMs`. */
  closeWhenIdle(maxWaitMs: number, reason: string): void {
    if (this.waiters.size === 0) return this.close(1000, reason);
    this.graceTimer = setTimeout(() => this.close(1000, reason), maxWaitMs);
    this.idleListeners.push(() => this.close(1000, reason));
  }

  private receive(data: unknown): void {
    if (this.ended) return;
    this.lastReceivedAt = Date.now();
    let frame: unknown;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      return; // the protocol sends JSON only
    }
    if (typeof frame !== 'object' || frame === null) return;
    if (!('type' in frame)) {
      const failure = frame as Partial<GatewayFailure>;
      if (typeof failure.message === 'string') this.events.onGatewayFailure({ message: failure.message, ...(typeof failure.requestId === 'string' ? { requestId: failure.requestId } : {}) }, this);
      return;
    }
    const serverFrame = frame as ServerFrame;
    if (serverFrame.type === 'error' && serverFrame.reconnect === true) {
      // The server can no longer use this connection: whatever waits on it is
      // sent again on the next one, so nothing is settled with this error.
      this.close(ABANDONED, `the server asked for a new connection: ${serverFrame.message}`);
      return;
    }
    const key = replyKey(serverFrame);
    if (key !== undefined && this.settle(key, serverFrame)) return;
    this.events.onFrame(serverFrame, this);
  }

  /** Settles the request waiting under `key`, with `frame` when given; true when there was one. */
  private settle(key: string, frame?: ServerFrame): boolean {
    const waiter = this.waiters.get(key);
    if (waiter === undefined) return false;
    this.waiters.delete(key);
    clearTimeout(waiter.timer);
    if (frame !== undefined) waiter.resolve(frame);
    if (this.waiters.size === 0) this.notifyIdle();
    return true;
  }

  private notifyIdle(): void {
    const listeners = this.idleListeners;
    this.idleListeners = [];
    for (const listener of listeners) listener();
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.graceTimer);
    this.socket.onmessage = this.socket.onclose = null;
    this.socket.onerror = ignore;
    for (const [key, waiter] of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ConnectionLost(`the connection ended (${reason}) before ${key} was answered`));
    }
    this.waiters.clear();
    this.idleListeners = [];
    this.events.onClose(this, reason);
  }
}
