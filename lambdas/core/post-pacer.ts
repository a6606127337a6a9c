/**
 * Spaces posts evenly to at most `perSecond`: how a fan-out worker keeps its
 * share of the post-rate budget (FANOUT_POST_RATE / FANOUT_WORKERS).
 */
export class PostPacer {
  private nextSlot = 0;
  private readonly intervalMs: number;

  constructor(perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the next post may start. */
  async take(): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    // Timers fire no finer than a millisecond: wait only when a whole one is due.
    if (slot - now >= 1) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}
