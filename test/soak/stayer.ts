/**
 * A client that stays: one raw `ws` connection for the whole run, in one to
 * three rooms, sending now and then. It never drops, so it must be handed
 * every message of its rooms sent after it joined, exactly once.
 */
import WebSocket from 'ws';
import { mintDevToken } from '../../local/dev-token.js';
import type { FrameCounters } from './frame-counters.js';
import { Inbox, type Ledger } from './ledger.js';
import type { Random } from './random.js';

/** A send whose `ack` has not come this long after it went out is sent again with the same `clientMsgId`. */
const RESEND_AFTER_MS = 8_000;
const MAX_SEND_ATTEMPTS = 4;
const REPLY_TIMEOUT_MS = 30_000;

interface PendingSend {
  readonly room: string;
  readonly data: unknown;
  sentAt: number;
  firstSentAt: number;
  attempts: number;
}

interface ServerFrame {
  readonly type?: string;
  readonly room?: string;
  readonly id?: string;
  readonly seq?: number;
  readonly lastSeq?: number;
  readonly clientMsgId?: string;
  readonly code?: string;
  readonly action?: string;
  readonly retryAfterMs?: number;
}

export interface StayerContext {
  readonly url: string;
  readonly ledger: Ledger;
  readonly counters: FrameCounters;
  readonly random: Random;
  readonly sendIntervalMs: number;
  readonly ackLatenciesMs: number[];
}

export class Stayer {
  readonly inbox: Inbox;
  sent = 0;
  private socket: WebSocket | undefined;
  private readonly pending = new Map<string, PendingSend>();
  private readonly replyWaiters = new Map<string, (frame: ServerFrame) => void>();
  private sendTimer: NodeJS.Timeout | undefined;
  private resendTimer: NodeJS.Timeout | undefined;
  private nextMessage = 0;

  constructor(
    readonly userId: string,
    readonly rooms: readonly string[],
    private readonly context: StayerContext,
  ) {
    this.inbox = new Inbox(userId);
  }

  /** Connects (trying again if the handshake is refused, say over the per-user limit) and joins every room. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        this.socket = await this.open();
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(500 * attempt);
      }
    }
    for (const room of this.rooms) {
      const joined = await this.request(`joinRoom:${room}`, { action: 'joinRoom', room });
      if (joined.type !== 'joined' || typeof joined.lastSeq !== 'number') throw new Error(`${this.userId} could not join ${room}: ${JSON.stringify(joined)}`);
      this.inbox.joined(room, joined.lastSeq);
    }
  }

  /** Starts chatting. */
  chat(): void {
    this.scheduleSend();
    this.resendTimer = setInterval(() => this.resendUnanswered(), 1_000);
  }

  /** No new sends from now on. */
  stopSending(): void {
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
  }

  /** Sends not yet acknowledged (they are sent again until they are, a few times). */
  get unacknowledged(): number {
    return this.pending.size;
  }

