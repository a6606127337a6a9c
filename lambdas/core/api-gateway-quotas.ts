/**
 * API Gateway's WebSocket quotas that the code follows, in one place: the
 * functions expire their records with them, the local gateway enforces them.
 * Source: API Gateway developer guide, "Quotas for configuring and running a
 * WebSocket API" (none can be raised).
 */
export const API_GATEWAY_QUOTAS = Object.freeze({
  /** A connection with no message for this long is closed. */
  idleTimeoutSeconds: 600,
  /** Every connection is closed after this long. */
  maxConnectionSeconds: 7_200,
  /** An integration (a route's function, the authorizer) that has not answered by then is answered for it. */
  integrationTimeoutSeconds: 29,
});
