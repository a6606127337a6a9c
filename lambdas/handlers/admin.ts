import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { flushMetrics, logger, parsePublishRequest, ProtocolError, publish, stats, type ErrorCode } from '../core/index.js';
import { jsonBodyOf } from './json-body.js';

/**
 * The server-side API for other services (lib/routes.ts `adminApi`), behind an
 * HTTP API (payload format 2.0): `POST /publish` and `GET /stats`. Translate
 * the request, call core, translate the answer. It never throws: API Gateway
 * would answer a thrown error with a bare 500 the caller cannot act on.
 */

type Result = APIGatewayProxyStructuredResultV2;

const routes: Readonly<Record<string, Readonly<Record<string, (event: APIGatewayProxyEventV2) => Promise<Result>>>>> = {
  '/publish': { POST: publishRoute },
  '/stats': { GET: statsRoute },
};

/** HTTP status for each refusal core can raise; anything unlisted is a 400. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<Result> {
  // Read defensively: even an event of the wrong shape gets an answer, not a throw.
  const requestId = event?.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
  try {
    if (context !== undefined) logger.addContext(context);
    const method = event.requestContext.http.method.toUpperCase();
    const path = routePath(event);
    logger.appendKeys({ requestId, route: `${method} ${path}` });
    const methods = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (methods === undefined) return json(404, { error: 'NOT_FOUND' });
    const route = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (route === undefined) {
      return json(405, { error: 'METHOD_NOT_ALLOWED' }, { Allow: Object.keys(methods).join(', ') });
    }
    return await route(event);
  } catch (error) {
    if (error instanceof ProtocolError) {
      return json(STATUS[error.code] ?? 400, { error: error.code, message: error.message });
    }
    logger.error('admin request failed', { error: error as Error });
    return json(500, { error: 'INTERNAL', requestId });
  } finally {
    flushMetrics();
    logger.resetKeys();
  }
}

async function publishRoute(event: APIGatewayProxyEventV2): Promise<Result> {
  return json(200, await publish(parsePublishRequest(decodeJson(event))));
}

async function statsRoute(): Promise<Result> {
  return json(200, await stats());
}

/**
 * The path the route table names. On a named stage (not `$default`) an HTTP
 * API's `rawPath` starts with `/<stage>`; that prefix is not part of the route.
 */
function routePath(event: APIGatewayProxyEventV2): string {
  const { rawPath, requestContext } = event;
  const stagePrefix = `/${requestContext.stage}`;
  if (requestContext.stage !== '$default' && rawPath.startsWith(`${stagePrefix}/`)) {
    return rawPath.slice(stagePrefix.length);
  }
  return rawPath;
}

/** The body's JSON; a body that is not JSON is a BAD_REQUEST. */
function decodeJson(event: APIGatewayProxyEventV2): unknown {
  const body = jsonBodyOf(event);
  if (!body.ok) throw new ProtocolError('BAD_REQUEST', 'body is not valid JSON');
  return body.value;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): Result {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
