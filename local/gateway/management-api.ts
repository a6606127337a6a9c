/**
 * The API Gateway Management API (`@connections`) as API Gateway serves it,
 * so handlers use the real `@aws-sdk/client-apigatewaymanagementapi` client
 * with nothing but an endpoint: POST sends, GET describes, DELETE closes;
 * unknown or closed connections answer 410 with the GoneException type.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_MESSAGE_BYTES } from '../../lambdas/core/protocol.js';
import { readBody, sendAwsError, sendJson } from './http.js';

export interface ManagedConnection {
  readonly connectedAt: number;
  readonly lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  send(data: Buffer): Promise<void>;
  /** Closes the connection as a DeleteConnection call does. */
  drop(): void;
}

/** `/@connections/{id}`, with or without the stage in front as in a callback URL. */
const CONNECTIONS_PATH = /^(?:\/[^/@]+)?\/@connections\/([^/?]+)\/?$/;

export function isManagementPath(path: string): boolean {
  return CONNECTIONS_PATH.test(path);
}

export async function serveManagementApi(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  lookup: (connectionId: string) => ManagedConnection | undefined,
): Promise<void> {
  let connectionId: string;
  try {
    connectionId = decodeURIComponent(CONNECTIONS_PATH.exec(path)?.[1] ?? '');
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
