/**
 * The WebSocket handshake as API Gateway runs it: a request that is no valid
 * handshake refused before anything runs, the `$connect` authorizer, then
 * `$connect` itself, whose answer accepts (101) or refuses (its status) the
 * connection; API Gateway's own failures answered with its statuses.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../../lambdas/core/protocol.js';
import type { RouteResult } from '../../lambdas/handlers/event.js';
import type { RouteDefinition } from '../../lib/routes.js';
import type { FunctionInvoker } from '../lambda/function-invoker.js';
import { findRoute } from '../routing.js';
import { authorize } from './authorizer.js';
import { connectEvent, handshakeOf, type ApiInfo, type ClientInfo } from './events.js';
import { FrameSizeGuard } from './frame-size-guard.js';
import { parseUrl } from './http.js';
import { gatewayId } from './ids.js';
import { withinIntegrationTimeout, type Outcome } from './integration-timeout.js';
import { LocalConnection, MESSAGE_TOO_BIG } from './local-connection.js';

export interface HandshakeContext {
  readonly api: ApiInfo;
  readonly routes: readonly RouteDefinition[];
  readonly functions: FunctionInvoker;
  /** The authorizer module, or undefined when the gateway runs without the `$connect` authorizer. */
  readonly authorizerEntry: string | undefined;
  readonly integrationTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnectionMs: number;
  /** Where `ws` answers the 101. */
  readonly sockets: WebSocketServer;
  readonly log: (line: string) => void;
  readonly runDisconnect: (client: ClientInfo, code: number, reason: string) => Promise<void>;
  /** Takes over the open connection, with the guard that has watched its frames since before `ws` did. */
  readonly register: (connection: LocalConnection, guard: FrameSizeGuard) => void;
}

/** Sockets handed to `ws` for the 101: a later failure may no longer answer them with a status. */
const upgraded = new WeakSet<Duplex>();

/**
 * A failure in the gateway's own handshake code (not a handler's: those are
 * answered inside) would otherwise leave the client waiting for an answer
 * that never comes: it is logged and refused with 500 instead.
 */
export async function upgradeOrRefuse(request: IncomingMessage, socket: Duplex, head: Buffer, context: HandshakeContext): Promise<void> {
  try {
    await upgrade(request, socket, head, context);
  } catch (error) {
    context.log(`handshake failed in the gateway: ${String(error)}`);
    // Past the 101 the socket belongs to `ws`; before it, nothing has been written yet.
    if (socket.writable && !upgraded.has(socket)) refuse(socket, 500, request.socket.remoteAddress ?? '', context.log);
    else socket.destroy();
  }
}

async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, context: HandshakeContext): Promise<void> {
  const { log } = context;
  socket.on('error', () => undefined);
  const url = parseUrl(request.url);
  // A request that is no valid WebSocket handshake is refused before the
  // authorizer and `$connect` run, so it leaves no records behind.
  if (url === undefined || !isWebSocketHandshake(request)) {
    refuse(socket, 400, request.socket.remoteAddress ?? '', log);
    return;
  }
  const shake = handshakeOf(request, url.searchParams);
  const client: ClientInfo = {
    connectionId: gatewayId(),
    connectedAt: Date.now(),
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    userAgent: request.headers['user-agent'] ?? '',
  };

  let authorized = client;
  if (context.authorizerEntry !== undefined) {
    const outcome = await authorize(client, shake, {
      api: context.api,
      functions: context.functions,
      entry: context.authorizerEntry,
      integrationTimeoutMs: context.integrationTimeoutMs,
      log,
    });
    if (typeof outcome === 'number') return refuse(socket, outcome, client.sourceIp, log);
    authorized = { ...client, authorizer: outcome };
  }

  let outcome: Outcome<RouteResult | null | undefined>;
  try {
    const event = connectEvent(context.api, authorized, shake);
    const route = findRoute('$connect', context.routes);
    outcome = await withinIntegrationTimeout('$connect', context.integrationTimeoutMs, log, () =>
      context.functions.invoke<RouteResult | null | undefined>(route.routeKey, route.entry, event),
    );
  } catch (error) {
    log(`$connect threw: ${String(error)}`);
    return refuse(socket, 500, client.sourceIp, log);
  }
  if (outcome.timedOut) {
    // API Gateway's answer to an integration that does not answer in time.
    log(`$connect timed out after ${context.integrationTimeoutMs} ms: refused with 504`);
    return refuse(socket, 504, client.sourceIp, log);
  }
  const result = outcome.value;
  // A handler that returns nothing (`async () => {}`) has not failed, and
  // API Gateway refuses a handshake only when `$connect` fails or answers a
  // status outside 2xx: the connection is accepted, as with a 200. Sources:
  // the API Gateway developer guide ("$connect and $disconnect routes": "If
  // the $connect request fails (e.g., due to AuthN/AuthZ failure or an
  // integration failure), the connection will not be made"), and measured
  // answers of a deployed API (github.com/if1live/aws-lambda-nodejs-event,
  // documents/websocket.md: 2xx connects, other statuses refuse with that
  // status). None of them shows the empty result refused.
  const statusCode = result?.statusCode ?? 200;
  if (statusCode < 200 || statusCode > 299) return refuse(socket, statusCode, client.sourceIp, log, result?.body);

  if (socket.destroyed) {
    // The client left while `$connect` ran: API Gateway still reports the disconnect.
    await context.runDisconnect(authorized, 1006, 'Client left during the handshake');
    return;
  }
  // Registered before `ws` adds its own listener, so oversize frames are
  // seen from their header, before `ws` could deliver them.
  let connection: LocalConnection | undefined;
  const guard = new FrameSizeGuard(MAX_FRAME_BYTES, () => connection?.close(MESSAGE_TOO_BIG, 'Message too big'));
  socket.on('data', (chunk: Buffer) => guard.push(chunk));
  upgraded.add(socket);
  context.sockets.handleUpgrade(request, socket, head, (ws) => {
    connection = new LocalConnection(authorized, ws, context.idleTimeoutMs, context.maxConnectionMs);
    context.register(connection, guard);
    // An oversize frame sent along with the handshake tripped the guard before there was a connection to close.
    if (guard.oversize) connection.close(MESSAGE_TOO_BIG, 'Message too big');
  });
}

function refuse(socket: Duplex, status: number, sourceIp: string, log: (line: string) => void, body?: string): void {
  const message = body ?? JSON.stringify({ message: STATUS_CODES[status] ?? 'Error' });
  log(`refused ${sourceIp} with ${status}`);
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** What `ws` checks of a handshake (RFC 6455 §4.2.1), checked before any handler runs. */
function isWebSocketHandshake(request: IncomingMessage): boolean {
  const key = request.headers['sec-websocket-key'];
  const version = request.headers['sec-websocket-version'];
  return (
    request.method === 'GET' &&
    request.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === '13' || version === '8')
  );
}
