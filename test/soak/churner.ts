/**
 * A client that churns: the SDK's RealtimeClient, chatting in one to three
 * rooms, dropped abruptly now and then (its socket cut without a close
 * frame, or closed from the server with the Management API's DELETE) and
 * left to reconnect and resume from `history` by itself; and now and then
 * closed for good and replaced by a fresh client (a full leave and rejoin).
 * Each client it runs is a "life" with an inbox of its own.
 */
import WebSocket from 'ws';
import { RealtimeClient, RealtimeError, type WebSocketClass } from '../../client/index.js';
import { mintDevToken } from '../../local/dev-token.js';
import { deleteConnection } from '../support/realtime-clients.js';
import { bump, type FrameCounters } from './frame-counters.js';
import type { GatewayLog } from './gateway-log.js';
import { Inbox, type Ledger } from './ledger.js';
import type { Random } from './random.js';

export interface ChurnerContext {
  readonly url: string;
  readonly managementEndpoint: string;
  readonly allRooms: readonly string[];
  readonly ledger: Ledger;
  readonly counters: FrameCounters;
  readonly gatewayLog: GatewayLog;
  readonly random: Random;
  readonly sendIntervalMs: number;
  readonly dropIntervalMs: number;
  readonly ackLatenciesMs: number[];
  /** What churners did to themselves: terminated, deleted, deleteGone, restarted. */
  readonly actions: Record<string, number>;
  /** Why the SDK said it was reconnecting. */
  readonly reconnectReasons: Record<string, number>;
}

interface Life {
  readonly key: string;
  readonly client: RealtimeClient;
  readonly inbox: Inbox;
  readonly rooms: readonly string[];
  /** The socket the client is on now (the SDK opens a new one per connection). */
  socket: WebSocket | undefined;
  joined: boolean;
  sending: boolean;
}

export class Churner {
  readonly lives: Life[] = [];
  sent = 0;
  reconnects = 0;
  private life: Life | undefined;
  private stopping = false;
  private sendTimer: NodeJS.Timeout | undefined;
  private dropTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private nextMessage = 0;
  private sendsUnderWay = new Set<Promise<unknown>>();

  constructor(
    readonly userId: string,
    private readonly context: ChurnerContext,
  ) {}

  get inboxes(): Inbox[] {
    return this.lives.map((life) => life.inbox);
  }

  /** Connects and joins its rooms. */
  async start(): Promise<void> {
    await this.startLife();
  }

  /** Starts chatting and being dropped. */
  churn(): void {
    this.scheduleSend();
    this.scheduleDrop();
  }

  /** No more sends, drops or fresh lives; waits for the client to be open again and its sends to settle. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.sendTimer);
    clearTimeout(this.dropTimer);
    clearTimeout(this.restartTimer);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && ((this.life !== undefined && (this.life.client.state !== 'open' || !this.life.joined)) || this.sendsUnderWay.size > 0)) {
      await sleep(100);
    }
  }

  /** True while the current life is connected with its rooms joined. */
  get settled(): boolean {
    return this.life === undefined || (this.life.client.state === 'open' && this.life.joined);
  }

  /** Closes the client, leaving its rooms first when asked. */
  async close(leaveRooms: boolean): Promise<void> {
    const life = this.life;
    if (life === undefined) return;
    if (leaveRooms) {
      for (const room of life.rooms) await life.client.leave(room).catch(() => undefined);
    }
    this.endLife(life);
  }

  /** Stops everything at once, whatever state it is in. */
  abandon(): void {
    this.stopping = true;
    clearTimeout(this.sendTimer);
    clearTimeout(this.dropTimer);
    clearTimeout(this.restartTimer);
    if (this.life !== undefined) this.endLife(this.life);
  }

