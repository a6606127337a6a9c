/**
 * The client applications use: one logical connection that survives drops,
 * token expiry and API Gateway's 2-hour limit, rooms that are joined again
 * after every reconnect, room messages delivered once and in `seq` order
 * (gaps read from `history`), and sends that are queued while disconnected
 * and exactly-once across reconnects (resent with the same `clientMsgId`).
 *
 * States: `closed` → connect() → `connecting` → `open`; a lost connection →
 * `reconnecting` (backoff with full jitter) → `open`; close(), a refused
 * token (Node) or `reconnect.maxAttempts` failures → `closed`.
 */
import type { MessageFrame, ServerFrame, ServerFrameOf } from '../lambdas/core/protocol.js';
import type { AckFrame, ConnectionState, JoinedFrame, Member, RealtimeEvents, SendOptions, StateChange } from './api-types.js';
import { backoffDelay } from './backoff.js';
import { ABANDONED, Connection, ConnectionLost, HandshakeFailed, RequestTimedOut, type ConnectionEvents } from './connection.js';
import { Emitter } from './emitter.js';
import { RealtimeError } from './errors.js';
import { checkClientMsgId, checkData, checkRoom, checkUserId, newClientMsgId } from './input-checks.js';
import { JoinedRooms } from './joined-rooms.js';
import { KeyedQueue } from './keyed-queue.js';
import { OnlineWake } from './online-wake.js';
import { resolveOptions, type RealtimeClientOptions, type ResolvedOptions } from './options.js';
import { RecentSet } from './recent-set.js';
import { requestKey, type OutgoingFrame } from './reply-keys.js';
import { RoomSequencer } from './room-sequencer.js';
import { Sleeps } from './sleeps.js';
import { defaultWebSocket, type WebSocketConstructor } from './websocket.js';

/** A connection that lasted this long resets the backoff; a shorter one lets it keep growing. */
const STABLE_MS = 5_000;
/** How long a replaced connection may finish the requests it still carries. */
const HANDOVER_GRACE_MS = 5_000;
/** setTimeout's longest delay; longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The earliest a renewal is scheduled, so a token that is about to expire cannot make renewals spin. */
const MIN_RENEWAL_DELAY_MS = 1_000;

export class RealtimeClient {
  private readonly options: ResolvedOptions;
  private readonly events = new Emitter<RealtimeEvents>();
  private readonly queues = new KeyedQueue();
  private readonly rooms: JoinedRooms;
  private readonly directIds = new RecentSet<string>(2_000);
  private currentState: ConnectionState = 'closed';
  /** The connection in use: joined to every room, carrying every request. */
  private current: Connection | undefined;
  /** Opened connections not yet current: joining rooms, to replace a lost or an expiring one. */
  private readonly opening = new Set<Connection>();
  /** Replaced connections finishing their last requests. */
  private readonly retiring = new Set<Connection>();
  /** Aborted by close(): ends handshakes and token requests under way. */
  private abort = new AbortController();
  /** Who the server knows this client as (the token's `sub`). */
  private userId: string | undefined;
  /** Bumped by close(): work begun before it sees the change and stops. */
  private session = 0;
  private readonly readyWaiters = new Set<{ resolve(connection: Connection): void; reject(error: Error): void }>();
  private readonly sleeps = new Sleeps();
  private readonly onlineWake = new OnlineWake();
  /** Connection attempts that failed in a row (for `reconnect.maxAttempts`). */
  private failedAttempts = 0;
  /** Backoff waits since the last connection that stayed up: each doubles the ceiling of the next. */
  private backoffStep = 0;
  private renewalFailures = 0;
  /** Until when the server asked this connection to stop sending (RATE_LIMITED). */
  private pausedUntil = 0;
  /** The room of the send awaiting its `ack` (the outbox sends one at a time). */
  private sendingTo: string | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private renewalTimer: ReturnType<typeof setTimeout> | undefined;
  private webSocketClass: WebSocketConstructor | undefined;

