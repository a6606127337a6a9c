/**
 * The accounting of a soak run: every message the server acknowledged (its
 * `id`, room and `seq`, and who sent it), and per receiver what it should
 * have been given and what it was given. A receiver should get, once, every
 * acknowledged message of a room it was in whose `seq` lies after the room's
 * `lastSeq` at its `joined` (and, if it left, up to where it stopped), except
 * its own sends (a sender gets `ack`, not its message).
 */

export interface AckedMessage {
  readonly room: string;
  readonly id: string;
  readonly seq: number;
  /** Who sent it: a stayer, or one life of a churner. */
  readonly sender: string;
}

export interface Delivery {
  readonly room: string;
  readonly id: string;
  readonly seq: number;
}

interface Window {
  readonly afterSeq: number;
  upToSeq: number;
}

/** What one receiver (a stayer, or one life of a churner) was in and was given. */
export class Inbox {
  private readonly windows = new Map<string, Window>();
  /** Arrivals per message id. */
  readonly arrivals = new Map<string, number>();
  private readonly highestSeq = new Map<string, number>();
  received = 0;
  outOfOrder = 0;

  constructor(readonly owner: string) {}

  /** The room was joined when its counter stood at `lastSeq`. */
  joined(room: string, lastSeq: number): void {
    if (!this.windows.has(room)) this.windows.set(room, { afterSeq: lastSeq, upToSeq: Number.POSITIVE_INFINITY });
  }

  /** Delivery in the room stopped at `seq` (the receiver left or closed). */
  stoppedAt(room: string, seq: number): void {
    const window = this.windows.get(room);
    if (window !== undefined) window.upToSeq = Math.max(window.afterSeq, seq);
  }

  receive(delivery: Delivery): void {
    this.received += 1;
    this.arrivals.set(delivery.id, (this.arrivals.get(delivery.id) ?? 0) + 1);
    const highest = this.highestSeq.get(delivery.room) ?? 0;
    if (delivery.seq < highest) this.outOfOrder += 1;
    else this.highestSeq.set(delivery.room, delivery.seq);
  }

  roomWindows(): ReadonlyMap<string, Readonly<Window>> {
    return this.windows;
  }
}

export interface DeliveryTally {
  readonly receivers: number;
  readonly expected: number;
  /** Expected deliveries that arrived (at least once). */
  readonly made: number;
  readonly lost: number;
  /** Arrivals beyond the first of a message id. */
  readonly duplicated: number;
  /** Arrivals with a lower `seq` than one already seen in that room by that receiver. */
  readonly outOfOrder: number;
  /** Arrivals outside what was expected: sent before the join, never acknowledged, or after the receiver stopped. */
  readonly unexpected: number;
  /** A receiver was handed its own send. */
  readonly ownEchoed: number;
  /** A few of the losses, to start looking from. */
  readonly lostSamples: readonly string[];
}

export class Ledger {
  private readonly byRoom = new Map<string, AckedMessage[]>();
  private readonly byId = new Map<string, AckedMessage>();

  /** A send's `ack`; a resend answered with the first `ack` is the same message and counts once. */
  acked(message: AckedMessage): void {
    if (this.byId.has(message.id)) return;
    this.byId.set(message.id, message);
    const list = this.byRoom.get(message.room) ?? [];
    list.push(message);
    this.byRoom.set(message.room, list);
  }

  get size(): number {
    return this.byId.size;
  }

  tally(inboxes: readonly Inbox[]): DeliveryTally {
    let expected = 0;
    let made = 0;
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let unexpected = 0;
    let ownEchoed = 0;
    const lostSamples: string[] = [];
    for (const inbox of inboxes) {
      outOfOrder += inbox.outOfOrder;
      const expectedIds = new Set<string>();
      for (const [room, window] of inbox.roomWindows()) {
        for (const message of this.byRoom.get(room) ?? []) {
          if (message.seq <= window.afterSeq || message.seq > window.upToSeq || message.sender === inbox.owner) continue;
          expected += 1;
          expectedIds.add(message.id);
          if ((inbox.arrivals.get(message.id) ?? 0) > 0) {
            made += 1;
          } else {
            lost += 1;
            if (lostSamples.length < 10) {
              lostSamples.push(`${inbox.owner} missed ${room} seq ${message.seq} (id ${message.id}, from ${message.sender}; joined after seq ${window.afterSeq})`);
            }
          }
        }
      }
      for (const [id, count] of inbox.arrivals) {
        duplicated += count - 1;
        if (!expectedIds.has(id)) unexpected += count;
        if (this.byId.get(id)?.sender === inbox.owner) ownEchoed += count;
      }
    }
    return { receivers: inboxes.length, expected, made, lost, duplicated, outOfOrder, unexpected, ownEchoed, lostSamples };
  }
}
