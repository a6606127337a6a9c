/**
 * A local API Gateway WebSocket API, faithful where users would notice: it
 * reads the route table, runs the same handler modules Lambda runs with
 * events shaped as API Gateway shapes them, enforces the authorizer's
 * identity source and API Gateway's limits and timeouts, and serves the
 * Management API and the admin API on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { WebSocketServer, type RawData } from 'ws';
import { API_GATEWAY_QUOTAS } from '../../lambdas/core/api-gateway-quotas.js';
import { MAX_MESSAGE_BYTES } from '../../lambdas/core/protocol.js';
import type { RouteResult } from '../../lambdas/handlers/event.js';
import { adminApi, connectAuthorizer, routes, type RouteDefinition } from '../../lib/routes.js';
import { InProcessFunctions, type FunctionInvoker } from '../lambda/function-invoker.js';
import { defaultRoute, findRoute, selectRoute } from '../routing.js';
import { gatewayErrorFrame, type GatewayErrorMessage } from './error-frame.js';
import { clientCloseStatus, disconnectEvent, messageEvent, type ApiInfo, type ClientInfo } from './events.js';
import type { FrameSizeGuard } from './frame-size-guard.js';
import { upgradeOrRefuse, type HandshakeContext } from './handshake.js';
import { INTEGRATION_TIMEOUT_MS, withinIntegrationTimeout, type Outcome } from './integration-timeout.js';
import { GOING_AWAY, MESSAGE_TOO_BIG, type LocalConnection } from './local-connection.js';
import { localCertificate, type LocalCertificate } from './local-certificate.js';
import { PlainAndTlsServer } from './plain-and-tls-server.js';
import { parseUrl, sendJson } from './http.js';
import { gatewayId } from './ids.js';
import { isAdminPath, serveAdminApi } from './admin-api.js';
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
  readonly routes: readonly RouteDefinition[];
  /** The gateway's TLS certificate (PEM), for the functions to trust. */
  readonly certificate: string;
}

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
  private readonly log: (line: string) => void;
  private api: ApiInfo | undefined;
  private invoker: FunctionInvoker | undefined;
  private listener: PlainAndTlsServer | undefined;
  private tls: LocalCertificate | undefined;

  constructor(private readonly options: LocalGatewayOptions = {}) {
    this.log = options.log ?? (() => undefined);
    // Node's default 16 KiB header limit would answer an oversized token with
    // 431 before the authorizer could refuse it with 403, as API Gateway does.
    this.server = createServer({ maxHeaderSize: 64 * 1024 }, this.onRequest);
    this.server.on('upgrade', this.onUpgrade);
  }

  /** What both servers, plain and TLS, do with a request and with a WebSocket handshake. */
  private readonly onRequest = (request: IncomingMessage, response: ServerResponse): void => this.track(this.serveHttpOrFail(request, response));
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.track(upgradeOrRefuse(request, socket, head, this.handshakeContext()));

  /** Starts listening; resolves with the WebSocket URL. */
  async start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    // The same handlers behind TLS, on the same port: see plain-and-tls-server.ts.
    this.tls = await localCertificate();
    const secure = createSecureServer({ key: this.tls.key, cert: this.tls.cert, maxHeaderSize: 64 * 1024 }, this.onRequest);
    secure.on('upgrade', this.onUpgrade);
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
    this.invoker = this.options.functions?.({ callbackUrl: this.callbackUrl, routes: this.routes, certificate: this.tls.cert }) ?? new InProcessFunctions();
    return this.url;
  }

  /**
   * Initialises every function now rather than on first use, as a warm
   * Lambda would be. Handlers run in this process read their environment
   * when imported: call it after that is set.
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

  private handshakeContext(): HandshakeContext {
    return {
      api: this.apiInfo,
      routes: this.routes,
      functions: this.functions,
      authorizerEntry: (this.options.authorize ?? true) ? this.authorizerEntry : undefined,
      integrationTimeoutMs: this.integrationTimeoutMs,
      idleTimeoutMs: (this.options.idleTimeoutSeconds ?? API_GATEWAY_QUOTAS.idleTimeoutSeconds) * 1000,
      maxConnectionMs: (this.options.maxConnectionSeconds ?? API_GATEWAY_QUOTAS.maxConnectionSeconds) * 1000,
      sockets: this.sockets,
      log: this.log,
      runDisconnect: (client, code, reason) => this.runDisconnect(client, code, reason),
      register: (connection, guard) => this.register(connection, guard),
    };
  }

  private get integrationTimeoutMs(): number {
    return this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  }

  private get routes(): readonly RouteDefinition[] {
    return this.options.routes ?? routes;
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
        outcome = await withinIntegrationTimeout(route.routeKey, this.integrationTimeoutMs, this.log, () =>
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
      const outcome = await withinIntegrationTimeout('$disconnect', this.integrationTimeoutMs, this.log, () => this.functions.invoke(route.routeKey, route.entry, event));
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


function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
