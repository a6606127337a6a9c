import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { RealtimeClient, type RealtimeClientOptions } from '../../client/index.js';
import type { MessageFrame } from '../../lambdas/core/protocol.js';
import { mintDevToken, type DevTokenOptions } from '../../local/dev-token.js';

export interface TestClient {
  readonly client: RealtimeClient;
  /** Every message the client delivered, in delivery order. */
  readonly messages: MessageFrame[];
  /** How often the client asked for a token (once per connection attempt). */
  readonly tokensIssued: () => number;
}

/** An SDK client for a user, with dev tokens minted on every attempt. Not connected yet. */
export function sdkClient(
  url: string,
  userId: string,
  options: Partial<RealtimeClientOptions> & { readonly token?: Omit<DevTokenOptions, 'userId'> } = {},
): TestClient {
  let issued = 0;
  const { token, ...clientOptions } = options;
  const client = new RealtimeClient({
    url,
    getToken: () => {
      issued += 1;
      return mintDevToken({ userId, name: userId.toUpperCase(), ...token });
    },
    reconnect: { baseMs: 200, capMs: 2_000 },
    ...clientOptions,
  });
  const messages: MessageFrame[] = [];
  client.on('message', (message) => messages.push(message));
  return { client, messages, tokensIssued: () => issued };
}

/** The `data` of the messages delivered in a room, in delivery order. */
export function dataIn(messages: readonly MessageFrame[], room: string): unknown[] {
  return messages.filter((message) => message.room === room).map((message) => message.data);
}

/** Closes a connection from the server side, as a backend would: the Management API's DeleteConnection. */
export async function deleteConnection(managementEndpoint: string, connectionId: string): Promise<void> {
  const api = new ApiGatewayManagementApiClient({
    endpoint: managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await api.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } finally {
    api.destroy();
  }
}
