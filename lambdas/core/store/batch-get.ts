import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import type { ItemKey } from '../table.js';
import type { Item } from './item.js';
import { untilProcessed } from './unprocessed.js';

/** DynamoDB's BatchGetItem limit per request. */
export const BATCH_GET_LIMIT = 100;

/**
 * The items under `itemKeys` that exist, in no particular order (BatchGetItem
 * does not keep it), strongly consistent. Keys DynamoDB leaves unprocessed
 * (throttling, or the 16 MB response limit) are asked for again
 * (untilProcessed), never returned as a silently partial answer.
 */
export async function getItems(itemKeys: readonly ItemKey[]): Promise<Item[]> {
  const found: Item[] = [];
  for (let start = 0; start < itemKeys.length; start += BATCH_GET_LIMIT) {
    const keys: Item[] = itemKeys.slice(start, start + BATCH_GET_LIMIT).map((key) => ({ ...key }));
    await untilProcessed(
      keys,
      async (pending) => {
        const { Responses, UnprocessedKeys } = await dynamo.send(
          new BatchGetCommand({ RequestItems: { [config.tableName]: { Keys: [...pending], ConsistentRead: true } } }),
        );
        found.push(...(Responses?.[config.tableName] ?? []));
        return UnprocessedKeys?.[config.tableName]?.Keys ?? [];
      },
      'reads',
    );
  }
  return found;
}
