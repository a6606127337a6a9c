import { randomUUID } from 'node:crypto';
import type { Identity, ServerFrame } from '../../lambdas/core/index.js';
import type { RouteResult } from '../../lambdas/handlers/event.js';
import { findRoute, loadHandler, selectRoute } from '../../local/routing.js';
import { connectEvent, disconnectEvent, lambdaContext, messageEvent } from './events.js';
import { managementApi } from './management-api.js';

/**
 * One client connection driven through the real handlers, routed by the real
 * route table: what the client sends goes through API Gateway's route
 * selection, replies come back as route responses, and pushed frames arrive
 * at the Management API stub.
 */
export class TestConnection {
  readonly connectionId: string;

  constructor(
    readonly identity: Identity | undefined,
    connectionId = `c-${randomUUID().slice(0, 12)}=`,
  ) {
    this.connectionId = connectionId;
  }

  static async open(userId: string, extra: Partial<Identity> = {}): Promise<TestConnection> {
    const connection = new TestConnection({ userId, name: extra.name ?? userId, allowedRooms: [], roles: [], ...extra });
    const result = await connection.connect();
    if (result.statusCode !== 200) throw new Error(`connect refused: ${result.statusCode} ${result.body ?? ''}`);
    return connection;
  }

  async connect(): Promise<RouteResult> {
    const handler = await loadHandler(findRoute('$connect'));
    return handler(connectEvent(this.connectionId, this.identity), lambdaContext);
  }

  async disconnect(): Promise<RouteResult> {
    const handler = await loadHandler(findRoute('$disconnect'));
    return handler(disconnectEvent(this.connectionId), lambdaContext);
  }

  /** Sends a frame (an object is serialised; a string goes as is) and returns the route's reply. */
  async send(frame: unknown): Promise<ServerFrame | undefined> {
    const body = typeof frame === 'string' ? frame : JSON.stringify(frame);
    const route = selectRoute(body);
    if (route === undefined) throw new Error('the route table has no $default route');
    const handler = await loadHandler(route);
    const result = await handler(messageEvent(this.connectionId, route.routeKey, body), lambdaContext);
    expectStatus(result);
    return result.body === undefined ? undefined : (JSON.parse(result.body) as ServerFrame);
  }

  /** Frames pushed to this connection since the last call. */
  received(): ServerFrame[] {
    return managementApi.takeFrames(this.connectionId) as ServerFrame[];
  }
}

function expectStatus(result: RouteResult): void {
  if (result.statusCode !== 200) throw new Error(`route answered ${result.statusCode}: ${result.body ?? ''}`);
}
