/**
 * The rooms the client is in (or is joining), kept across connections: each
 * room's sequencer, the connections it is joined on and its last `joined`
 * frame; and every room joined again on a new connection before that
 * connection carries anything.
 */
import type { JoinedFrame, RealtimeEvents } from './api-types.js';
import { ConnectionLost, type Connection } from './connection.js';
import type { Emitter } from './emitter.js';
import { RealtimeError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { RoomSequencer } from './room-sequencer.js';

export interface Room {
  readonly sequencer: RoomSequencer;
  /** Connections the room was joined on (a renewal briefly has two). */
  readonly joinedOn: WeakSet<Connection>;
  lastJoined: JoinedFrame | undefined;
  /** When `typing` was last sent for this room (epoch ms). */
  typingSentAt: number;
}

export interface JoinedRoomsHooks {
  /** The sequencer of a room taken up afresh; `afterSeq` is where the application resumes from. */
  sequencer(room: string, afterSeq: number | undefined): RoomSequencer;
  readonly events: Emitter<RealtimeEvents>;
  sleep(ms: number): Promise<void>;
  readonly options: Pick<ResolvedOptions, 'requestTimeoutMs' | 'maxRequestAttempts'>;
}

export class JoinedRooms {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly hooks: JoinedRoomsHooks) {}

  get(room: string): Room | undefined {
    return this.rooms.get(room);
  }

  has(room: string): boolean {
    return this.rooms.has(room);
  }

  /** The room's state, taken up afresh when the client is not in it. */
  ensure(room: string, afterSeq: number | undefined): Room {
    let state = this.rooms.get(room);
    if (state === undefined) {
      state = { sequencer: this.hooks.sequencer(room, afterSeq), joinedOn: new WeakSet(), lastJoined: undefined, typingSentAt: 0 };
      this.rooms.set(room, state);
    }
    return state;
  }

  forget(room: string): void {
    this.rooms.get(room)?.sequencer.stop();
    this.rooms.delete(room);
  }

  forgetAll(): void {
    for (const room of [...this.rooms.keys()]) this.forget(room);
  }

  /** One history read per room, for room frames that may have fallen between two connections. */
  resyncAll(): void {
    for (const room of this.rooms.values()) room.sequencer.resync();
  }

  /**
   * Joins every room on `connection`, and the rooms joined meanwhile too.
   * `clientClosed` tells whether the client has stopped since (close(), a
   * refused token, giving up): then the work is abandoned.
   */
  async joinAllOn(connection: Connection, continuous: boolean, clientClosed: () => boolean): Promise<void> {
    const done = new Set<string>();
    for (let pending = [...this.rooms.keys()]; pending.length > 0; pending = [...this.rooms.keys()].filter((room) => !done.has(room))) {
      await Promise.all(pending.map((room) => this.rejoin(connection, room, continuous, clientClosed).then(() => done.add(room))));
      if (clientClosed() || !connection.isOpen) throw new ConnectionLost('the connection ended while rooms were joined again');
    }
  }

  joined(room: string, frame: JoinedFrame, connection: Connection, continuous: boolean): void {
    const state = this.rooms.get(room);
    if (state === undefined) {
      // Left while the join was under way.
      connection.send({ action: 'leaveRoom', room });
      return;
    }
    state.joinedOn.add(connection);
    state.lastJoined = frame;
    state.sequencer.joined(frame.lastSeq, continuous);
    // A renewal changes nothing the application sees.
    if (!continuous) this.hooks.events.emit('joined', frame);
  }

  private async rejoin(connection: Connection, room: string, continuous: boolean, clientClosed: () => boolean): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      // A timeout or a lost connection propagates: this connection is no good.
      const reply = await connection.request(`joinRoom:${room}`, { action: 'joinRoom', room }, this.hooks.options.requestTimeoutMs);
      if (clientClosed()) throw new ConnectionLost('the client was closed');
      if (reply.type === 'joined') return this.joined(room, reply, connection, continuous);
      if (reply.type !== 'error') continue;
      if (reply.code === 'RATE_LIMITED') {
        await this.hooks.sleep(reply.retryAfterMs ?? 1_000);
        continue;
      }
      if (reply.code === 'INTERNAL') {
        if (attempt < this.hooks.options.maxRequestAttempts) continue;
        throw RealtimeError.fromFrame(reply);
      }
      // Refused for good (say, the new token no longer allows a private room): the room is dropped.
      if (this.rooms.has(room)) this.forget(room);
      this.hooks.events.emit('error', RealtimeError.fromFrame(reply));
      return;
    }
  }
}
