export interface BackoffOptions {
  /** The ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly capMs: number;
}

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from
 * [0, min(cap, base × 2^retry)). Jitter over the whole range spreads out
 * clients that all lost their connection at once (a deploy, a restart), so
 * they do not come back in one wave. `retry` 0 is the first retry.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(retry, 0), 30));
  return Math.floor(random() * ceiling);
}
