import type {
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2WithRequestContext,
  Context,
} from 'aws-lambda';
import type { AuthorizerContext } from '../core/index.js';

/**
 * The WebSocket event as API Gateway sends it. `@types/aws-lambda` leaves out
 * the authorizer context, the caller identity, the `$connect` and
 * `$disconnect` headers and the `$disconnect` status, which API Gateway does
 * send, and requires a `messageId` it sends only on messages.
 */
export interface WebSocketEvent
  extends APIGatewayProxyWebsocketEventV2WithRequestContext<
    Omit<APIGatewayEventWebsocketRequestContextV2, 'messageId'> & {
      messageId?: string;
      authorizer?: AuthorizerContext;
      identity?: { sourceIp?: string; userAgent?: string };
      disconnectStatusCode?: number;
      disconnectReason?: string;
    }
  > {
  headers?: Record<string, string | undefined>;
  multiValueHeaders?: Record<string, string[] | undefined>;
}

/** What a route returns: API Gateway sends `body` back to the caller on two-way routes. */
export interface RouteResult {
  statusCode: number;
  body?: string;
}

export type WebSocketHandler = (event: WebSocketEvent, context?: Context) => Promise<RouteResult>;
