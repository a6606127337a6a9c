/**
 * The API Gateway Management API (`@connections`) as API Gateway serves it,
 * so handlers use the real `@aws-sdk/client-apigatewaymanagementapi` client
 * with nothing but the stage's callback URL as endpoint: POST sends, GET
 * describes, DELETE closes; unknown or closed connections answer 410 with the
 * GoneException type. As in AWS, the path carries the stage
 * (`/{stage}/@connections/{id}`, `@` also URL-encoded) and requests carry a
 * SigV4 signature for `execute-api` (API Gateway developer guide, "Use
 * @connections commands in your backend service":
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_MESSAGE_BYTES } from '../../lambdas/core/protocol.js';
import { readBody, sendAwsError, sendJson } from './http.js';
import { checkSigV4 } from './sigv4-header.js';

export interface ManagedConnection {
  readonly connectedAt: number;
  readonly lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  send(data: Buffer): Promise<void>;
  /** Closes the connection as a DeleteConnection call does. */
  drop(): void;
}

/** A path naming `@connections/{id}`, with whatever stands before it: the stage, or something that is not. */
const CONNECTIONS_PATH = /^(?:\/(.*))?\/(?:@|%40)connections\/([^/]+)\/?$/;

export function isManagementPath(path: string): boolean {
  return CONNECTIONS_PATH.test(path);
}

export async function serveManagementApi(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  stage: string,
  lookup: (connectionId: string) => ManagedConnection | undefined,
): Promise<void> {
  const [, pathStage, encodedId] = CONNECTIONS_PATH.exec(path) ?? [];
  if (pathStage !== stage) {
    // A callback URL without the stage, or with another one: what the SDK
    // gets from AWS is 403 `{"message":"Forbidden"}` (github.com/aws/aws-sdk-php/issues/1955)
    // with the ForbiddenException type (the Go SDK's error in
    // https://csdcorp.com/blog/coding/aws-websocket-403-using-posttoconnect/).
    // unverified: that this check comes before the signature's, as chosen here.
    return sendAwsError(response, 403, 'ForbiddenException', 'Forbidden');
  }
  const verdict = checkSigV4(request.headers);
  if (!verdict.signed) return sendAwsError(response, 403, verdict.errorType, verdict.message);
  let connectionId: string;
  try {
    connectionId = decodeURIComponent(encodedId ?? '');
  } catch {
    // Not percent-encoding that decodes: no connection has that id.
    return sendAwsError(response, 410, 'GoneException', null);
  }
  const connection = lookup(connectionId);
  switch (request.method) {
    case 'POST': {
      const body = await readBody(request, MAX_MESSAGE_BYTES);
      if (body === undefined) {
        sendAwsError(response, 413, 'PayloadTooLargeException', `Message is larger than ${MAX_MESSAGE_BYTES} bytes`);
        return;
      }
      if (connection === undefined) return sendAwsError(response, 410, 'GoneException', null);
      try {
        await connection.send(body);
      } catch {
        return sendAwsError(response, 410, 'GoneException', null);
      }
      response.writeHead(200).end();
      return;
    }
    case 'GET':
      if (connection === undefined) return sendAwsError(response, 410, 'GoneException', null);
      // The wire names are camelCase; the SDK maps them to ConnectedAt, Identity, LastActiveAt.
      return sendJson(response, 200, {
        connectedAt: new Date(connection.connectedAt).toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      });
    case 'DELETE':
      if (connection === undefined) return sendAwsError(response, 410, 'GoneException', null);
      connection.drop();
      response.writeHead(204).end();
      return;
    default:
      sendAwsError(response, 405, 'MethodNotAllowedException', `${request.method ?? ''} is not supported here`);
  }
}
