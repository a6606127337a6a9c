import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { RouteResult, WebSocketEvent } from '../../lambdas/handlers/event.js';
import { connectAuthorizer, routes, type RouteDefinition } from '../../lib/routes.js';
import { findRoute, loadEntry, loadHandler } from '../../local/routing.js';

/**
 * Handlers that fail the way real ones do (slow, silent, broken on import),
 * for the gateway's failure tests. Each delegates to the real handler unless
 * the request asks it to misbehave, so one gateway serves every case.
 */

/** How long the slow handlers take: set by the test above its gateway's integration timeout. */
export const slowness = { ms: 0 };

/** What slow handlers did after the gateway stopped waiting for them, newest last. */
export const lateWork: string[] = [];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `$connect` as the `connect` query parameter asks: `silent` returns nothing,
 * `slow` answers 200 too late; otherwise the real `$connect` runs.
 */
async function connect(event: WebSocketEvent): Promise<RouteResult | undefined> {
  const mode = event.queryStringParameters?.connect;
  if (mode === 'silent') return undefined;
  if (mode === 'slow') {
    await sleep(slowness.ms);
    lateWork.push(`$connect ${event.requestContext.connectionId}`);
    return { statusCode: 200 };
  }
  return (await loadHandler(findRoute('$connect')))(event);
}

/** The message routes: `silent` returns nothing; `slow` answers too late; `slowFailure` throws too late. */
export async function handler(event: WebSocketEvent): Promise<RouteResult | undefined> {
  const { routeKey, requestId } = event.requestContext;
  switch (routeKey) {
    case '$connect':
      return connect(event);
    case 'silent':
      return undefined;
    case 'slow':
      await sleep(slowness.ms);
      lateWork.push(`slow ${requestId}`);
      return { statusCode: 200, body: JSON.stringify({ type: 'late', requestId }) };
    case 'slowFailure':
      await sleep(slowness.ms);
      lateWork.push(`slowFailure ${requestId}`);
      throw new Error('failed after the gateway stopped waiting');
    default:
      throw new Error(`no test behaviour for ${routeKey}`);
  }
}

/** The real authorizer, or a slow one when the `authorizer` query parameter says `slow`. */
export async function slowAuthorizer(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  if (event.queryStringParameters?.authorizer === 'slow') {
    await sleep(slowness.ms);
    lateWork.push(`authorizer ${event.requestContext.requestId}`);
  }
  const real = await loadEntry<(event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>>(
    connectAuthorizer.entry,
  );
  return real(event);
}

const entry = 'test/support/failure-routes.ts';

/**
 * The real route table with a `$connect` that can misbehave, plus the
 * misbehaving routes. (Not the module that fails to import: `warm()` would
 * fail on it; see `brokenModuleRoute`.)
 */
export const routesWithFailures: RouteDefinition[] = [
  ...routes.map((route) => (route.routeKey === '$connect' ? { ...route, entry } : route)),
  { routeKey: 'silent', name: 'silent', entry, twoWay: true },
  { routeKey: 'slow', name: 'slow', entry, twoWay: true },
  { routeKey: 'slowFailure', name: 'slow-failure', entry, twoWay: true },
  { routeKey: 'echoEvent', name: 'echo-event', entry: 'test/support/test-routes.ts', twoWay: true },
];

/** A route whose module throws while it is imported. */
export const brokenModuleRoute: RouteDefinition = {
  routeKey: 'broken',
  name: 'broken',
  entry: 'test/support/broken-module.ts',
  twoWay: true,
};
