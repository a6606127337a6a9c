import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import type { ItemKey } from '../table.js';

type Item = Record<string, unknown>;

/** DynamoDB's BatchGetItem limit per request. */
export const BATCH_GET_LIMIT = 100;
const MAX_ROUNDS = 8;

/**
 * The items under `itemKeys` that exist, in no particular order (BatchGetItem
 * does not keep it), strongly consistent. Keys DynamoDB leaves unprocessed
 * (throttling, or the 16 MB response limit) are asked for again, with backoff,
 * as AWS advises; after MAX_ROUNDS this throws rather than return a silently
 * partial answer.
 */
export async function getItems(itemKeys: readonly ItemKey[]): Promise<Item[]> {
  const found: Item[] = [];
  for (let start = 0; start < itemKeys.length; start += BATCH_GET_LIMIT) {
    let pending: Item[] = itemKeys.slice(start, start + BATCH_GET_LIMIT).map((key) => ({ ...key }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === MAX_ROUNDS) throw new Error(`${pending.length} reads still unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await sleep(Math.random() * 25 * 2 ** round);
      const { Responses, UnprocessedKeys } = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [config.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      found.push(...(Responses?.[config.tableName] ?? []));
      pending = UnprocessedKeys?.[config.tableName]?.Keys ?? [];
    }
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
