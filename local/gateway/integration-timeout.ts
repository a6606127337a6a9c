import { API_GATEWAY_QUOTAS } from '../../lambdas/core/api-gateway-quotas.js';

/**
 * API Gateway's integration timeout for WebSocket APIs: "50 milliseconds -
 * 29 seconds for all integration types", not adjustable (API Gateway
 * developer guide, "Quotas for configuring and running a WebSocket API").
 */
export const INTEGRATION_TIMEOUT_MS = API_GATEWAY_QUOTAS.integrationTimeoutSeconds * 1000;

/** A handler's result, or the note that API Gateway stopped waiting for it. */
export type Outcome<T> = { readonly timedOut: false; readonly value: T } | { readonly timedOut: true };

/**
 * Runs a handler (or the authorizer) under API Gateway's integration
 * timeout. A failure before the deadline rejects as the handler's own; after
 * it, API Gateway has answered already, so what the handler still does is
 * only logged, and its result is discarded.
 */
export async function withinIntegrationTimeout<T>(label: string, limitMs: number, log: (line: string) => void, run: () => Promise<T>): Promise<Outcome<T>> {
  // Through a promise, so a handler that throws synchronously rejects like one that throws asynchronously.
  const work = Promise.resolve().then(run);
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve({ timedOut: true });
    }, limitMs);
  });
  void work.then(
    () => {
      if (timedOut) log(`${label} finished after the ${limitMs} ms integration timeout: its result is discarded`);
    },
    (error: unknown) => {
      if (timedOut) log(`${label} failed after the ${limitMs} ms integration timeout: ${String(error)}`);
    },
  );
  try {
    return await Promise.race([work.then((value): Outcome<T> => ({ timedOut: false, value })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
