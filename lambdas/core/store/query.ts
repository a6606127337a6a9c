import { paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import { CONNECTION_SORT_PREFIX, connectionIdFromSortKey } from '../table.js';
import { requiredString, type Item, type RecordRef } from './item.js';

/**
 * The live `CONN#…` items of one partition (a room's memberships, a user's
 * links, an everyone-set shard): expired ones filtered out, strongly
 * consistent so a write just made is seen.
 */
export function liveConnectionItemsQuery(pk: string) {
  return {
    TableName: config.tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'expiresAt > :now',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': CONNECTION_SORT_PREFIX, ':now': nowSeconds() },
    ConsistentRead: true,
  } satisfies QueryCommandInput;
}

/** The connection a `CONN#…` item (membership, user's connection, everyone-set link) names in its sort key. */
export function connectionIdOf(item: Item, record: RecordRef): string {
  return connectionIdFromSortKey(requiredString(item, 'sk', record));
}

/** Every page of a Query, as it arrives: callers can act on one page while the next loads. */
export async function* queryPages(input: QueryCommandInput, pageSize = 500): AsyncGenerator<Item[]> {
  for await (const page of paginateQuery({ client: dynamo, pageSize }, input)) {
    yield page.Items ?? [];
  }
}

/**
 * Up to `max` items of a Query. A filter runs after `Limit`, so one page can
 * hold fewer matches than exist: keep paging until enough are found.
 */
export async function queryAll(input: QueryCommandInput, max = Number.POSITIVE_INFINITY): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(input)) {
    for (const item of page) {
      items.push(item);
      if (items.length >= max) return items;
    }
  }
  return items;
}
