import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler } from '../../lambdas/handlers/admin.js';
import { lambdaContext } from './events.js';

/** Events shaped as an HTTP API (payload format 2.0) shapes them, for the admin handler. */

export interface HttpEventOptions {
  /** Sent base64-encoded, as an HTTP API sends bodies it considers binary. */
  readonly base64?: boolean;
  /** A named stage puts `/<stage>` in front of `rawPath`; `$default` does not. */
  readonly stage?: string;
}

export function httpEvent(
  method: string,
  path: string,
  body?: string,
  { base64 = false, stage = '$default' }: HttpEventOptions = {},
): APIGatewayProxyEventV2 {
  const now = Date.now();
  const rawPath = stage === '$default' ? path : `/${stage}${path}`;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'admin.local' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'admin',
      domainName: 'admin.local',
      domainPrefix: 'admin',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage,
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: base64,
    ...(body === undefined ? {} : { body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body }),
  };
}

export interface HttpAnswer {
  readonly status: number | undefined;
  readonly headers: APIGatewayProxyStructuredResultV2['headers'];
  readonly json: unknown;
}

/** Calls the admin handler and parses its JSON answer. */
export async function callAdmin(
  method: string,
  path: string,
  body?: unknown,
  options?: HttpEventOptions,
): Promise<HttpAnswer> {
  const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  const result = await handler(httpEvent(method, path, text, options), lambdaContext);
  return { status: result.statusCode, headers: result.headers, json: JSON.parse(result.body ?? 'null') as unknown };
}
