/**
 * A local API Gateway WebSocket API, faithful where users would notice: it
 * reads the route table, runs the same handler modules Lambda runs with
 * events shaped as API Gateway shapes them, enforces the authorizer's
 * identity source and API Gateway's limits and timeouts, and serves the
 * Management API and the admin API on the same port.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { WebSocketServer, type RawData } from 'ws';
import { API_GATEWAY_QUOTAS } from '../../lambdas/core/api-gateway-quotas.js';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../lambdas/core/protocol.js';
import type { RouteResult } from '../../lambdas/handlers/event.js';
import { adminApi, connectAuthorizer, routes, type RouteDefinition } from '../../lib/routes.js';
import { InProcessFunctions, type FunctionInvoker } from '../lambda/function-invoker.js';
import { defaultRoute, findRoute, selectRoute } from '../routing.js';
import { gatewayErrorFrame, type GatewayErrorMessage } from './error-frame.js';
import {
  authorizerEvent,
  clientCloseStatus,
  connectEvent,
  disconnectEvent,
  handshakeOf,
  messageEvent,
  type ApiInfo,
  type ClientInfo,
  type Handshake,
} from './events.js';
import { FrameSizeGuard } from './frame-size-guard.js';
import { GOING_AWAY, LocalConnection, MESSAGE_TOO_BIG } from './local-connection.js';
import { localCertificate, type LocalCertificate } from './local-certificate.js';
import { PlainAndTlsServer } from './plain-and-tls-server.js';
import { sendJson } from './http.js';
import { gatewayId } from './ids.js';
import { isAdminPath, serveAdminApi } from './admin-api.js';
import { authorizerDecision } from './authorizer-decision.js';
import { isManagementPath, serveManagementApi } from './management-api.js';

export interface LocalGatewayOptions {
  /** 3001 by default; 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly stage?: string;
  /** API Gateway: 10 minutes without a client message closes the connection. */
  readonly idleTimeoutSeconds?: number;
  /** API Gateway: every connection closes after 2 hours. */
  readonly maxConnectionSeconds?: number;
  /** Run the `$connect` REQUEST authorizer (default true). */
  readonly authorize?: boolean;
  /**
   * The authorizer module, relative to the project root (default
   * `connectAuthorizer.entry`); tests give a slow or failing one.
   */
  readonly authorizerEntry?: string;
  /**
   * API Gateway's integration timeout, in milliseconds (default
   * `INTEGRATION_TIMEOUT_MS`, 29 s, which AWS does not let you raise). A
   * handler or authorizer slower than this gets API Gateway's answer instead
   * of its own: a message route the `Endpoint request timed out` frame,
   * `$connect` a 504, the authorizer a 500; the late result is discarded.
   * Tests set a short one rather than wait 29 s.
   */
  readonly integrationTimeoutMs?: number;
  readonly routes?: readonly RouteDefinition[];
  /** One line per notable event (connections, refusals, handler failures). */
  readonly log?: (line: string) => void;
  /**
   * How the functions run, made once the gateway listens (their environment
   * names its callback URL): isolated as in Lambda (local/lambda/), or in
   * this process (the default, for tests that reach into a handler's clients).
   */
  readonly functions?: (gateway: GatewayEndpoints) => FunctionInvoker;
  /**
   * Serves HTTP requests that are neither Management API nor admin API
   * (`npm start` serves the demo page here); resolves false to answer 404.
   */
  readonly serveOtherHttp?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;
}

/** What the functions' environment names of the gateway. */
export interface GatewayEndpoints {
  /** The stage's callback URL (Management API), as MANAGEMENT_ENDPOINT. */
  readonly callbackUrl: string;
  readonly stage: string;
  readonly routes: readonly RouteDefinition[];
  /** The gateway's TLS certificate (PEM), for the functions to trust. */
  readonly certificate: string;
}

/**
 * API Gateway's integration timeout for WebSocket APIs: "50 milliseconds -
 * 29 seconds for all integration types", not adjustable (API Gateway
 * developer guide, "Quotas for configuring and running a WebSocket API").
 */
export const INTEGRATION_TIMEOUT_MS = API_GATEWAY_QUOTAS.integrationTimeoutSeconds * 1000;

/** A handler's result, or the note that API Gateway stopped waiting for it. */
type Outcome<T> = { readonly timedOut: false; readonly value: T } | { readonly timedOut: true };

