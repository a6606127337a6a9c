/**
 * The large-room defaults, in a module of their own with no side effects:
 * lambdas/core/config.ts reads them at cold start, and the stack reads them at
 * synth (the workers' maximum concurrency must match FANOUT_WORKERS).
 */
export const LARGE_ROOM_DEFAULTS = Object.freeze({
  /** Rooms with more live connections than this are delivered by workers. */
  threshold: 2_000,
  /** Connection ids per queue message. */
  batchSize: 500,
  /** Posts per second across all workers: half of API Gateway's account-wide default of 10,000/s. */
  postRate: 5_000,
  /** Workers running at once (the event source's maximum concurrency). */
  workers: 10,
});
