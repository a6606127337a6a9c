/**
 * THE route table: every API Gateway WebSocket route and the handler module
 * that serves it. The CDK stack and the local gateway both read this list, so
 * the deployed and the local API cannot drift apart.
 */

export interface RouteDefinition {
  /** API Gateway route key: `$connect`, `$disconnect`, `$default`, or an `action` value. */
  readonly routeKey: string;
  /** A short name for the route's function. */
  readonly name: string;
  /** The handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /**
   * Two-way route (CDK `returnResponse: true`): API Gateway sends the body the
   * handler returns back to the caller, which saves a Management API call.
   */
  readonly twoWay: boolean;
}

export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';

export const routes: readonly RouteDefinition[] = [
  { routeKey: '$connect', name: 'connect', entry: 'lambdas/handlers/connect.ts', twoWay: false },
  { routeKey: '$disconnect', name: 'disconnect', entry: 'lambdas/handlers/disconnect.ts', twoWay: false },
  { routeKey: '$default', name: 'default', entry: 'lambdas/handlers/default.ts', twoWay: true },
  { routeKey: 'joinRoom', name: 'join-room', entry: 'lambdas/handlers/join-room.ts', twoWay: true },
  { routeKey: 'leaveRoom', name: 'leave-room', entry: 'lambdas/handlers/leave-room.ts', twoWay: true },
  { routeKey: 'sendMessage', name: 'send-message', entry: 'lambdas/handlers/send-message.ts', twoWay: true },
  { routeKey: 'typing', name: 'typing', entry: 'lambdas/handlers/typing.ts', twoWay: true },
  { routeKey: 'members', name: 'members', entry: 'lambdas/handlers/members.ts', twoWay: true },
  { routeKey: 'history', name: 'history', entry: 'lambdas/handlers/history.ts', twoWay: true },
  { routeKey: 'ping', name: 'ping', entry: 'lambdas/handlers/ping.ts', twoWay: true },
];

/**
 * The REQUEST authorizer on `$connect`. Its identity source is the `token`
 * query parameter (browsers cannot set headers on a WebSocket): API Gateway
 * answers 401 itself, without calling the authorizer, when it is missing or empty.
 */
export const connectAuthorizer = {
  name: 'authorizer',
  entry: 'lambdas/handlers/authorizer.ts',
  identitySource: 'route.request.querystring.token',
  tokenQueryParameter: 'token',
} as const;

/**
 * The server-side API (`POST /publish`, `GET /stats`) for other services:
 * deployed behind IAM, served locally by the gateway on its own port.
 */
export const adminApi = {
  name: 'admin',
  entry: 'lambdas/handlers/admin.ts',
  routes: [
    { method: 'POST', path: '/publish' },
    { method: 'GET', path: '/stats' },
  ],
} as const;
