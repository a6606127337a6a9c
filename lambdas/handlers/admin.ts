import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger, parsePublishRequest, ProtocolError, publish, stats, type ErrorCode } from '../core/index.js';
import { instrumented } from './instrumented.js';
import { jsonBodyOf } from './json-body.js';

/**
 * The server-side API for other services (lib/routes.ts `adminApi`), behind an
 * HTTP API (payload format 2.0): `POST /publish` and `GET /stats`. Translate
 * the request, call core, translate the answer. It never throws: API Gateway
 * would answer a thrown error with a bare 500 the caller cannot act on.
 */

type Result = APIGatewayProxyStructuredResultV2;

/**
 * The route table. Routed here, not by middy's http-router: that one matches
 * `/stats/` as `/stats`, keeps a named stage's `/<stage>` prefix in the path,
 * and answers a wrong method with 404 instead of 405 and its `Allow` header.
 */
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

export const handler = instrumented(answer, (event: APIGatewayProxyEventV2) => ({
  // Read defensively: even an event of the wrong shape gets an answer, not a throw.
  requestId: event?.requestContext?.requestId,
  route: `${event?.requestContext?.http?.method} ${event?.rawPath}`,
}));

async function answer(event: APIGatewayProxyEventV2, context?: Context): Promise<Result> {
  try {
    const method = event.requestContext.http.method.toUpperCase();
    const path = routePath(event);
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
    return json(500, { error: 'INTERNAL', requestId: event?.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown' });
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
