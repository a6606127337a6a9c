import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { toAuthorizerContext, type Identity } from '../../lambdas/core/index.js';
import type { WebSocketEvent } from '../../lambdas/handlers/event.js';

/** Events shaped as API Gateway shapes them for a WebSocket API. */

const connectedAt = new Map<string, number>();

function requestContext(connectionId: string, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') {
  const now = Date.now();
  if (!connectedAt.has(connectionId)) connectedAt.set(connectionId, now);
  return {
    routeKey,
    eventType,
    messageId: randomUUID(),
    extendedRequestId: randomUUID(),
    requestId: randomUUID(),
    requestTime: new Date(now).toUTCString(),
    requestTimeEpoch: now,
    messageDirection: 'IN' as const,
    stage: 'test',
    connectedAt: connectedAt.get(connectionId) as number,
    domainName: '127.0.0.1',
    connectionId,
    apiId: 'local',
    identity: { sourceIp: '127.0.0.1', userAgent: 'vitest' },
  };
}

export function connectEvent(connectionId: string, identity: Identity | undefined): WebSocketEvent {
  return {
    requestContext: {
      ...requestContext(connectionId, '$connect', 'CONNECT'),
      ...(identity === undefined ? {} : { authorizer: toAuthorizerContext(identity) }),
    },
    headers: { Host: '127.0.0.1' },
    queryStringParameters: { token: 'redacted' },
    isBase64Encoded: false,
  };
}

export function messageEvent(connectionId: string, routeKey: string, body: string): WebSocketEvent {
  return { requestContext: requestContext(connectionId, routeKey, 'MESSAGE'), body, isBase64Encoded: false };
}

export function disconnectEvent(connectionId: string): WebSocketEvent {
  return {
    requestContext: {
      ...requestContext(connectionId, '$disconnect', 'DISCONNECT'),
      disconnectStatusCode: 1000,
      disconnectReason: 'Client closed',
    },
    isBase64Encoded: false,
  };
}

export const lambdaContext = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'test-request',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;
