/**
 * One room's messages, delivered once each and in `seq` order.
 *
 * API Gateway runs each frame's handler on its own, so two messages to a room
 * can arrive out of order, and a reconnect misses what was sent meanwhile. A
 * message ahead of a missing `seq` waits here briefly (`gapWaitMs`) for it;
 * if it does not come, the gap is read from `history`. `seq` is strictly
 * increasing but not gapless (a retried send takes a `seq` it never uses), so
 * a gap that `history` cannot fill is skipped. Should a skipped message turn
 * up after all (it was being stored while `history` was read), it is
 * delivered late rather than lost.
 *
 * The client's own sends take `seq`s too, but the sending connection gets an
 * `ack`, not the message: sent() moves the room past them, and a copy that
 * turns up (from `history`) is not delivered back to its sender.
 */
import type { MessageFrame } from '../lambdas/core/protocol.js';
import { RecentSet } from './recent-set.js';

export interface SequencerHooks {
  deliver(message: MessageFrame): void;
  /** One `history` page: stored messages with `seq > afterSeq`, oldest first. */
  fetchHistory(afterSeq: number): Promise<readonly MessageFrame[]>;
  /** Resolves when the client's sends under way have their `ack`s, so history does not hand back its own messages. */
  ownSendsSettled(): Promise<void>;
  /**
   * True for a message that may be the client's own send whose `ack` has not
   * come yet (a renewal's second connection can receive it first): it waits
   * until release() so that sent() can claim it.
   */
  holdsBack(message: MessageFrame): boolean;
  /** How long a message ahead of a missing `seq` waits before the gap is fetched. */
  readonly gapWaitMs: number;
}

export class RoomSequencer {
  /** The last `seq` delivered or skipped; undefined until the room is joined. */
  private position: number | undefined;
  private readonly ahead = new Map<number, MessageFrame>();
  /** `seq`s ahead of the position taken by this client's own sends. */
  private readonly own = new Set<number>();
  /** The highest `lastSeq` a `joined` reported: what catching up must reach. */
  private expected = 0;
  /** Catching up fell short of `expected` once: a message was numbered but not yet stored. */
  private shortOnce = false;
  private recheckTimer: ReturnType<typeof setTimeout> | undefined;
  /** Skipped `seq`s, remembered for late delivery; older ones are forgotten. */
  private readonly skipped = new RecentSet<number>(1_000);
  private readonly delivered = new RecentSet<string>(2_000);
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private fetching = false;
  private fetchAgain = false;
  /** Bumped when the room starts over or stops, so a fetch begun before is ignored. */
  private generation = 0;
  private stopped = false;

  /** `resumeAfter`: a `seq` the application kept from an earlier session, to catch up from. */
  constructor(
    private readonly hooks: SequencerHooks,
    private resumeAfter?: number,
  ) {}

  /** The last `seq` delivered (or skipped), to resume from later. */
  get lastSeq(): number | undefined {
    return this.position ?? this.resumeAfter;
  }

  /**
   * The room was (re)joined and its counter stands at `lastSeq`. The first
   * join starts after it, unless the application asked to resume earlier. A
   * rejoin catches up from where delivery stopped; with `continuous` (the
   * previous connection is still in the room) there is nothing to catch up.
   */
  joined(lastSeq: number, continuous = false): void {
    if (this.stopped) return;
    const remembered = this.position ?? this.resumeAfter;
    this.resumeAfter = undefined;
    this.expected = Math.max(this.expected, lastSeq);
    if (remembered === undefined) {
      this.position = lastSeq;
    } else if (lastSeq < remembered) {
      // The room's counter started again (a fresh local stack, or 30 days unused): so does the room here.
      this.startOver();
    } else {
      this.position = remembered;
    }
    for (const seq of this.ahead.keys()) if (seq <= (this.position ?? 0)) this.ahead.delete(seq);
    for (const seq of this.own) if (seq <= (this.position ?? 0)) this.own.delete(seq);
    this.drain();
    if (!continuous && lastSeq > (this.position ?? 0)) void this.catchUp();
    else this.watchForGap();
  }

  receive(message: MessageFrame): void {
    const seq = message.seq;
    if (this.stopped || seq === undefined || this.delivered.has(message.id)) return;
    if (this.position === undefined) {
      this.ahead.set(seq, message); // not joined yet: held until `joined` says where the room starts
      return;
    }
    if (seq <= this.position) {
      if (this.skipped.delete(seq)) this.deliver(message); // late, but not lost
      return;
    }
    if (this.ahead.has(seq)) return;
    this.ahead.set(seq, message);
    this.drain();
    this.watchForGap();
  }

  /** The client's own send took `seq` (its `ack` came): the room moves past it without delivering it. */
  sent(seq: number, id: string): void {
    if (this.stopped) return;
    this.delivered.add(id);
    if (this.position !== undefined && seq <= this.position) {
      this.skipped.delete(seq);
      return;
    }
    this.own.add(seq);
    this.drain();
  }

