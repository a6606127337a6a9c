import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Frame = Record<string, unknown>;

/**
 * A WebSocket server on a free loopback port whose every answer the test
 * writes: for driving the client SDK into orders, losses and refusals the
 * real backend produces only by chance.
 */
export class ScriptedServer {
  readonly connections: ScriptedConnection[] = [];
  private readonly server: WebSocketServer;
  private refusals: number[] = [];
  private waiting: ((connection: ScriptedConnection) => void)[] = [];

  private constructor(server: WebSocketServer) {
    this.server = server;
    server.on('connection', (socket, request) => {
      const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
      const connection = new ScriptedConnection(socket, token);
      this.connections.push(connection);
      const waiter = this.waiting.shift();
      waiter?.(connection);
    });
  }

  static async start(): Promise<ScriptedServer> {
    const scripted = new ScriptedServer(
      new WebSocketServer({
        host: '127.0.0.1',
        port: 0,
        verifyClient: (_info, done) => {
          const status = scripted.refusals.shift();
          if (status === undefined) done(true);
          else done(false, status);
        },
      }),
    );
    await new Promise<void>((resolve) => scripted.server.once('listening', () => resolve()));
    return scripted;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next handshakes are refused with these statuses, in order. */
  refuse(...statuses: number[]): void {
    this.refusals.push(...statuses);
  }

  /** The next connection to open (or the one already open at `index`). */
  connection(index: number): Promise<ScriptedConnection> {
    const open = this.connections[index];
    if (open !== undefined) return Promise.resolve(open);
    return new Promise((resolve) => {
      const check = (connection: ScriptedConnection) => {
        if (this.connections.indexOf(connection) === index) resolve(connection);
        else this.waiting.push(check);
      };
      this.waiting.push(check);
    });
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class ScriptedConnection {
  /** Every frame the client sent on this connection. */
  readonly received: Frame[] = [];
  readonly closed: Promise<void>;
  private waiters: { predicate: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  private taken = new Set<Frame>();

  constructor(
    readonly socket: WebSocket,
    readonly token: string,
  ) {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.received.push(frame);
      const waiter = this.waiters.find((candidate) => candidate.predicate(frame));
      if (waiter !== undefined) {
        this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
        this.taken.add(frame);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  /** The next frame with this action not yet taken, waiting for it if need be. */
  next(action: string, predicate: (frame: Frame) => boolean = () => true): Promise<Frame> {
    const matches = (frame: Frame) => frame.action === action && predicate(frame);
    const queued = this.received.find((frame) => !this.taken.has(frame) && matches(frame));
    if (queued !== undefined) {
      this.taken.add(queued);
      return Promise.resolve(queued);
    }
    return new Promise((resolve) => this.waiters.push({ predicate: matches, resolve }));
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Answers the next joinRoom for `room` with `joined` and this `lastSeq`. */
  async acceptJoin(room: string, lastSeq = 0): Promise<void> {
    await this.next('joinRoom', (frame) => frame.room === room);
    this.send({ type: 'joined', room, members: [], lastSeq });
  }

  /** Drops the connection without a close frame, as a network failure does. */
  drop(): void {
    this.socket.terminate();
  }
}

/** A room message frame as the server sends it. */
export function roomMessage(room: string, seq: number, data: unknown = `m${seq}`): Frame {
  return {
    type: 'message',
    room,
    id: `${room}-${seq}`,
    seq,
    from: { userId: 'someone', name: 'Someone' },
    data,
    sentAt: new Date(0).toISOString(),
  };
}
