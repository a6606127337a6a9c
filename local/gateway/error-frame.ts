/**
 * The frame API Gateway itself sends on a socket when it answers a message
 * instead of an integration, byte for byte: a space after `"message":` and
 * none after the other two keys, as clients of deployed APIs receive it, e.g.
 * `{"message": "Internal server error", "connectionId":"Zq0lpfIyliACGbQ=", "requestId":"Zq1LaGLQliAFsbA="}`
 * (github.com/nearst/laconia/issues/41) and
 * `{"message": "Forbidden", "connectionId":"…", "requestId":"…"}`
 * (github.com/aws-samples/simple-websockets-chat-app/issues/24).
 */
export type GatewayErrorMessage = 'Forbidden' | 'Internal server error' | 'Endpoint request timed out';

export function gatewayErrorFrame(message: GatewayErrorMessage, connectionId: string, requestId: string): string {
  return `{"message": ${JSON.stringify(message)}, "connectionId":${JSON.stringify(connectionId)}, "requestId":${JSON.stringify(requestId)}}`;
}