  /** Leaves every room (waiting for `left`), then closes with 1000. */
  async leave(leaveRooms: boolean): Promise<void> {
    this.stopSending();
    clearInterval(this.resendTimer);
    if (leaveRooms) {
      for (const room of this.rooms) await this.request(`leaveRoom:${room}`, { action: 'leaveRoom', room }).catch(() => undefined);
    }
    const socket = this.socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000);
    });
  }

  /** Stops everything at once, whatever state it is in. */
  abandon(): void {
    this.stopSending();
    clearInterval(this.resendTimer);
    this.socket?.terminate();
  }

  private open(): Promise<WebSocket> {
    return mintDevToken({ userId: this.userId }).then(
      (token) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(`${this.context.url}?token=${encodeURIComponent(token)}`);
          socket.on('message', (data: WebSocket.RawData) => this.receive(String(data)));
          socket.once('open', () => resolve(socket));
          socket.once('unexpected-response', (_request, response) => {
            reject(new Error(`handshake refused with HTTP ${response.statusCode ?? 0}`));
            socket.terminate();
          });
          socket.once('error', reject);
        }),
    );
  }

  private receive(raw: string): void {
    this.context.counters.see(raw);
    const frame = JSON.parse(raw) as ServerFrame;
    switch (frame.type) {
      case 'message':
        if (frame.room !== undefined && frame.id !== undefined && frame.seq !== undefined) {
          this.inbox.receive({ room: frame.room, id: frame.id, seq: frame.seq });
        }
        return;
      case 'ack':
        return this.acknowledged(frame);
      case 'joined':
      case 'left':
        this.replyWaiters.get(`${frame.type === 'joined' ? 'joinRoom' : 'leaveRoom'}:${frame.room}`)?.(frame);
        return;
      case 'error':
        if (frame.action === 'sendMessage' && frame.clientMsgId !== undefined) return this.sendRefused(frame.clientMsgId, frame);
        if (frame.action !== undefined && frame.room !== undefined) this.replyWaiters.get(`${frame.action}:${frame.room}`)?.(frame);
        return;
      default:
        return;
    }
  }

  private request(key: string, frame: Record<string, unknown>): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replyWaiters.delete(key);
        reject(new Error(`${this.userId}: no reply to ${key} within ${REPLY_TIMEOUT_MS} ms`));
      }, REPLY_TIMEOUT_MS);
      this.replyWaiters.set(key, (reply) => {
        clearTimeout(timer);
        this.replyWaiters.delete(key);
        resolve(reply);
      });
      this.socket?.send(JSON.stringify(frame));
    });
  }

  private scheduleSend(): void {
    this.sendTimer = setTimeout(() => {
      this.sendOne();
      this.scheduleSend();
    }, this.context.random.around(this.context.sendIntervalMs));
  }

  private sendOne(): void {
    const room = this.context.random.pick(this.rooms);
    this.nextMessage += 1;
    const clientMsgId = `${this.userId}-${this.nextMessage}`;
    const data = { text: `message ${this.nextMessage} from ${this.userId}` };
    const now = Date.now();
    this.pending.set(clientMsgId, { room, data, sentAt: now, firstSentAt: now, attempts: 1 });
    this.sent += 1;
    this.transmit(clientMsgId, room, data);
  }

  private transmit(clientMsgId: string, room: string, data: unknown): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ action: 'sendMessage', room, data, clientMsgId }));
  }

  private acknowledged(frame: ServerFrame): void {
    const pending = frame.clientMsgId === undefined ? undefined : this.pending.get(frame.clientMsgId);
    if (pending === undefined || frame.clientMsgId === undefined || frame.id === undefined || frame.seq === undefined) return;
    this.pending.delete(frame.clientMsgId);
    this.context.ackLatenciesMs.push(Date.now() - pending.firstSentAt);
    this.context.ledger.acked({ room: pending.room, id: frame.id, seq: frame.seq, sender: this.userId });
  }

  private sendRefused(clientMsgId: string, frame: ServerFrame): void {
    const pending = this.pending.get(clientMsgId);
    if (pending === undefined) return;
    this.context.counters.sendRefused(String(frame.code));
    if ((frame.code === 'RATE_LIMITED' || frame.code === 'INTERNAL') && pending.attempts < MAX_SEND_ATTEMPTS) {
      // Not processed (or failed): the same clientMsgId again after the wait asked for.
      pending.sentAt = Date.now() + (frame.retryAfterMs ?? 1_000) - RESEND_AFTER_MS;
      return;
    }
    this.pending.delete(clientMsgId);
  }

  /**
   * A send with no answer (its handler failed outright, and API Gateway's
   * "Internal server error" names no request) is sent again with the same
   * `clientMsgId`, as the protocol tells clients to.
   */
  private resendUnanswered(): void {
    const now = Date.now();
    for (const [clientMsgId, pending] of this.pending) {
      if (now - pending.sentAt < RESEND_AFTER_MS) continue;
      if (pending.attempts >= MAX_SEND_ATTEMPTS) {
        this.pending.delete(clientMsgId);
        this.context.counters.sendRefused('NO_ANSWER');
        continue;
      }
      pending.attempts += 1;
      pending.sentAt = now;
      this.transmit(clientMsgId, pending.room, pending.data);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