  /** Reads history after the position now, whether or not a gap is known (the connection it came on was lost). */
  resync(): void {
    if (!this.stopped && this.position !== undefined) void this.catchUp();
  }

  /** The send that held messages back has settled: deliver what waited. */
  release(): void {
    if (this.stopped) return;
    this.drain();
    this.watchForGap();
  }

  /** The room was left: nothing more is delivered or fetched. */
  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.clearGapTimer();
    clearTimeout(this.recheckTimer);
    this.ahead.clear();
    this.own.clear();
  }

  private startOver(): void {
    this.expected = 0;
    this.shortOnce = false;
    this.generation += 1;
    this.fetching = false;
    this.fetchAgain = false;
    this.position = 0;
    this.skipped.clear();
    this.own.clear();
  }

  private deliver(message: MessageFrame): void {
    if (this.delivered.add(message.id)) this.hooks.deliver(message);
  }

  /** Delivers held messages that are next in line. */
  private drain(): void {
    if (this.position === undefined) return;
    for (let next = this.position + 1; this.ahead.has(next) || this.own.has(next); next = this.position + 1) {
      const message = this.ahead.get(next);
      if (message !== undefined && !this.own.has(next) && this.heldBack(message)) break;
      this.ahead.delete(next);
      this.own.delete(next);
      this.position = next;
      if (message !== undefined) this.deliver(message);
    }
    if (this.ahead.size === 0) this.clearGapTimer();
  }

  /**
   * Moves the position up to `seq`, delivering what is held and skipping what
   * is missing; false when it stopped early at a message held back.
   */
  private advanceTo(seq: number): boolean {
    if (this.position === undefined) return false;
    for (let next = this.position + 1; next <= seq; next += 1) {
      const message = this.ahead.get(next);
      if (message !== undefined && !this.own.has(next) && this.heldBack(message)) return false;
      if (message !== undefined) {
        this.ahead.delete(next);
        this.deliver(message);
      } else if (!this.own.delete(next)) {
        this.skipped.add(next);
      }
      this.position = next;
    }
    this.drain();
    return true;
  }

  private heldBack(message: MessageFrame): boolean {
    return !this.delivered.has(message.id) && this.hooks.holdsBack(message);
  }

  /**
   * `joined` counted messages that history did not list. One may have been
   * numbered but not yet stored when history was read (and posted to the
   * connection that was lost): look once more a little later. What is still
   * missing then was never stored, and is skipped.
   */
  private checkReached(generation: number): void {
    if (this.position === undefined || this.position >= this.expected) {
      this.shortOnce = false;
      return;
    }
    if (!this.shortOnce) {
      this.shortOnce = true;
      this.recheckTimer = setTimeout(() => {
        if (generation === this.generation && !this.stopped) void this.catchUp();
      }, this.hooks.gapWaitMs);
      return;
    }
    this.shortOnce = false;
    this.advanceTo(this.expected);
  }

  private watchForGap(): void {
    if (this.ahead.size === 0 || this.fetching || this.gapTimer !== undefined) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.ahead.size > 0) void this.catchUp();
    }, this.hooks.gapWaitMs);
  }

  private clearGapTimer(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  /** Pages `history` after the position until a page comes back empty, then skips what is still missing. */
  private async catchUp(): Promise<void> {
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = true;
    this.clearGapTimer();
    const generation = this.generation;
    try {
      await this.hooks.ownSendsSettled();
      if (generation !== this.generation) return;
      for (;;) {
        const page = await this.hooks.fetchHistory(this.position ?? 0);
        if (generation !== this.generation) return;
        const fresh = page
          .filter((message): message is MessageFrame & { seq: number } => message.seq !== undefined && message.seq > (this.position ?? 0))
          .sort((a, b) => a.seq - b.seq);
        const last = fresh.at(-1);
        if (last === undefined) break;
        for (const message of fresh) if (!this.ahead.has(message.seq) && !this.own.has(message.seq)) this.ahead.set(message.seq, message);
        // History lists every stored message in order, so a `seq` missing below its last entry was never stored.
        // Stopped at a message held back: release() picks up from there.
        if (!this.advanceTo(last.seq)) return;
      }
      // Nothing more is stored: what is still missing below a held message never will be.
      const highest = Math.max(...this.ahead.keys());
      if (Number.isFinite(highest)) this.advanceTo(highest);
      this.checkReached(generation);
    } catch {
      // The fetch failed (connection lost, refused): try again later; a rejoin also starts a fetch.
    } finally {
      if (generation === this.generation) {
        this.fetching = false;
        if (this.fetchAgain) {
          this.fetchAgain = false;
          if (this.ahead.size > 0) void this.catchUp();
        }
        this.watchForGap();
      }
    }
  }
}
