/**
 * The admin API (`POST /publish`, `GET /stats`, lib/routes.ts `adminApi`) as
 * its HTTP API serves it deployed: IAM-authorised, so a request without a
 * SigV4 signature never reaches the function; the rest become HTTP API
 * (payload 2.0) events for the same handler Lambda runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_MESSAGE_BYTES } from '../../lambdas/core/protocol.js';
import { adminApi } from '../../lib/routes.js';
import { httpApiEvent, type ApiInfo } from './events.js';
import { readBody, sendJson } from './http.js';
import { checkSigV4 } from './sigv4-header.js';

export function isAdminPath(path: string): boolean {
  return adminApi.routes.some((route) => route.path === path);
}

export interface AdminApiContext {
  readonly api: ApiInfo;
  /** Runs the admin function with the event. */
  readonly invoke: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  readonly log: (line: string) => void;
}

export async function serveAdminApi(request: IncomingMessage, response: ServerResponse, url: URL, context: AdminApiContext): Promise<void> {
  // Unsigned requests never reach the handler (API Gateway developer guide,
  // "Control access to HTTP APIs with IAM authorization in API Gateway":
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html).
  // unverified: the answer, 403 {"message":"Forbidden"}, for every form
  // of missing or malformed signature.
  if (!checkSigV4(request.headers).signed) return sendJson(response, 403, { message: 'Forbidden' });
  const body = await readBody(request, 10 * MAX_MESSAGE_BYTES);
  if (body === undefined) return sendJson(response, 413, { error: 'PAYLOAD_TOO_LARGE', message: 'request body too large' });
  const event = httpApiEvent(context.api, request.method ?? 'GET', url.pathname, url.searchParams, request.headers, body, request.socket.remoteAddress ?? '127.0.0.1');
  try {
    const result = await context.invoke(event);
    const payload = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    response.writeHead(result.statusCode ?? 200, stringHeaders(result.headers));
    response.end(payload);
  } catch (error) {
    context.log(`admin API threw: ${String(error)}`);
    sendJson(response, 500, { message: 'Internal Server Error' });
  }
}

function stringHeaders(headers: APIGatewayProxyStructuredResultV2['headers']): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name] = String(value);
  return result;
}
