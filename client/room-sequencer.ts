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
 */
import type { MessageFrame } from '../lambdas/core/protocol.js';
import { RecentIds } from './recent-ids.js';

export interface SequencerHooks {
  deliver(message: MessageFrame): void;
  /** One `history` page: stored messages with `seq > afterSeq`, oldest first. */
  fetchHistory(afterSeq: number): Promise<readonly MessageFrame[]>;
  /** How long a message ahead of a missing `seq` waits before the gap is fetched. */
  readonly gapWaitMs: number;
}

/** Skipped `seq`s remembered for late delivery; older ones are forgotten. */
const SKIPPED_CAPACITY = 1_000;

export class RoomSequencer {
  /** The last `seq` delivered or skipped; undefined until the room is joined. */
  private position: number | undefined;
  private readonly ahead = new Map<number, MessageFrame>();
  private readonly skipped = new Set<number>();
  private readonly delivered = new RecentIds();
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
    if (remembered === undefined) {
      this.position = lastSeq;
    } else if (lastSeq < remembered) {
      // The room's counter started again (a fresh local stack, or 30 days unused): so does the room here.
      this.startOver();
    } else {
      this.position = remembered;
    }
    for (const seq of this.ahead.keys()) if (seq <= (this.position ?? 0)) this.ahead.delete(seq);
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

  /** The room was left: nothing more is delivered or fetched. */
  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.clearGapTimer();
    this.ahead.clear();
  }

  private startOver(): void {
    this.generation += 1;
    this.fetching = false;
    this.fetchAgain = false;
    this.position = 0;
    this.skipped.clear();
  }

  private deliver(message: MessageFrame): void {
    if (this.delivered.add(message.id)) this.hooks.deliver(message);
  }

  /** Delivers held messages that are next in line. */
  private drain(): void {
    if (this.position === undefined) return;
    for (let next = this.ahead.get(this.position + 1); next !== undefined; next = this.ahead.get(this.position + 1)) {
      this.ahead.delete(this.position + 1);
      this.position += 1;
      this.deliver(next);
    }
    if (this.ahead.size === 0) this.clearGapTimer();
  }

  /** Moves the position up to `seq`, delivering what is held and skipping what is missing. */
  private advanceTo(seq: number): void {
    if (this.position === undefined) return;
    for (let next = this.position + 1; next <= seq; next += 1) {
      const message = this.ahead.get(next);
      if (message === undefined) this.rememberSkipped(next);
      else {
        this.ahead.delete(next);
        this.deliver(message);
      }
      this.position = next;
    }
    this.drain();
  }

  private rememberSkipped(seq: number): void {
    this.skipped.add(seq);
    if (this.skipped.size > SKIPPED_CAPACITY) {
      const oldest = this.skipped.values().next();
      if (oldest.done !== true) this.skipped.delete(oldest.value);
    }
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
      for (;;) {
        const page = await this.hooks.fetchHistory(this.position ?? 0);
        if (generation !== this.generation) return;
        const fresh = page
          .filter((message): message is MessageFrame & { seq: number } => message.seq !== undefined && message.seq > (this.position ?? 0))
          .sort((a, b) => a.seq - b.seq);
        const last = fresh.at(-1);
        if (last === undefined) break;
        for (const message of fresh) if (!this.ahead.has(message.seq)) this.ahead.set(message.seq, message);
        // History lists every stored message in order, so a `seq` missing below its last entry was never stored.
        this.advanceTo(last.seq);
      }
      // Nothing more is stored: what is still missing below a held message never will be.
      const highest = Math.max(...this.ahead.keys());
      if (Number.isFinite(highest)) this.advanceTo(highest);
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