export class LocalGateway {
  /**
   * Test switch: while true, closed connections skip `$disconnect`, as happens
   * on AWS where it is best effort, so the 410 purge path can be exercised.
   */
  losesDisconnects = false;

  private readonly server: Server;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly connections = new Map<string, LocalConnection>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Sockets handed to `ws` for the 101: a later failure may no longer answer them with a status. */
  private readonly upgraded = new WeakSet<Duplex>();
  private readonly log: (line: string) => void;
  private api: ApiInfo | undefined;
  private invoker: FunctionInvoker | undefined;
  private listener: PlainAndTlsServer | undefined;
  private tls: LocalCertificate | undefined;

  constructor(private readonly options: LocalGatewayOptions = {}) {
    this.log = options.log ?? (() => undefined);
    // Node's default 16 KiB header limit would answer an oversized token with
    // 431 before the authorizer could refuse it with 403, as API Gateway does.
    this.server = createServer({ maxHeaderSize: 64 * 1024 }, (request, response) =>
      this.track(this.serveHttpOrFail(request, response)),
    );
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.track(this.upgradeOrRefuse(request, socket, head)),
    );
  }

  /** Starts listening; resolves with the WebSocket URL. */
  async start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    // The same handlers behind TLS, on the same port: see plain-and-tls-server.ts.
    this.tls = await localCertificate();
    const secure = createSecureServer({ key: this.tls.key, cert: this.tls.cert, maxHeaderSize: 64 * 1024 }, (request, response) =>
      this.track(this.serveHttpOrFail(request, response)),
    );
    secure.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.track(this.upgradeOrRefuse(request, socket, head)));
    this.listener = new PlainAndTlsServer(this.server, secure);
    await this.listener.listen(this.options.port ?? 3001, host);
    const { port } = this.listener.address();
    this.api = {
      apiId: 'local',
      stage: this.stage,
      domainName: `${host}:${port}`,
      region: process.env.AWS_REGION ?? 'us-east-1',
      accountId: '000000000000',
    };
    this.invoker = this.options.functions?.({ callbackUrl: this.callbackUrl, stage: this.api.stage, routes: this.routes, certificate: this.tls.cert }) ?? new InProcessFunctions();
    return this.url;
  }

  /**
   * Imports every handler now rather than on first use, as a warm Lambda
   * would be. Call it after the handlers' environment is set: they read it
   * when imported.
   */
  async warm(): Promise<void> {
    await this.functions.warm([
      ...((this.options.authorize ?? true) ? [{ name: connectAuthorizer.name, entry: this.authorizerEntry }] : []),
      ...this.routes.map((route) => ({ name: route.routeKey, entry: route.entry })),
      { name: adminApi.name, entry: adminApi.entry },
    ]);
  }

  get port(): number {
    if (this.listener === undefined) throw new Error('the gateway has not started');
    return this.listener.address().port;
  }

  /** `wss://…`: the same API over TLS, with `certificate` as its CA. */
  get secureUrl(): string {
    return `wss://${this.apiInfo.domainName}`;
  }

  /**
   * The stage's callback URL as API Gateway documents it,
   * `https://{domainName}/{stage}`: what the functions get as MANAGEMENT_ENDPOINT.
   */
  get callbackUrl(): string {
    return `https://${this.apiInfo.domainName}/${this.apiInfo.stage}`;
  }

  /** The gateway's TLS certificate (PEM), the CA a client of `wss://` or `https://` trusts. */
  get certificate(): string {
    if (this.tls === undefined) throw new Error('the gateway has not started');
    return this.tls.cert;
  }

  get url(): string {
    return `ws://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /**
   * The stage's callback URL over plain HTTP, for functions run in this
   * process (which do not trust the gateway's certificate): with the stage,
   * as API Gateway's `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
   */
  get managementEndpoint(): string {
    return `${this.httpEndpoint}/${this.stage}`;
  }

  /** Where the admin API (`/publish`, `/stats`) and other HTTP pages answer: no stage. */
  get httpEndpoint(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  get stage(): string {
    return this.options.stage ?? 'local';
  }

  get openConnectionIds(): string[] {
    return [...this.connections.keys()];
  }

  /** Closes every connection (1001, with `$disconnect`) and stops listening. */
  async stop(): Promise<void> {
    for (const connection of this.connections.values()) connection.close(GOING_AWAY, 'Going away');
    this.sockets.close();
    await this.listener?.close();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.invoker?.stop();
  }

  /** Runs the gateway's functions (routes, authorizer, admin API). */
  get functions(): FunctionInvoker {
    if (this.invoker === undefined) throw new Error('the gateway has not started');
    return this.invoker;
  }

  private get authorizerEntry(): string {
    return this.options.authorizerEntry ?? connectAuthorizer.entry;
  }

  private get apiInfo(): ApiInfo {
    if (this.api === undefined) throw new Error('the gateway has not started');
    return this.api;
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    work
      .catch((error: unknown) => this.log(`gateway error: ${String(error)}`))
      .finally(() => this.pending.delete(work));
  }

  // ── handshake ────────────────────────────────────────────────────────────

  /**
   * Runs a handler (or the authorizer) under API Gateway's integration
   * timeout. A failure before the deadline rejects as the handler's own; after
   * it, API Gateway has answered already, so what the handler still does is
   * only logged, and its result is discarded.
   */
  private async withinIntegrationTimeout<T>(label: string, run: () => Promise<T>): Promise<Outcome<T>> {
    const limitMs = this.integrationTimeoutMs;
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
        if (timedOut) this.log(`${label} finished after the ${limitMs} ms integration timeout: its result is discarded`);
      },
      (error: unknown) => {
        if (timedOut) this.log(`${label} failed after the ${limitMs} ms integration timeout: ${String(error)}`);
      },
    );
    try {
      return await Promise.race([work.then((value): Outcome<T> => ({ timedOut: false, value })), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private get integrationTimeoutMs(): number {
    return this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  }

  /**
   * A failure in the gateway's own handshake code (not a handler's: those are
   * answered inside) would otherwise leave the client waiting for an answer
   * that never comes: it is logged and refused with 500 instead.
   */
  private async upgradeOrRefuse(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      await this.upgrade(request, socket, head);
    } catch (error) {
      this.log(`handshake failed in the gateway: ${String(error)}`);
      // Past the 101 the socket belongs to `ws`; before it, nothing has been written yet.
      if (socket.writable && !this.upgraded.has(socket)) this.refuse(socket, 500, request.socket.remoteAddress ?? '');
      else socket.destroy();
    }
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const url = parseUrl(request.url);
    // A request that is no valid WebSocket handshake is refused before the
    // authorizer and `$connect` run, so it leaves no records behind.
    if (url === undefined || !isWebSocketHandshake(request)) {
      this.refuse(socket, 400, request.socket.remoteAddress ?? '');
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
    if (this.options.authorize ?? true) {
      const outcome = await this.authorize(client, shake);
      if (typeof outcome === 'number') return this.refuse(socket, outcome, client.sourceIp);
      authorized = { ...client, authorizer: outcome };
    }

    let outcome: Outcome<RouteResult | null | undefined>;
    try {
      const event = connectEvent(this.apiInfo, authorized, shake);
      const route = findRoute('$connect', this.routes);
      outcome = await this.withinIntegrationTimeout('$connect', () => this.functions.invoke<RouteResult | null | undefined>(route.routeKey, route.entry, event));
    } catch (error) {
      this.log(`$connect threw: ${String(error)}`);
      return this.refuse(socket, 500, client.sourceIp);
    }
    if (outcome.timedOut) {
      // API Gateway's answer to an integration that does not answer in time.
      this.log(`$connect timed out after ${this.integrationTimeoutMs} ms: refused with 504`);
      return this.refuse(socket, 504, client.sourceIp);
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
    if (statusCode < 200 || statusCode > 299) return this.refuse(socket, statusCode, client.sourceIp, result?.body);

    if (socket.destroyed) {
      // The client left while `$connect` ran: API Gateway still reports the disconnect.
      await this.runDisconnect(authorized, 1006, 'Client left during the handshake');
      return;
    }
    // Registered before `ws` adds its own listener, so oversize frames are
    // seen from their header, before `ws` could deliver them.
    let connection: LocalConnection | undefined;
    const guard = new FrameSizeGuard(MAX_FRAME_BYTES, () => connection?.close(MESSAGE_TOO_BIG, 'Message too big'));
    socket.on('data', (chunk: Buffer) => guard.push(chunk));
    this.upgraded.add(socket);
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      connection = new LocalConnection(
        authorized,
        ws,
        (this.options.idleTimeoutSeconds ?? API_GATEWAY_QUOTAS.idleTimeoutSeconds) * 1000,
        (this.options.maxConnectionSeconds ?? API_GATEWAY_QUOTAS.maxConnectionSeconds) * 1000,
      );
      this.register(connection, guard);
      // An oversize frame sent along with the handshake tripped the guard before there was a connection to close.
      if (guard.oversize) connection.close(MESSAGE_TOO_BIG, 'Message too big');
    });
  }

  private get routes(): readonly RouteDefinition[] {
    return this.options.routes ?? routes;
  }

  /** The authorizer's context (plus `principalId`), or the status API Gateway answers with. */
  private async authorize(client: ClientInfo, shake: Handshake): Promise<Record<string, string | number | boolean> | number> {
    // API Gateway checks the identity source itself and answers 401 without calling the authorizer.
    const token = shake.search.get(connectAuthorizer.tokenQueryParameter);
    if (token === null || token === '') return 401;
    let outcome: Outcome<APIGatewayAuthorizerResult | null | undefined>;
    try {
      const event = authorizerEvent(this.apiInfo, client, shake);
      outcome = await this.withinIntegrationTimeout('the authorizer', () =>
        this.functions.invoke<APIGatewayAuthorizerResult | null | undefined>(connectAuthorizer.name, this.authorizerEntry, event),
      );
    } catch (error) {
      // A Lambda authorizer that fails with "Unauthorized" means 401; any other failure is a 500.
      if (error instanceof Error && error.message === 'Unauthorized') return 401;
      this.log(`the authorizer failed: ${String(error)}`);
      return 500;
    }
    if (outcome.timedOut) {
      // The authorizer is an integration too, under the same 29 s limit; its
      // timeout is taken as any other authorizer failure (500).
      this.log(`the authorizer timed out after ${this.integrationTimeoutMs} ms: refused with 500`);
      return 500;
    }
    return authorizerDecision(outcome.value);
  }

  private refuse(socket: Duplex, status: number, sourceIp: string, body?: string): void {
    const message = body ?? JSON.stringify({ message: STATUS_CODES[status] ?? 'Error' });
    this.log(`refused ${sourceIp} with ${status}`);
    if (socket.destroyed) return;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Connection: close\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
    );
  }

  // ── an open connection ───────────────────────────────────────────────────

  private register(connection: LocalConnection, guard: FrameSizeGuard): void {
    const { connectionId } = connection.client;
    this.connections.set(connectionId, connection);
    this.log(`connected ${connectionId} (${String(connection.client.authorizer?.userId ?? 'no user')})`);
    connection.socket.on('message', (data: RawData, isBinary: boolean) => {
      if (guard.oversize) return;
      connection.markActive();
      this.track(this.dispatch(connection, toBuffer(data), isBinary));
    });
    connection.socket.on('error', (error: Error & { code?: string }) => {
      // `ws` closes with 1009 itself when a message exceeds the 128 KiB limit.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') connection.closedBy ??= { code: MESSAGE_TOO_BIG, reason: 'Message too big' };
    });
    connection.socket.on('close', (code: number, reason: Buffer) => {
      connection.stopTimers();
      this.connections.delete(connectionId);
      const status = connection.closedBy ?? clientCloseStatus(code, reason.toString());
      this.log(`disconnected ${connectionId} (${status.code} ${status.reason})`);
      if (this.losesDisconnects) return;
      this.track(this.runDisconnect(connection.client, status.code, status.reason));
    });
  }

  private async dispatch(connection: LocalConnection, data: Buffer, isBinary: boolean): Promise<void> {
    const { connectionId } = connection.client;
    let requestId: string | undefined;
    try {
      // Binary frames cannot be route-selected on `$request.body.action`:
      // "Non-JSON messages are directed to a $default route" (API Gateway
      // developer guide, "Create routes for WebSocket APIs in API Gateway").
      const body = isBinary ? data.toString('base64') : data.toString('utf8');
      const route = isBinary ? defaultRoute(this.routes) : selectRoute(body, this.routes);
      if (route === undefined) {
        // An API without `$default` answers a frame no route matches itself,
        // and the connection stays open: github.com/aws-samples/simple-websockets-chat-app/issues/24
        // (wscat connected, every message answered with this frame).
        this.log(`no route matches a frame from ${connectionId} and there is no $default: answered "Forbidden"`);
        await this.answerWithGatewayError(connection, 'Forbidden', gatewayId());
        return;
      }
      const event = messageEvent(this.apiInfo, connection.client, route.routeKey, body, isBinary);
      requestId = event.requestContext.requestId;
      let outcome: Outcome<RouteResult | null | undefined>;
      try {
        outcome = await this.withinIntegrationTimeout(route.routeKey, () =>
          this.functions.invoke<RouteResult | null | undefined>(route.routeKey, route.entry, event),
        );
      } catch (error) {
        this.log(`${route.routeKey} threw: ${String(error)}`);
        await this.answerWithGatewayError(connection, 'Internal server error', requestId);
        return;
      }
      if (outcome.timedOut) {
        // What API Gateway sends when the integration does not answer in time
        // (a client's report: github.com/Kludex/mangum/issues/128, and
        // github.com/aws/chalice/issues/1406); the connection stays open.
        this.log(`${route.routeKey} timed out after ${this.integrationTimeoutMs} ms on ${connectionId}: answered "Endpoint request timed out"`);
        await this.answerWithGatewayError(connection, 'Endpoint request timed out', requestId);
        return;
      }
      // A handler that returns nothing has no route response to send.
      const reply = outcome.value?.body;
      if (!route.twoWay || reply === undefined || reply === '') return;
      if (Buffer.byteLength(reply) > MAX_MESSAGE_BYTES) {
        // API Gateway does not deliver a route response over its message limit.
        this.log(`${route.routeKey} answered ${Buffer.byteLength(reply)} bytes, over ${MAX_MESSAGE_BYTES}: not delivered`);
        return;
      }
      await connection.send(reply).catch((error: unknown) => {
        this.log(`${route.routeKey}'s route response to ${connectionId} was not delivered: ${String(error)}`);
      });
    } catch (error) {
      // The gateway's own code failed (not the handler's): answered as API
      // Gateway answers any internal failure, so the client is not left waiting.
      this.log(`dispatching a frame from ${connectionId} failed in the gateway: ${String(error)}`);
      await this.answerWithGatewayError(connection, 'Internal server error', requestId ?? gatewayId());
    }
  }

  /** API Gateway's own error frame, for a request the integration did not answer. */
  private async answerWithGatewayError(connection: LocalConnection, message: GatewayErrorMessage, requestId: string): Promise<void> {
    const { connectionId } = connection.client;
    await connection.send(gatewayErrorFrame(message, connectionId, requestId)).catch((error: unknown) => {
      this.log(`"${message}" to ${connectionId} was not delivered: ${String(error)}`);
    });
  }

  private async runDisconnect(client: ClientInfo, code: number, reason: string): Promise<void> {
    try {
      const event = disconnectEvent(this.apiInfo, client, code, reason);
      const route = findRoute('$disconnect', this.routes);
      const outcome = await this.withinIntegrationTimeout('$disconnect', () => this.functions.invoke(route.routeKey, route.entry, event));
      // Nobody is left to answer: the timeout is only logged.
      if (outcome.timedOut) this.log(`$disconnect for ${client.connectionId} timed out after ${this.integrationTimeoutMs} ms`);
    } catch (error) {
      this.log(`$disconnect threw: ${String(error)}`);
    }
  }

  // ── HTTP: Management API and admin API ───────────────────────────────────

  /**
   * A failure in the gateway's HTTP code would leave the request unanswered:
   * it is logged and answered with 500, or the socket is cut when the
   * response had already begun.
   */
  private async serveHttpOrFail(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.serveHttp(request, response);
    } catch (error) {
      this.log(`${request.method ?? 'GET'} ${request.url ?? '/'} failed in the gateway: ${String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    }
  }

  private async serveHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = parseUrl(request.url);
    if (url === undefined) return sendJson(response, 400, { message: 'Bad Request' });
    if (isManagementPath(url.pathname)) {
      await serveManagementApi(request, response, url.pathname, this.stage, (id) => this.connections.get(id));
      return;
    }
    if (isAdminPath(url.pathname)) {
      await serveAdminApi(request, response, url, {
        api: this.apiInfo,
        invoke: (event) => this.functions.invoke<APIGatewayProxyStructuredResultV2>(adminApi.name, adminApi.entry, event),
        log: this.log,
      });
      return;
    }
    if ((await this.options.serveOtherHttp?.(request, response, url)) === true) return;
    sendJson(response, 404, { message: 'Not Found' });
  }
}


/** The request's URL, or undefined for one that does not parse. */
function parseUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
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

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