  private async startLife(): Promise<void> {
    const { random } = this.context;
    const key = `${this.userId}#${this.lives.length + 1}`;
    const rooms = random.sample(this.context.allRooms, random.int(1, 3));
    const life: Life = {
      key,
      client: new RealtimeClient({
        url: this.context.url,
        getToken: () => mintDevToken({ userId: this.userId }),
        reconnect: { baseMs: 100, capMs: 1_000 },
        gapWaitMs: 300,
        WebSocket: this.trackedWebSocket(() => life),
      }),
      inbox: new Inbox(key),
      rooms,
      socket: undefined,
      joined: false,
      sending: false,
    };
    this.lives.push(life);
    this.life = life;
    life.client.on('message', (message) => {
      if (message.room !== undefined && message.seq !== undefined) life.inbox.receive({ room: message.room, id: message.id, seq: message.seq });
    });
    life.client.on('state', (change) => {
      if (change.state === 'open' && change.previous === 'reconnecting') this.reconnects += 1;
      if (change.state === 'reconnecting') bump(this.context.reconnectReasons, String(change.reason));
    });
    // Errors that settle no request (stray error frames) are counted from the raw frames.
    life.client.on('error', () => undefined);
    try {
      await life.client.connect();
      for (const room of rooms) {
        const joined = await life.client.join(room);
        life.inbox.joined(room, joined.lastSeq);
      }
      life.joined = true;
    } catch (error) {
      this.endLife(life);
      throw error;
    }
  }

  /** A WebSocket class for the SDK that hands each socket it opens to this churner, to count its frames and to cut it. */
  private trackedWebSocket(currentLife: () => Life): WebSocketClass {
    const counters = this.context.counters;
    return class TrackedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        currentLife().socket = this;
        this.on('message', (data: WebSocket.RawData) => counters.see(String(data)));
      }
    };
  }

  private endLife(life: Life): void {
    for (const room of life.rooms) {
      // Delivery stopped where the client's room stood: everything up to it was delivered or found missing.
      const seq = life.client.lastSeq(room);
      if (seq !== undefined) life.inbox.stoppedAt(room, seq);
    }
    life.client.close();
    if (this.life === life) this.life = undefined;
  }

  private scheduleSend(): void {
    this.sendTimer = setTimeout(() => {
      this.sendOne();
      if (!this.stopping) this.scheduleSend();
    }, this.context.random.around(this.context.sendIntervalMs));
  }

  /** One send at a time per client: while disconnected the SDK queues it, and a long queue would burst into the rate limit. */
  private sendOne(): void {
    const life = this.life;
    if (life === undefined || !life.joined || life.sending) return;
    const room = this.context.random.pick(life.rooms);
    this.nextMessage += 1;
    const clientMsgId = `${this.userId}-${this.nextMessage}`;
    const startedAt = Date.now();
    life.sending = true;
    this.sent += 1;
    const sending = life.client
      .send(room, { text: `message ${this.nextMessage} from ${life.key}` }, { clientMsgId })
      .then((ack) => {
        this.context.ackLatenciesMs.push(Date.now() - startedAt);
        if (ack.seq !== undefined) this.context.ledger.acked({ room, id: ack.id, seq: ack.seq, sender: life.key });
      })
      .catch((error: unknown) => this.context.counters.sendRefused(error instanceof RealtimeError ? error.code : 'UNKNOWN'))
      .finally(() => {
        life.sending = false;
        this.sendsUnderWay.delete(sending);
      });
    this.sendsUnderWay.add(sending);
  }

  private scheduleDrop(): void {
    this.dropTimer = setTimeout(() => {
      void this.drop().finally(() => {
        if (!this.stopping) this.scheduleDrop();
      });
    }, this.context.random.around(this.context.dropIntervalMs));
  }

  private async drop(): Promise<void> {
    const life = this.life;
    if (life === undefined || !life.joined || this.stopping) return;
    const roll = this.context.random.next();
    if (roll < 0.6) {
      // Cut without a close frame: the server learns of it only from the TCP connection ending.
      if (life.socket?.readyState === WebSocket.OPEN) {
        life.socket.terminate();
        bump(this.context.actions, 'terminated');
      }
    } else if (roll < 0.85) {
      const connectionId = this.context.gatewayLog.openConnectionOf(this.userId);
      if (connectionId === undefined) return;
      try {
        await deleteConnection(this.context.managementEndpoint, connectionId);
        bump(this.context.actions, 'deleted');
      } catch {
        bump(this.context.actions, 'deleteGone');
      }
    } else {
      bump(this.context.actions, 'restarted');
      this.endLife(life);
      this.restartTimer = setTimeout(() => {
        if (!this.stopping) void this.startLife().catch(() => bump(this.context.actions, 'restartFailed'));
      }, this.context.random.int(500, 2_500));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
