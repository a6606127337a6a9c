import type { RouteResult, WebSocketEvent, WebSocketHandler } from '../../lambdas/handlers/event.js';
import { routes, type RouteDefinition } from '../../lib/routes.js';
import { findRoute, loadHandler } from '../../local/routing.js';

/** Every event the recording routes saw, newest last. */
export const recordedEvents: WebSocketEvent[] = [];

/**
 * `$connect` that records its event, then does what the real one does. The
 * real handler is imported on first use, like every handler, because the core
 * reads its configuration when imported and the test sets it first.
 */
export async function recordingConnect(event: WebSocketEvent): Promise<RouteResult> {
  recordedEvents.push(event);
  const realConnect: WebSocketHandler = await loadHandler(findRoute('$connect'));
  return realConnect(event);
}

/** `explode` throws, as a broken handler would; `echoEvent` answers with the event it got. */
export async function handler(event: WebSocketEvent): Promise<RouteResult> {
  recordedEvents.push(event);
  if (event.requestContext.routeKey === 'explode') throw new Error('handler blew up');
  return { statusCode: 200, body: JSON.stringify(event) };
}

const entry = 'test/support/test-routes.ts';

/** The real route table plus two test routes, and `$connect` recorded. */
export const routesWithTestRoutes: RouteDefinition[] = [
  ...routes.map((route) =>
    route.routeKey === '$connect' ? { ...route, entry: 'test/support/recording-connect.ts' } : route,
  ),
  { routeKey: 'explode', name: 'explode', entry, twoWay: true },
  { routeKey: 'echoEvent', name: 'echo-event', entry, twoWay: true },
];
