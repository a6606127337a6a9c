import { admitFrame, isClientAction, ProtocolError } from '../core/index.js';
import { decodeBody, errorFrame, errorResult, frameResult, webSocketRoute } from './adapter.js';
import type { WebSocketHandler } from './event.js';

/**
 * `$default`: frames no route matched. Not JSON, not an object, or no string
 * `action`: BAD_REQUEST. Any other action: UNKNOWN_ACTION. The frame is
 * admitted first like any other, so junk frames count against the rate limit.
 */
export const handler: WebSocketHandler = webSocketRoute(async (event) => {
  const { connectionId, requestId } = event.requestContext;
  try {
    await admitFrame({ connectionId, requestId });
    const frame = decodeBody(event);
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      throw new ProtocolError('BAD_REQUEST', 'a frame must be a JSON object with an action');
    }
    const { action } = frame as { action?: unknown };
    if (typeof action !== 'string' || action === '') {
      throw new ProtocolError('BAD_REQUEST', 'a frame must carry an action (a string)');
    }
    const known = isClientAction(action) ? ` (${action} is known but was not routed here)` : '';
    return frameResult(errorFrame(new ProtocolError('UNKNOWN_ACTION', `unknown action ${action}${known}`), requestId, action));
  } catch (error) {
    return errorResult(error, requestId);
  }
});
