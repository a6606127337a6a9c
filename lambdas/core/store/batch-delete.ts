import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import type { ItemKey } from '../table.js';
import { untilProcessed } from './unprocessed.js';

const BATCH_LIMIT = 25;

/**
 * Deletes items by key. Deletes are idempotent, so unprocessed items (the
 * table was throttled) are simply sent again (untilProcessed).
 */
export async function deleteItems(itemKeys: readonly ItemKey[]): Promise<void> {
  for (let start = 0; start < itemKeys.length; start += BATCH_LIMIT) {
    const requests = itemKeys.slice(start, start + BATCH_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
    await untilProcessed(
      requests,
      async (pending) => {
        const { UnprocessedItems } = await dynamo.send(new BatchWriteCommand({ RequestItems: { [config.tableName]: [...pending] } }));
        return (UnprocessedItems?.[config.tableName] ?? []).flatMap((request) =>
          request.DeleteRequest?.Key === undefined ? [] : [{ DeleteRequest: { Key: request.DeleteRequest.Key as ItemKey } }],
        );
      },
      'deletes',
    );
  }
}
