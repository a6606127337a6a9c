import type { RouteResult, WebSocketEvent, WebSocketHandler } from '../../lambdas/handlers/event.js';
import { routes, type RouteDefinition } from '../../lib/routes.js';
import { findRoute, loadHandler } from '../../local/routing.js';

/** Every event the recording routes saw, newest last. */
export const recordedEvents: WebSocketEvent[] = [];

/**
 * A route that records its event, then does what the real one does. The real
 * handler is imported on first use, like every handler, because the core
 * reads its configuration when imported and the test sets it first.
 */
function recording(routeKey: string): WebSocketHandler {
  return async (event) => {
    recordedEvents.push(event);
    return (await loadHandler(findRoute(routeKey)))(event);
  };
}

export const recordingConnect = recording('$connect');
export const recordingDisconnect = recording('$disconnect');

/** `explode` throws, as a broken handler would; `echoEvent` answers with the event it got. */
export async function handler(event: WebSocketEvent): Promise<RouteResult> {
  recordedEvents.push(event);
  if (event.requestContext.routeKey === 'explode') throw new Error('handler blew up');
  return { statusCode: 200, body: JSON.stringify(event) };
}

const entry = 'test/support/test-routes.ts';

/** The real route table plus two test routes, with `$connect` and `$disconnect` recorded. */
export const routesWithTestRoutes: RouteDefinition[] = [
  ...routes.map((route) => {
    if (route.routeKey === '$connect') return { ...route, entry: 'test/support/recording-connect.ts' };
    if (route.routeKey === '$disconnect') return { ...route, entry: 'test/support/recording-disconnect.ts' };
    return route;
  }),
  { routeKey: 'explode', name: 'explode', entry, twoWay: true },
  { routeKey: 'echoEvent', name: 'echo-event', entry, twoWay: true },
];
