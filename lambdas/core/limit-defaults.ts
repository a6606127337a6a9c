/**
 * The abuse limits and history retention a deployment may change, with their
 * defaults, in a module of their own with no side effects: lambdas/core/config.ts
 * reads them at cold start, and the CDK construct (lib/realtime-api.ts) at
 * synth, where its `limits` prop names them and sets only what it changes.
 */
export const LIMIT_DEFAULTS = Object.freeze({
  /** Live connections one user may hold; one more `$connect` is refused with 429. */
  maxConnectionsPerUser: 5,
  /** Rooms one connection may join; one more `joinRoom` gets FORBIDDEN. */
  maxRoomsPerConnection: 50,
  /** Frames one connection may send per window; more get RATE_LIMITED. */
  rateLimitFrames: 40,
  /** The rate limit's window. */
  rateLimitWindowSeconds: 10,
  /** How long stored room messages stay readable through `history`. */
  historyTtlSeconds: 86_400,
});

export type Limits = { readonly [Name in keyof typeof LIMIT_DEFAULTS]: number };

/** The environment variable lambdas/core/config.ts reads each limit from. */
export const LIMIT_VARIABLES: { readonly [Name in keyof Limits]: string } = Object.freeze({
  maxConnectionsPerUser: 'MAX_CONNECTIONS_PER_USER',
  maxRoomsPerConnection: 'MAX_ROOMS_PER_CONNECTION',
  rateLimitFrames: 'RATE_LIMIT_FRAMES',
  rateLimitWindowSeconds: 'RATE_LIMIT_WINDOW_SECONDS',
  historyTtlSeconds: 'HISTORY_TTL_SECONDS',
});
