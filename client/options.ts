import type { WebSocketClass } from './websocket.js';

export interface RealtimeClientOptions {
  /** The WebSocket URL: `wss://<api>.execute-api.<region>.amazonaws.com/<stage>`, or `ws://127.0.0.1:3001` locally. */
  readonly url: string;
  /** Called before every connection attempt; a fresh token each time. */
  readonly getToken: () => string | Promise<string>;
  readonly reconnect?: {
    /** The first retry comes within this long (full jitter). Default 1000 ms. */
    readonly baseMs?: number;
    /** No retry waits longer than this. Default 30000 ms. */
    readonly capMs?: number;
    /** Failed connection attempts in a row before the client gives up (CONNECT_FAILED). Default: never. */
    readonly maxAttempts?: number;
  };
  readonly heartbeat?: {
    /** A `ping` this often keeps the connection under API Gateway's 10-minute idle timeout. Default 240000 ms. */
    readonly intervalMs?: number;
    /** No `pong` (nor any frame) within this long: the connection is dead and replaced. Default 10000 ms. */
    readonly timeoutMs?: number;
  };
  /** How long a request waits for its reply before it is sent again. Default 20000 ms. */
  readonly requestTimeoutMs?: number;
  /** Attempts per request for timeouts and INTERNAL errors. Default 3. */
  readonly maxRequestAttempts?: number;
  /** How long getToken, and then the handshake, may each take. Default 15000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * The connection is replaced this long before the token's `exp` (at most a
   * quarter of the token's lifetime) and before API Gateway's 2-hour limit.
   * Default 60000 ms.
   */
  readonly renewBeforeMs?: number;
  /** API Gateway's maximum connection duration. Default 7200000 ms (2 h). */
  readonly maxConnectionMs?: number;
  /** How long a room message ahead of a missing `seq` waits before the gap is read from history. Default 1000 ms. */
  readonly gapWaitMs?: number;
  /** typing() sends at most once per this long per room. Default 2000 ms. */
  readonly typingIntervalMs?: number;
  /**
   * A WHATWG-compatible WebSocket class. Default: the browser's; in Node the
   * `ws` package (it reports a refused handshake's status), else Node's global one.
   */
  readonly WebSocket?: WebSocketClass;
}

export type ResolvedOptions = Required<Omit<RealtimeClientOptions, 'reconnect' | 'heartbeat' | 'WebSocket'>> & {
  readonly reconnect: { readonly baseMs: number; readonly capMs: number; readonly maxAttempts: number };
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly WebSocket: WebSocketClass | undefined;
};

export function resolveOptions(options: RealtimeClientOptions): ResolvedOptions {
  if (typeof options.url !== 'string' || !/^wss?:\/\//.test(options.url)) {
    throw new TypeError(`url must be a ws:// or wss:// URL, got ${String(options.url)}`);
  }
  if (typeof options.getToken !== 'function') throw new TypeError('getToken must be a function returning a token');
  return {
    url: options.url,
    getToken: options.getToken,
    reconnect: {
      baseMs: options.reconnect?.baseMs ?? 1_000,
      capMs: options.reconnect?.capMs ?? 30_000,
      maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
    },
    heartbeat: {
      intervalMs: options.heartbeat?.intervalMs ?? 240_000,
      timeoutMs: options.heartbeat?.timeoutMs ?? 10_000,
    },
    requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
    maxRequestAttempts: options.maxRequestAttempts ?? 3,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    renewBeforeMs: options.renewBeforeMs ?? 60_000,
    maxConnectionMs: options.maxConnectionMs ?? 7_200_000,
    gapWaitMs: options.gapWaitMs ?? 1_000,
    typingIntervalMs: options.typingIntervalMs ?? 2_000,
    WebSocket: options.WebSocket,
  };
}
