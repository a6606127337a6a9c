import { disconnect, logger } from '../core/index.js';
import { webSocketRoute } from './adapter.js';
import type { WebSocketHandler } from './event.js';

/** `$disconnect`: best effort on API Gateway; TTL and 410 purges catch what it misses. */
export const handler: WebSocketHandler = webSocketRoute(async (event) => {
  const { disconnectStatusCode, disconnectReason } = event.requestContext;
  try {
    await disconnect(event.requestContext.connectionId);
    logger.info('disconnected', { disconnectStatusCode, disconnectReason });
  } catch (error) {
    logger.error('disconnect cleanup failed; records will expire', { error: error as Error });
  }
  return { statusCode: 200 };
});
