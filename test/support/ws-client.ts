import WebSocket from 'ws';

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A handshake the gateway refused, with its HTTP status. */
export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

/**
 * A real `ws` client with a frame queue: tests send frames and await the
 * frames the server pushes, in order.
 */
export class WsClient {
  readonly closed: Promise<CloseInfo>;
  private readonly queue: unknown[] = [];
  private waiters: { predicate: (frame: unknown) => boolean; resolve: (frame: unknown) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as unknown;
      const waiter = this.waiters.find((candidate) => candidate.predicate(frame));
      if (waiter === undefined) {
        this.queue.push(frame);
        return;
      }
      this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
      waiter.resolve(frame);
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a connection; rejects with HandshakeRefused when the gateway answers with a status instead of 101. */
  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new HandshakeRefused(response.statusCode ?? 0));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame that matches, waiting up to `timeoutMs`. Frames that do not match stay queued. */
  next<T = Record<string, unknown>>(predicate: (frame: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const test = (frame: unknown) => typeof frame === 'object' && frame !== null && predicate(frame as Record<string, unknown>);
    const index = this.queue.findIndex(test);
    if (index >= 0) return Promise.resolve(this.queue.splice(index, 1)[0] as T);
    return new Promise((resolve, reject) => {
      const waiter = { predicate: test, resolve: (frame: unknown) => (clearTimeout(timer), resolve(frame as T)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; queued: ${JSON.stringify(this.queue)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The next frame of a type. */
  nextOfType<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T> {
    return this.next<T>((frame) => frame.type === type, timeoutMs);
  }

  /** Sends a frame and waits for the reply of the given type (or an error frame). */
  async request<T = Record<string, unknown>>(frame: Record<string, unknown>, replyType: string): Promise<T> {
    const reply = this.next<T>((candidate) => candidate.type === replyType || candidate.type === 'error');
    this.send(frame);
    return reply;
  }

  /** Frames received and not yet taken. */
  pending(): unknown[] {
    return [...this.queue];
  }

  async close(code = 1000): Promise<CloseInfo> {
    this.socket.close(code);
    return this.closed;
  }
}
