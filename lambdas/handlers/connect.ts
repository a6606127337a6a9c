import { connect, ConnectionRefused, fromAuthorizerContext, logger } from '../core/index.js';
import { webSocketRoute } from './adapter.js';
import type { WebSocketHandler } from './event.js';

/** `$connect`: a non-2xx answer refuses the handshake with that status. */
export const handler: WebSocketHandler = webSocketRoute(async (event) => {
  try {
    const identity = fromAuthorizerContext(event.requestContext.authorizer);
    await connect(event.requestContext.connectionId, identity);
    return { statusCode: 200 };
  } catch (error) {
    if (error instanceof ConnectionRefused) {
      logger.info('connection refused', { statusCode: error.statusCode, reason: error.message });
      return { statusCode: error.statusCode, body: error.message };
    }
    logger.error('connect failed', { error: error as Error });
    return { statusCode: 500, body: 'Internal server error' };
  }
});
