/**
 * The client's timed waits (backoff, RATE_LIMITED pauses, retries after
 * INTERNAL), which close() ends at once: each resolves early, and what waited
 * then sees that the client was closed and stops.
 */
export class Sleeps {
  private readonly sleepers = new Set<{ timer: ReturnType<typeof setTimeout>; resolve(): void }>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }

  /** Ends every wait under way now. */
  endAll(): void {
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
  }
}