  constructor(options: RealtimeClientOptions) {
    this.options = resolveOptions(options);
    this.webSocketClass = options.WebSocket as WebSocketConstructor | undefined;
    this.rooms = new JoinedRooms({
      sequencer: (room, afterSeq) => this.newSequencer(room, afterSeq),
      events: this.events,
      sleep: (ms) => this.sleeps.sleep(ms),
      options: this.options,
    });
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof RealtimeEvents>(type: K, listener: (event: RealtimeEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /**
   * Connects, and keeps reconnecting until close(). Resolves once open;
   * rejects when the client stops first (close(), a refused token, giving up).
   */
  connect(): Promise<void> {
    if (this.currentState === 'closed') {
      this.setState('connecting');
      this.onlineWake.listen();
      void this.connectLoop(this.session, undefined);
    }
    return this.ready(this.session).then(() => undefined);
  }

  /**
   * Closes the connection and stops: no reconnect. Pending requests and
   * queued sends reject with CLOSED; rooms are forgotten. connect() starts over.
   */
  close(): void {
    if (this.currentState !== 'closed') this.stop('closed by the client');
  }

  /**
   * Joins a room (and joins it again after every reconnect). Resolves with the
   * `joined` frame: the members and the room's `lastSeq`. Messages are
   * delivered from after `lastSeq`, or from after `afterSeq` when given (a
   * position kept from an earlier session; see lastSeq()).
   */
  join(room: string, options: { readonly afterSeq?: number } = {}): Promise<JoinedFrame> {
    const invalid = this.checkOpen('joinRoom') ?? checkRoom(room, 'joinRoom');
    if (invalid !== undefined) return Promise.reject(invalid);
    const session = this.session;
    this.rooms.ensure(room, options.afterSeq);
    return this.queues.run(`room:${room}`, async () => {
      if (session !== this.session) throw closedError('joinRoom');
      // Left (or refused) since this join was asked for: it starts the room afresh.
      const state = this.rooms.ensure(room, options.afterSeq);
      if (this.current !== undefined && state.joinedOn.has(this.current) && state.lastJoined !== undefined) {
        return state.lastJoined;
      }
      try {
        const { reply, connection } = await this.perform({ action: 'joinRoom', room }, session);
        this.rooms.joined(room, reply as JoinedFrame, connection, false);
        return reply as JoinedFrame;
      } catch (error) {
        if (this.rooms.get(room) === state) this.rooms.forget(room);
        throw error;
      }
    });
  }

  /** Leaves a room; it is not joined again after a reconnect. */
  leave(room: string): Promise<void> {
    if (!this.rooms.has(room)) {
      return Promise.reject(new RealtimeError('NOT_IN_ROOM', `you have not joined room ${room}`, { action: 'leaveRoom', room }));
    }
    const session = this.session;
    return this.queues.run(`room:${room}`, async () => {
      const state = this.rooms.get(room);
      if (state === undefined) return;
      this.rooms.forget(room);
      // A connection being set up (or handed over) may have joined it already.
      for (const other of [...this.opening, ...this.retiring]) {
        if (state.joinedOn.has(other)) other.send({ action: 'leaveRoom', room });
      }
      // Not connected: the next connection simply does not join it.
      if (this.currentState !== 'open') return;
      try {
        await this.perform({ action: 'leaveRoom', room }, session, 'give-up');
      } catch (error) {
        // Gone with the connection, or already out: left either way.
        if (error instanceof ConnectionLost) return;
        if (error instanceof RealtimeError && error.code === 'NOT_IN_ROOM') return;
        throw error;
      }
    });
  }

  /**
   * Sends to a joined room. Resolves with the `ack` (the message's `id` and
   * `seq`); rejects with the server's code. Sends go out in order, wait while
   * disconnected, and a send whose `ack` was lost is sent again with the same
   * `clientMsgId`, which the server answers without delivering it twice.
   */
  send(room: string, data: unknown, options: SendOptions = {}): Promise<AckFrame> {
    const invalid = this.checkOpen('sendMessage') ?? checkRoom(room, 'sendMessage') ?? checkData(data) ?? checkClientMsgId(options.clientMsgId);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.enqueueSend({ action: 'sendMessage', room, data, clientMsgId: options.clientMsgId ?? newClientMsgId() });
  }

  /**
   * Sends privately to every connection of a user; resolves with the `ack`.
   * Queued and resent like room sends. Private messages are not stored, so a
   * resend is delivered again, but with the same `id`, and receivers using
   * this client drop the copy.
   */
  sendTo(userId: string, data: unknown, options: SendOptions = {}): Promise<AckFrame> {
    const invalid = this.checkOpen('sendMessage') ?? checkUserId(userId) ?? checkData(data) ?? checkClientMsgId(options.clientMsgId);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.enqueueSend({ action: 'sendMessage', to: userId, data, clientMsgId: options.clientMsgId ?? newClientMsgId() });
  }

  /** Who is in a room, with how many connections each. */
  async members(room: string): Promise<readonly Member[]> {
    const invalid = this.checkOpen('members') ?? checkRoom(room, 'members');
    if (invalid !== undefined) throw invalid;
    const { reply } = await this.perform({ action: 'members', room }, this.session);
    return (reply as ServerFrameOf<'members'>).members;
  }

  /** One page of stored room messages with `seq > afterSeq`, oldest first; ask again after the last `seq` for more. */
  async history(room: string, afterSeq = 0): Promise<readonly MessageFrame[]> {
    const invalid = this.checkOpen('history') ?? checkRoom(room, 'history');
    if (invalid !== undefined) throw invalid;
    if (!Number.isInteger(afterSeq) || afterSeq < 0) {
      throw new RealtimeError('BAD_REQUEST', 'afterSeq must be a whole number, 0 or more', { action: 'history', room });
    }
    const { reply } = await this.perform({ action: 'history', room, afterSeq }, this.session);
    return (reply as ServerFrameOf<'history'>).messages;
  }

  /**
   * Tells the others in a joined room that you are typing. Call it on every
   * keystroke: it sends at most once per `typingIntervalMs` per room, so
   * typing never spends the connection's rate limit. Best effort: nothing is
   * sent while disconnected.
   */
  typing(room: string): void {
    const connection = this.current;
    const state = this.rooms.get(room);
    if (this.currentState !== 'open' || connection === undefined || state === undefined || Date.now() < this.pausedUntil) return;
    if (!state.joinedOn.has(connection) || Date.now() - state.typingSentAt < this.options.typingIntervalMs) return;
    state.typingSentAt = Date.now();
    connection.send({ action: 'typing', room });
  }

  /** The last `seq` delivered in a room: keep it to resume from with join(room, { afterSeq }). */
  lastSeq(room: string): number | undefined {
    return this.rooms.get(room)?.sequencer.lastSeq;
  }

  /** Requests need a client that is connected or connecting; while it is down they wait. */
  private checkOpen(action: string): RealtimeError | undefined {
    return this.currentState === 'closed' ? closedError(action) : undefined;
  }

  // ── connecting ───────────────────────────────────────────────────────────

  private async connectLoop(session: number, lostBecause: string | undefined): Promise<void> {
    let reason = lostBecause;
    for (let first = lostBecause === undefined; ; first = false) {
      if (session !== this.session || (this.currentState === 'open' && this.current !== undefined)) return;
      if (!first) {
        const { maxAttempts } = this.options.reconnect;
        if (this.failedAttempts >= maxAttempts) {
          this.stop(`gave up after ${maxAttempts} failed attempts`, new RealtimeError('CONNECT_FAILED', `could not connect after ${maxAttempts} attempts: ${reason ?? 'unknown'}`));
          return;
        }
        const retryInMs = backoffDelay(this.backoffStep, this.options.reconnect);
        this.backoffStep += 1;
        this.setState('reconnecting', { attempt: this.failedAttempts + 1, retryInMs, ...(reason === undefined ? {} : { reason }) });
        await this.backoff(retryInMs);
        if (session !== this.session) return;
      }
      let connection: Connection | undefined;
      try {
        connection = await this.openConnection(session);
        await this.adopt(connection, session, false);
        return;
      } catch (error) {
        connection?.close(ABANDONED, 'could not be set up');
        if (session !== this.session) return;
        if (error instanceof HandshakeFailed && (error.status === 401 || error.status === 403)) {
          const refused = new RealtimeError('HANDSHAKE_REFUSED', `the server refused the token (HTTP ${error.status}); not retrying`, {
            status: error.status,
          });
          this.stop(refused.message, refused);
          return;
        }
        this.failedAttempts += 1;
        reason = describeFailure(error);
      }
    }
  }

  private async openConnection(session: number): Promise<Connection> {
    let token: string;
    try {
      token = await this.withinConnectTimeout(Promise.resolve(this.options.getToken()), 'getToken');
    } catch (error) {
      throw new Error(`getToken failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (typeof token !== 'string' || token === '') throw new Error('getToken returned no token');
    this.webSocketClass ??= await defaultWebSocket();
    const connection = await Connection.open({
      url: this.options.url,
      token,
      WebSocket: this.webSocketClass,
      timeoutMs: this.options.connectTimeoutMs,
      events: this.connectionEvents,
      signal: this.abort.signal,
    });
    if (session !== this.session) {
      connection.close(1000, 'the client was closed');
      throw new ConnectionLost('the client was closed');
    }
    this.opening.add(connection);
    this.userId = connection.userId ?? this.userId;
    return connection;
  }

  /** A token source that never answers fails the attempt, which is then retried, rather than stalling the client. */
  private withinConnectTimeout<T>(work: Promise<T>, what: string): Promise<T> {
    const { connectTimeoutMs } = this.options;
    const { signal } = this.abort;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancel = (): void => undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${connectTimeoutMs} ms`)), connectTimeoutMs);
      cancel = () => reject(new ConnectionLost('the client was closed'));
      signal.addEventListener('abort', cancel, { once: true });
    });
    return Promise.race([work, timeout]).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
    });
  }

  /**
   * Makes a freshly opened connection the current one: every room is joined
   * on it first, so nothing is sent to a room before its `joined`. With
   * `continuous` (a renewal) the previous connection still delivers until
   * then, and is closed once its last requests are answered.
   */
  private async adopt(connection: Connection, session: number, continuous: boolean): Promise<void> {
    await this.rooms.joinAllOn(connection, continuous, () => session !== this.session);
    const previous = this.current;
    this.current = connection;
    this.opening.delete(connection);
    this.failedAttempts = 0;
    this.startTimers(connection, session);
    this.setState('open');
    for (const waiter of this.readyWaiters) waiter.resolve(connection);
    this.readyWaiters.clear();
    if (previous !== undefined && previous !== connection) {
      this.retiring.add(previous);
      previous.closeWhenIdle(HANDOVER_GRACE_MS, 'replaced by a renewed connection');
    }
    if (continuous) {
      // Room frames on the new connection were not taken while it joined, nor on the old one
      // after the switch: one history read per room finds any that fell between.
      this.rooms.resyncAll();
    }
  }

  private connectionEnded(connection: Connection, reason: string): void {
    this.retiring.delete(connection);
    this.opening.delete(connection);
    if (connection !== this.current) return; // replaced, or never adopted
    this.current = undefined;
    this.stopTimers();
    if (this.currentState === 'closed') return;
    // After a connection that barely lasted the backoff keeps growing, so a server that accepts and then drops is backed off from.
    if (Date.now() - connection.openedAt >= STABLE_MS) this.backoffStep = 0;
    void this.connectLoop(this.session, `connection lost: ${reason}`);
  }

  private startTimers(connection: Connection, session: number): void {
    this.stopTimers();
    const { intervalMs, timeoutMs } = this.options.heartbeat;
    this.heartbeatTimer = setInterval(() => this.heartbeat(connection, timeoutMs), intervalMs);
    this.scheduleRenewal(connection, session);
  }

  private stopTimers(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.renewalTimer);
    this.heartbeatTimer = this.renewalTimer = undefined;
  }

  /** A ping; when neither its pong nor any other frame comes in time, the connection is dead and replaced. */
  private heartbeat(connection: Connection, timeoutMs: number): void {
    if (connection !== this.current || Date.now() < this.pausedUntil) return;
    const sentAt = Date.now();
    connection.request('ping', { action: 'ping' }, timeoutMs).catch((error: unknown) => {
      if (error instanceof RequestTimedOut && connection.lastReceivedAt < sentAt) {
        connection.close(ABANDONED, `no pong within ${timeoutMs} ms`);
      }
    });
  }

  /**
   * Replaces the connection shortly before its token expires or API Gateway's
   * 2-hour limit, opening the new one before closing the old, so no message
   * is missed and the room sees no one leave and come back.
   */
  private scheduleRenewal(connection: Connection, session: number): void {
    const end = Math.min(connection.openedAt + this.options.maxConnectionMs, connection.tokenValidUntil());
    const renewAt = end - Math.min(this.options.renewBeforeMs, (end - connection.openedAt) / 4);
    const delay = Math.min(Math.max(MIN_RENEWAL_DELAY_MS, renewAt - Date.now()), MAX_TIMER_MS);
    this.renewalTimer = setTimeout(() => void this.renew(session, connection), delay);
  }

  private async renew(session: number, old: Connection): Promise<void> {
    if (session !== this.session || this.current !== old) return;
    let next: Connection | undefined;
    try {
      next = await this.openConnection(session);
      if (this.current !== old) throw new ConnectionLost('the connection ended before it could be renewed');
      await this.adopt(next, session, true);
      this.renewalFailures = 0;
    } catch {
      next?.close(ABANDONED, 'renewal abandoned');
      if (session !== this.session || this.current !== old) return;
      // The current connection still works: try again shortly. Should it end
      // first (its token expired), the ordinary reconnect takes over, and
      // reports a token the server keeps refusing.
      const delay = Math.max(MIN_RENEWAL_DELAY_MS, backoffDelay(this.renewalFailures, this.options.reconnect));
      this.renewalFailures += 1;
      this.renewalTimer = setTimeout(() => void this.renew(session, old), delay);
    }
  }

  // ── requests ─────────────────────────────────────────────────────────────

  /**
   * Resolves with the current connection once the client is open. A current
   * connection whose socket is already closing (the server's close frame came,
   * or the socket was cut) but has not reported its end yet is not ready:
   * handing it out would fail the request at once, and a retry loop that
   * never waits for anything would keep the close event from ever arriving.
   */
  private ready(session: number): Promise<Connection> {
    if (session !== this.session || this.currentState === 'closed') return Promise.reject(closedError());
    if (this.currentState === 'open' && this.current?.isOpen === true) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => this.readyWaiters.add({ resolve, reject }));
  }

  /**
   * Sends a request and returns its reply, one per key at a time. Waits while
   * disconnected, honours RATE_LIMITED's `retryAfterMs`, sends again after a
   * timeout or an INTERNAL error (up to `maxRequestAttempts`), and after a
   * lost connection (unless `onLoss` is 'give-up').
   */
  private perform(
    frame: OutgoingFrame,
    session: number,
    onLoss: 'resend' | 'give-up' = 'resend',
  ): Promise<{ reply: ServerFrame; connection: Connection }> {
    const key = requestKey(frame);
    return this.queues.run(key, async () => {
      let failures = 0;
      for (;;) {
        const connection = await this.ready(session);
        await this.whileRateLimited(session);
        if (connection !== this.current) continue;
        let reply: ServerFrame;
        try {
          reply = await connection.request(key, frame, this.options.requestTimeoutMs);
        } catch (error) {
          if (error instanceof ConnectionLost && onLoss === 'resend') continue;
          if (error instanceof RequestTimedOut) {
            failures += 1;
            if (failures < this.options.maxRequestAttempts) continue;
            throw new RealtimeError('TIMEOUT', `no reply to ${frame.action} after ${failures} attempts`, refOf(frame));
          }
          throw error;
        }
        if (reply.type !== 'error') return { reply, connection };
        if (reply.code === 'RATE_LIMITED') {
          this.pausedUntil = Math.max(this.pausedUntil, Date.now() + (reply.retryAfterMs ?? 1_000));
          continue;
        }
        failures += 1;
        if (reply.code === 'INTERNAL' && failures < this.options.maxRequestAttempts) {
          await this.sleeps.sleep(backoffDelay(failures - 1, this.options.reconnect));
          continue;
        }
        throw RealtimeError.fromFrame(reply);
      }
    });
  }

  private enqueueSend(frame: OutgoingFrame): Promise<AckFrame> {
    const session = this.session;
    return this.queues.run('outbox', async () => {
      // A join (or leave) of the room still under way goes first.
      const room = frame.room;
      if (room === undefined) return (await this.perform(frame, session)).reply as AckFrame;
      await this.queues.settled(`room:${room}`);
      this.sendingTo = room;
      try {
        const ack = (await this.perform(frame, session)).reply as AckFrame;
        if (ack.seq !== undefined) this.rooms.get(room)?.sequencer.sent(ack.seq, ack.id);
        return ack;
      } finally {
        this.sendingTo = undefined;
        this.rooms.get(room)?.sequencer.release();
      }
    });
  }

  private async whileRateLimited(session: number): Promise<void> {
    while (Date.now() < this.pausedUntil) {
      await this.sleeps.sleep(this.pausedUntil - Date.now());
      if (session !== this.session) throw closedError();
    }
  }

  // ── frames ───────────────────────────────────────────────────────────────

  private readonly connectionEvents: ConnectionEvents = {
    onFrame: (frame, connection) => this.receive(frame, connection),
    onGatewayFailure: (failure) =>
      this.events.emit(
        'error',
        new RealtimeError('INTERNAL', `the server failed on a frame: ${failure.message}`, failure.requestId === undefined ? {} : { requestId: failure.requestId }),
      ),
    onClose: (connection, reason) => this.connectionEnded(connection, reason),
  };

  private receive(frame: ServerFrame, connection: Connection): void {
    // While a renewal overlaps two connections, room frames come from the current one only
    // (or, while reconnecting, from the one being set up).
    const fromCurrent = connection === this.current || (this.current === undefined && this.opening.has(connection));
    switch (frame.type) {
      case 'message':
        // Room messages too come from the current connection only: the other one
        // of a renewal would hand back this client's own sends. What that skips
        // is a gap, filled from history.
        if (frame.room !== undefined) {
          if (fromCurrent) this.rooms.get(frame.room)?.sequencer.receive(frame);
        } else if (this.directIds.add(frame.id)) {
          this.events.emit('message', frame);
        }
        return;
      case 'user_joined':
        if (fromCurrent) this.events.emit('user_joined', frame);
        return;
      case 'user_left':
        if (fromCurrent) this.events.emit('user_left', frame);
        return;
      case 'typing':
        if (fromCurrent) this.events.emit('typing', frame);
        return;
      case 'error':
        this.events.emit('error', RealtimeError.fromFrame(frame));
        return;
      default:
        // A late reply to a request already sent again or given up on.
        return;
    }
  }

  // ── rooms, state, timers ─────────────────────────────────────────────────

  private newSequencer(room: string, afterSeq: number | undefined): RoomSequencer {
    return new RoomSequencer(
      {
        deliver: (message) => this.events.emit('message', message),
        fetchHistory: (after) => this.history(room, after),
        ownSendsSettled: () => this.queues.settled('outbox'),
        holdsBack: (message) => this.sendingTo === room && (this.userId === undefined || message.from.userId === this.userId),
        gapWaitMs: this.options.gapWaitMs,
      },
      afterSeq,
    );
  }

  private setState(state: ConnectionState, details: Omit<StateChange, 'state' | 'previous'> = {}): void {
    const previous = this.currentState;
    if (previous === state && state !== 'reconnecting') return;
    this.currentState = state;
    this.events.emit('state', { state, previous, ...details });
  }

  /** Stops everything: the connection, timers, rooms, pending work. */
  private stop(reason: string, error?: RealtimeError): void {
    this.session += 1;
    const connection = this.current;
    this.current = undefined;
    this.stopTimers();
    this.onlineWake.stopListening();
    this.sleeps.endAll();
    this.rooms.forgetAll();
    this.failedAttempts = this.backoffStep = this.renewalFailures = this.pausedUntil = 0;
    const failure = error ?? closedError();
    for (const waiter of this.readyWaiters) waiter.reject(failure);
    this.readyWaiters.clear();
    this.abort.abort();
    this.abort = new AbortController();
    connection?.close(1000, reason);
    for (const other of [...this.opening, ...this.retiring]) other.close(1000, reason);
    this.setState('closed', { reason });
    if (error !== undefined) this.events.emit('error', error);
  }

  /** A backoff wait, ended early when a browser comes back online. */
  private backoff(ms: number): Promise<void> {
    return this.onlineWake.cutShort(this.sleeps.sleep(ms));
  }
}

function closedError(action?: string): RealtimeError {
  return new RealtimeError('CLOSED', 'the client is closed: call connect() first', action === undefined ? {} : { action });
}

function refOf(frame: OutgoingFrame): { action: string; room?: string; clientMsgId?: string } {
  return {
    action: frame.action,
    ...(frame.room === undefined ? {} : { room: frame.room }),
    ...(frame.clientMsgId === undefined ? {} : { clientMsgId: frame.clientMsgId }),
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof HandshakeFailed && error.unexplained) {
    return `${error.message} (a browser does not tell a refused handshake from an unreachable server)`;
  }
  return error instanceof Error ? error.message : String(error);
}
