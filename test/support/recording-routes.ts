import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { RouteResult, WebSocketEvent } from '../../lambdas/handlers/event.js';
import type { RouteDefinition } from '../../lib/routes.js';
import type { WebSocketAuthorizerEvent } from '../../local/gateway/events.js';

/**
 * Routes that record the event they are given and answer 200, and an
 * authorizer that records its event and allows: the events as the gateway
 * builds them, with no handler logic in the way.
 */

/** Every event the routes saw, newest last. */
export const routeEvents: WebSocketEvent[] = [];

/** Every event the authorizer saw, newest last. */
export const authorizerEvents: WebSocketAuthorizerEvent[] = [];

export function handler(event: WebSocketEvent): Promise<RouteResult> {
  routeEvents.push(event);
  return Promise.resolve({ statusCode: 200 });
}

export function allowingAuthorizer(event: WebSocketAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  authorizerEvents.push(event);
  return Promise.resolve({
    principalId: 'recorded-user',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
    context: { userId: 'recorded-user' },
  });
}

const entry = 'test/support/recording-routes.ts';

export const recordingAuthorizerEntry = 'test/support/recording-authorizer.ts';

export const recordingRoutes: RouteDefinition[] = [
  { routeKey: '$connect', name: 'connect', entry, twoWay: false },
  { routeKey: '$disconnect', name: 'disconnect', entry, twoWay: false },
  { routeKey: '$default', name: 'default', entry, twoWay: false },
  { routeKey: 'record', name: 'record', entry, twoWay: false },
];
