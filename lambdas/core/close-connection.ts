import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { managementClient } from './clients.js';
import { postToConnections } from './departures.js';
import { isGoneError } from './posting.js';
import { logger } from './observability.js';
import type { ServerFrame } from './protocol.js';

/**
 * Tells the client why (best effort), then has API Gateway close the socket;
 * API Gateway then runs `$disconnect`, which removes the connection's records.
 */
export async function closeConnection(connectionId: string, lastFrame: ServerFrame): Promise<void> {
  await postToConnections([{ connectionId }], lastFrame);
  try {
    await managementClient().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (error) {
    if (!isGoneError(error)) throw error;
  }
  logger.info('connection closed by the server', { connectionId, reason: lastFrame.type === 'error' ? lastFrame.message : lastFrame.type });
}
