import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageFrame } from '../../../lambdas/core/protocol.js';
import { RoomSequencer } from '../../../client/room-sequencer.js';

const GAP_WAIT_MS = 100;
const PAGE_SIZE = 3;

function message(seq: number, id = `m-${seq}`): MessageFrame {
  return { type: 'message', room: 'r', id, seq, from: { userId: 'u', name: 'U' }, data: seq, sentAt: new Date(0).toISOString() };
}

/** A sequencer over a history that holds `stored` (by seq), paged as the server pages it. */
function sequencerOver(stored: readonly number[], resumeAfter?: number) {
  const delivered: MessageFrame[] = [];
  const fetches: number[] = [];
  const history = new Map(stored.map((seq) => [seq, message(seq)]));
  const sequencer = new RoomSequencer(
    {
      deliver: (frame) => delivered.push(frame),
      fetchHistory: async (afterSeq) => {
        fetches.push(afterSeq);
        return [...history.values()].filter((frame) => (frame.seq ?? 0) > afterSeq).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).slice(0, PAGE_SIZE);
      },
      ownSendsSettled: async () => undefined,
      holdsBack: () => false,
      gapWaitMs: GAP_WAIT_MS,
    },
    resumeAfter,
  );
  return { sequencer, delivered, fetches, history, seqs: () => delivered.map((frame) => frame.seq) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RoomSequencer', () => {
  it('delivers in order at once when nothing is missing', () => {
    const room = sequencerOver([1, 2]);
    room.sequencer.joined(0);
    room.sequencer.receive(message(1));
    room.sequencer.receive(message(2));
    expect(room.seqs()).toEqual([1, 2]);
  });

  it('holds a message ahead of a gap for gapWaitMs, and asks history only if the gap is still open', async () => {
    const room = sequencerOver([1, 2, 3]);
    room.sequencer.joined(0);
    room.sequencer.receive(message(2));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS - 1);
    expect(room.seqs()).toEqual([]);
    room.sequencer.receive(message(1));
    expect(room.seqs()).toEqual([1, 2]);

    room.sequencer.receive(message(4));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    expect(room.fetches).toEqual([2, 4]);
    expect(room.seqs()).toEqual([1, 2, 3, 4]);
  });

  it('starts after joined.lastSeq, holding what arrived before the join', () => {
    const room = sequencerOver([]);
    room.sequencer.receive(message(6));
    room.sequencer.receive(message(5));
    room.sequencer.joined(5);
    expect(room.seqs()).toEqual([6]);
  });

  it('catches up from where it stopped when rejoined at a higher lastSeq, paging until history is empty', async () => {
    const room = sequencerOver([1, 2, 3, 4, 5, 6, 7]);
    room.sequencer.joined(0);
    room.sequencer.receive(message(1));
    room.sequencer.joined(7);
    await vi.advanceTimersByTimeAsync(0);
    expect(room.fetches).toEqual([1, 4, 7]);
    expect(room.seqs()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('with a continuous rejoin (a renewal) does not fetch', async () => {
    const room = sequencerOver([1, 2]);
    room.sequencer.joined(0);
    room.sequencer.joined(2, true);
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 5);
    expect(room.fetches).toEqual([]);
  });

  it('resumes from a position kept from an earlier session', async () => {
    const room = sequencerOver([1, 2, 3, 4], 2);
    room.sequencer.joined(4);
    await vi.advanceTimersByTimeAsync(0);
    expect(room.seqs()).toEqual([3, 4]);
  });

  it('starts the room again when its counter went back (a fresh backend)', async () => {
    const room = sequencerOver([1, 2]);
    room.sequencer.joined(0);
    for (const seq of [1, 2]) room.sequencer.receive(message(seq, `old-${seq}`));
    room.history.clear();
    room.history.set(1, message(1, 'new-1'));
    room.sequencer.joined(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(room.delivered.map((frame) => frame.id)).toEqual(['old-1', 'old-2', 'new-1']);
    expect(room.sequencer.lastSeq).toBe(1);
  });

  it("moves past the client's own sends and never delivers them back from history", async () => {
    const room = sequencerOver([1, 2, 3]);
    room.sequencer.joined(0);
    room.sequencer.sent(2, 'm-2');
    room.sequencer.receive(message(3));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    expect(room.seqs()).toEqual([1, 3]);
  });

  it('delivers a held message that history does not list yet (a read that lags the write) instead of waiting for ever', async () => {
    const room = sequencerOver([1]);
    room.sequencer.joined(0);
    room.sequencer.receive(message(3));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    expect(room.seqs()).toEqual([1, 3]);
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 10);
    expect(room.fetches).toEqual([0, 1]);
  });

  it('looks once more for a message the rejoin counted but history did not list yet, then skips it if it never comes', async () => {
    const room = sequencerOver([1]);
    room.sequencer.joined(1);
    room.sequencer.joined(3); // a rejoin: the counter moved on by two
    await vi.advanceTimersByTimeAsync(0);
    expect(room.fetches).toEqual([1]);

    room.history.set(2, message(2)); // stored just after the first look; 3 never will be
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS);
    expect(room.seqs()).toEqual([2]);
    expect(room.sequencer.lastSeq).toBe(3);
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 10);
    expect(room.fetches).toEqual([1, 1, 2]);

    room.sequencer.receive(message(3, 'late-3'));
    expect(room.seqs()).toEqual([2, 3]); // late, but not lost
  });

  it('delivers nothing after stop()', async () => {
    const room = sequencerOver([1, 2]);
    room.sequencer.joined(0);
    room.sequencer.receive(message(2));
    room.sequencer.stop();
    room.sequencer.receive(message(1));
    await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 3);
    expect(room.seqs()).toEqual([]);
    expect(room.fetches).toEqual([]);
  });

  it('delivers every stored message exactly once and in seq order, whatever order, duplication and timing they arrive in', async () => {
    const scenario = fc
      .integer({ min: 1, max: 25 })
      .chain((count) =>
        fc.record({
          // Seqs history has; the others were taken by retried sends and never stored.
          stored: fc.subarray(Array.from({ length: count }, (_, index) => index + 1), { minLength: 1 }),
          arrivals: fc.array(fc.record({ pick: fc.nat(), waitMs: fc.integer({ min: 0, max: GAP_WAIT_MS * 2 }) }), { maxLength: 40 }),
          joinedAt: fc.nat({ max: 3 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ stored, arrivals, joinedAt }) => {
        const room = sequencerOver(stored);
        room.sequencer.joined(Math.min(joinedAt, Math.max(...stored)));
        const start = room.sequencer.lastSeq ?? 0;
        for (const { pick, waitMs } of arrivals) {
          // Only stored messages are ever posted live: the server stores before it posts.
          room.sequencer.receive(message(stored[pick % stored.length] ?? 1));
          await vi.advanceTimersByTimeAsync(waitMs);
        }
        room.sequencer.joined(Math.max(...stored)); // the next rejoin catches up on what never came live
        await vi.advanceTimersByTimeAsync(GAP_WAIT_MS * 10);

        expect(room.seqs()).toEqual(stored.filter((seq) => seq > start));
      }),
      { numRuns: 200 },
    );
  });
});
