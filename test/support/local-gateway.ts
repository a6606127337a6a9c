import { mintDevToken, type DevTokenOptions } from '../../local/dev-token.js';
import { LocalGateway, type LocalGatewayOptions } from '../../local/gateway/gateway.js';
import { WsClient } from './ws-client.js';

/**
 * Starts the local gateway on a free port and points the handlers' Management
 * API endpoint at it. One gateway per test file: the handlers read their
 * configuration once, on first use.
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const gateway = new LocalGateway({ port: 0, ...options });
  await gateway.start();
  process.env.MANAGEMENT_ENDPOINT = gateway.managementEndpoint;
  await gateway.warm();
  return gateway;
}

export interface SignedInClient {
  readonly client: WsClient;
  /** The id API Gateway gave the connection (clients never learn it; tests need it). */
  readonly connectionId: string;
}

/** A signed-in client: a dev token for the user, over a real socket. */
export async function connectAs(
  gateway: LocalGateway,
  userId: string,
  claims: Omit<DevTokenOptions, 'userId'> = {},
): Promise<SignedInClient> {
  const before = new Set(gateway.openConnectionIds);
  const token = await mintDevToken({ userId, ...claims });
  const client = await WsClient.connect(`${gateway.url}/?token=${encodeURIComponent(token)}`);
  const connectionId = gateway.openConnectionIds.find((id) => !before.has(id));
  if (connectionId === undefined) throw new Error('the gateway registered no new connection');
  return { client, connectionId };
}
