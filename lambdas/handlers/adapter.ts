import {
  admitFrame,
  clientFrameSchemas,
  ConnectionClosed,
  describeIssues,
  count,
  logger,
  ProtocolError,
  requestRefOf,
  type ClientAction,
  type ClientFrame,
  type ConnectionRecord,
  type ErrorFrame,
  type RequestRef,
  type ServerFrame,
} from '../core/index.js';
import type { RouteResult, WebSocketEvent, WebSocketHandler } from './event.js';
import { instrumented } from './instrumented.js';
import { jsonBodyOf } from './json-body.js';

/**
 * Wraps a core action as a message-route handler: admit the frame (live
 * connection, rate limit, token expiry), decode and validate the body against
 * the action's schema, call core, and answer with its reply frame. Bad input
 * and refusals become `error` frames; nothing escapes as a throw, because API
 * Gateway would answer a thrown error with a bare "Internal server error"
 * that carries no code.
 */
export function messageRoute<A extends ClientAction>(
  action: A,
  run: (connection: ConnectionRecord, frame: ClientFrame<A>) => ServerFrame | void | Promise<ServerFrame | void>,
): WebSocketHandler {
  return webSocketRoute(async (event) => {
    const { connectionId, requestId } = event.requestContext;
    // Read before admission, so that even a refusal names the request it answers.
    const body = jsonBodyOf(event);
    try {
      const connection = await admitFrame({ connectionId, requestId }, action);
      if (!body.ok) throw notJson();
      const parsed = clientFrameSchemas[action].safeParse(body.value);
      if (!parsed.success) throw new ProtocolError('BAD_REQUEST', describeIssues(parsed.error));
      const reply = await run(connection, parsed.data as ClientFrame<A>);
      return reply === undefined ? { statusCode: 200 } : frameResult(reply);
    } catch (error) {
      return errorResult(error, requestId, action, body.ok ? requestRefOf(body.value) : {});
    }
  });
}

/** A WebSocket route's handler, its connection, request and route on every log line. */
export function webSocketRoute(handle: (event: WebSocketEvent) => Promise<RouteResult>): WebSocketHandler {
  return instrumented(handle, ({ requestContext: { connectionId, requestId, routeKey } }) => ({ connectionId, requestId, routeKey }));
}

/** The route's answer to a failure: an `error` frame, or nothing when the connection was just closed. */
export function errorResult(error: unknown, requestId: string, action?: string, ref: RequestRef = {}): RouteResult {
  if (error instanceof ConnectionClosed) return { statusCode: 200 };
  return frameResult(errorFrame(error, requestId, action, ref));
}

const notJson = () => new ProtocolError('BAD_REQUEST', 'frame is not valid JSON');

/** The frame's JSON; a body that is not JSON is a BAD_REQUEST. */
export function decodeBody(event: WebSocketEvent): unknown {
  const body = jsonBodyOf(event);
  if (!body.ok) throw notJson();
  return body.value;
}

export function frameResult(frame: ServerFrame): RouteResult {
  return { statusCode: 200, body: JSON.stringify(frame) };
}

/**
 * The `error` frame for a failure: a ProtocolError keeps its code (and its
 * `retryAfterMs` or `reconnect`), anything else is INTERNAL and logged. `ref` names the
 * request it answers.
 */
export function errorFrame(error: unknown, requestId: string, action?: string, ref: RequestRef = {}): ErrorFrame {
  const known = error instanceof ProtocolError;
  if (known) count('FramesRejected');
  else {
    count('Errors');
    logger.error('request failed', { error: error as Error });
  }
  return {
    type: 'error',
    code: known ? error.code : 'INTERNAL',
    message: known ? error.message : `internal error; quote request ${requestId} when reporting it`,
    requestId,
    ...(action === undefined ? {} : { action }),
    ...ref,
    ...(known && error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    ...(known && error.reconnect ? { reconnect: true as const } : {}),
  };
}
