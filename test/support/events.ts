import { toAuthorizerContext, type Identity } from '../../lambdas/core/index.js';
import type { WebSocketEvent } from '../../lambdas/handlers/event.js';
import * as gateway from '../../local/gateway/events.js';

/** API-Gateway-shaped events for handler-level tests, built by the local gateway's own event module. */

const api: gateway.ApiInfo = {
  apiId: 'local',
  stage: 'test',
  domainName: '127.0.0.1',
  region: 'us-east-1',
  accountId: '000000000000',
};

const connectedAt = new Map<string, number>();

function client(connectionId: string, identity?: Identity): gateway.ClientInfo {
  if (!connectedAt.has(connectionId)) connectedAt.set(connectionId, Date.now());
  return {
    connectionId,
    connectedAt: connectedAt.get(connectionId) as number,
    sourceIp: '127.0.0.1',
    userAgent: 'vitest',
    ...(identity === undefined ? {} : { authorizer: { principalId: identity.userId, ...toAuthorizerContext(identity) } }),
  };
}

export function connectEvent(connectionId: string, identity: Identity | undefined): WebSocketEvent {
  const shake = gateway.handshake({ headers: [['Host', api.domainName]], search: new URLSearchParams({ token: 'x' }) });
  return gateway.connectEvent(api, client(connectionId, identity), shake);
}

export function messageEvent(connectionId: string, routeKey: string, body: string): WebSocketEvent {
  return gateway.messageEvent(api, client(connectionId), routeKey, body);
}

export function disconnectEvent(connectionId: string): WebSocketEvent {
  return gateway.disconnectEvent(api, client(connectionId), 1000, '');
}

export const lambdaContext = gateway.lambdaContext('test');
