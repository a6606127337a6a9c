import { fileURLToPath } from 'node:url';
import { routes, type RouteDefinition } from '../lib/routes.js';
import type { WebSocketHandler } from '../lambdas/handlers/event.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * API Gateway's route selection for `$request.body.action`: a JSON object
 * whose `action` names a route goes there; anything else (not JSON, no
 * action, an unknown one) goes to `$default`, and on an API without one to
 * no route at all (undefined), which API Gateway answers itself. Source: API
 * Gateway developer guide, "Create routes for WebSocket APIs in API Gateway":
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
 * ("API Gateway calls the $default route if the route selection expression
 * cannot be evaluated against the message or if no matching route is found").
 */
export function selectRoute(body: string, table: readonly RouteDefinition[] = routes): RouteDefinition | undefined {
  const fallback = defaultRoute(table);
  let action: unknown;
  try {
    action = (JSON.parse(body) as { action?: unknown } | null)?.action;
  } catch {
    return fallback;
  }
  if (typeof action !== 'string' || action.startsWith('$')) return fallback;
  return table.find((route) => route.routeKey === action) ?? fallback;
}

/**
 * Where a frame no route matches goes, and every binary frame (route
 * selection reads a JSON body): `$default`, or undefined on an API without one.
 */
export function defaultRoute(table: readonly RouteDefinition[] = routes): RouteDefinition | undefined {
  return table.find((route) => route.routeKey === '$default');
}

export function findRoute(routeKey: string, table: readonly RouteDefinition[] = routes): RouteDefinition {
  const route = table.find((candidate) => candidate.routeKey === routeKey);
  if (route === undefined) throw new Error(`the route table has no ${routeKey} route`);
  return route;
}

const loaded = new Map<string, Promise<unknown>>();

/** The `handler` export of a module of the project, imported once, as Lambda imports it. */
export function loadEntry<H>(entry: string): Promise<H> {
  let handler = loaded.get(entry);
  if (handler === undefined) {
    const url = new URL(entry, `file://${projectRoot}`).href;
    handler = import(url).then((module: { handler?: unknown }) => {
      if (typeof module.handler !== 'function') throw new Error(`${entry} exports no handler function`);
      return module.handler;
    });
    loaded.set(entry, handler);
  }
  return handler as Promise<H>;
}

/** The route's handler, imported from the same module Lambda runs. */
export function loadHandler(route: RouteDefinition): Promise<WebSocketHandler> {
  return loadEntry<WebSocketHandler>(route.entry);
}
