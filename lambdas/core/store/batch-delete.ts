import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import type { ItemKey } from '../table.js';

const BATCH_LIMIT = 25;
const MAX_ROUNDS = 8;

/**
 * Deletes items by key. Deletes are idempotent, so unprocessed items (the
 * table was throttled) are simply sent again, with backoff.
 */
export async function deleteItems(itemKeys: readonly ItemKey[]): Promise<void> {
  for (let start = 0; start < itemKeys.length; start += BATCH_LIMIT) {
    let pending = itemKeys.slice(start, start + BATCH_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === MAX_ROUNDS) throw new Error(`${pending.length} deletes still unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await sleep(Math.random() * 25 * 2 ** round);
      const { UnprocessedItems } = await dynamo.send(
        new BatchWriteCommand({ RequestItems: { [config.tableName]: pending } }),
      );
      pending = (UnprocessedItems?.[config.tableName] ?? []).flatMap((request) =>
        request.DeleteRequest?.Key === undefined ? [] : [{ DeleteRequest: { Key: request.DeleteRequest.Key as ItemKey } }],
      );
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
