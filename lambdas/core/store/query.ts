import { paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.js';

type Item = Record<string, unknown>;

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
