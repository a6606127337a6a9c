/**
 * A browser's `online` event, which ends a backoff wait early: the network is
 * back, so the next attempt need not wait out the rest of the delay. Where
 * `globalThis` is no event target (Node), waits simply run their course.
 */
export class OnlineWake {
  private wakeFromBackoff: (() => void) | undefined;
  private readonly onOnline = (): void => this.wakeFromBackoff?.();

  listen(): void {
    (globalThis as Partial<EventTargetLike>).addEventListener?.('online', this.onOnline);
  }

  stopListening(): void {
    (globalThis as Partial<EventTargetLike>).removeEventListener?.('online', this.onOnline);
  }

  /** Resolves when `wait` does, or earlier when the browser comes back online. */
  async cutShort(wait: Promise<void>): Promise<void> {
    await Promise.race([wait, new Promise<void>((resolve) => (this.wakeFromBackoff = resolve))]);
    this.wakeFromBackoff = undefined;
  }
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}
