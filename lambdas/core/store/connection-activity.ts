/**
 * Every frame a connection sends is counted against a fixed rate window kept
 * on its own record. The count and the read of the record are one UpdateItem,
 * so rate limiting costs no round trip beyond the read every frame needs.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import { keys } from '../table.js';
import { CONNECTION_RECORD, connectionFromItem, type ConnectionRecord } from './connections.js';
import { optionalNumber, requiredNumber } from './item.js';

export type FrameOutcome =
  | { readonly kind: 'accepted'; readonly record: ConnectionRecord }
  /** No live record: never connected, purged, or expired. */
  | { readonly kind: 'unknown' }
  /** `retryAfterMs`: until the window ends, when the connection may send again. */
  | { readonly kind: 'rate-limited'; readonly retryAfterMs: number };

/**
 * Counts one frame for the connection and returns its live record, unless the
 * record is gone or expired, or this window's budget is spent.
 */
export async function countFrame(connectionId: string, startingWindow = false, attempt = 0): Promise<FrameOutcome> {
  const now = nowSeconds();
  const window = Math.floor(now / config.rateLimitWindowSeconds);
  try {
    const { Attributes } = await dynamo.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: keys.connection(connectionId),
        ...(startingWindow
          ? {
              UpdateExpression: 'SET frameWindow = :window, frameCount = :one',
              ConditionExpression: 'expiresAt > :now AND (attribute_not_exists(frameWindow) OR frameWindow < :window)',
              ExpressionAttributeValues: { ':now': now, ':window': window, ':one': 1 },
            }
          : {
              UpdateExpression: 'ADD frameCount :one',
              ConditionExpression: 'expiresAt > :now AND frameWindow = :window AND frameCount < :max',
              ExpressionAttributeValues: { ':now': now, ':window': window, ':one': 1, ':max': config.rateLimitFrames },
            }),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'accepted', record: connectionFromItem(Attributes ?? {}) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The document client leaves the failed item in DynamoDB's wire format.
    const old = error.Item === undefined ? undefined : unmarshall(error.Item);
    if (old === undefined || requiredNumber(old, 'expiresAt', CONNECTION_RECORD) <= now) return { kind: 'unknown' };
    // Absent until the connection's first frame opens a window.
    const storedWindow = optionalNumber(old, 'frameWindow', CONNECTION_RECORD);
    if (storedWindow === window && !startingWindow) {
      const windowEndsAtMs = (window + 1) * config.rateLimitWindowSeconds * 1000;
      return { kind: 'rate-limited', retryAfterMs: Math.max(0, windowEndsAtMs - Date.now()) };
    }
    // Another container whose clock runs ahead opened a later window: let the
    // frame through rather than loop or punish the client for clock skew.
    if (attempt >= 2 || (storedWindow !== undefined && storedWindow > window)) return { kind: 'accepted', record: connectionFromItem(old) };
    // The first frame of a new window opens it; when a concurrent frame opened
    // it first, this one simply counts in it.
    return countFrame(connectionId, storedWindow !== window, attempt + 1);
  }
}
