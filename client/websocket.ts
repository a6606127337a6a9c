/**
 * The WebSocket the client runs on. Browsers have one. In Node the client
 * prefers the `ws` package, because it reports a refused handshake's HTTP
 * status (401, 403), which the client must act on and Node's global
 * WebSocket does not expose; without `ws` it falls back to the global one.
 */

/** The part of the WHATWG WebSocket API the client uses (browsers, Node's global WebSocket and `ws` have it). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WHATWG-compatible WebSocket class: the browser's, Node's global one, or `ws`. */
export type WebSocketClass = new (url: string) => unknown;

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const OPEN = 1;

function runsInNode(): boolean {
  const candidate = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof candidate?.versions?.node === 'string';
}

export async function defaultWebSocket(): Promise<WebSocketConstructor> {
  if (runsInNode()) {
    try {
      const module = (await import('ws')) as { default: unknown };
      return module.default as WebSocketConstructor;
    } catch {
      // `ws` is not installed: the global WebSocket, if this Node has one.
    }
  }
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof global === 'function') return global as WebSocketConstructor;
  throw new Error('no WebSocket implementation here: install the ws package or pass one as the WebSocket option');
}

interface NodeStyleSocket {
  on(event: 'unexpected-response', listener: (request: unknown, response: { statusCode?: number }) => void): void;
  terminate(): void;
}

function isNodeStyle(socket: object): socket is NodeStyleSocket {
  return typeof (socket as Partial<NodeStyleSocket>).on === 'function' && typeof (socket as Partial<NodeStyleSocket>).terminate === 'function';
}

/**
 * Calls `onStatus` with the HTTP status of a refused handshake, where the
 * implementation tells it (`ws`). Browsers report a refusal exactly like a
 * network failure, so there it is never called.
 */
export function onHandshakeRefused(socket: WebSocketLike, onStatus: (status: number) => void): void {
  if (!isNodeStyle(socket)) return;
  socket.on('unexpected-response', (_request, response) => {
    onStatus(response.statusCode ?? 0);
    // With a listener for this event, `ws` leaves aborting the handshake to it.
    socket.terminate();
  });
}

/**
 * Closes the socket. A normal close (1000) sends a close frame and lets the
 * peer answer; any other code is the client giving up on the connection,
 * so `ws` drops it at once rather than wait for a peer that may be gone.
 */
export function closeNow(socket: WebSocketLike, code: number): void {
  try {
    if (isNodeStyle(socket) && (socket.readyState !== OPEN || code !== 1000)) socket.terminate();
    else socket.close(code);
  } catch {
    // Closing a socket that is already closing: nothing left to do.
  }
}
