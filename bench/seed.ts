/**
 * Fills the table fast for the bench: the items `putConnection` and
 * `addMembership` write for a connection that joined one room (connection
 * record, user link, everyone-set link, membership), but through BatchWrite,
 * 25 items per call, instead of two transactions per connection: seeding
 * 20,000 members takes seconds rather than minutes on DynamoDB Local.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import pMap from 'p-map';
import { dynamo } from '../lambdas/core/clients.js';
import { config } from '../lambdas/core/config.js';
import { connectionExpiry } from '../lambdas/core/store/connections.js';
import { broadcastShardOf, keys } from '../lambdas/core/table.js';

export interface SeedOptions {
  readonly prefix: string;
  readonly count: number;
  /** The room connection `i` has joined. */
  readonly roomOf: (i: number) => string;
}

/** Writes the connections; resolves with their ids, in order. */
export async function seedConnections({ prefix, count, roomOf }: SeedOptions): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = connectionExpiry(now, now);
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-conn-${i}`);
  const items = ids.flatMap((connectionId, i) => {
    const userId = `${prefix}-user-${i}`;
    const room = roomOf(i);
    const broadcastShard = broadcastShardOf(connectionId, config.broadcastShards);
    const link = { connectionId, userId, expiresAt };
    return [
      {
        ...keys.connection(connectionId),
        connectionId,
        userId,
        name: userId,
        allowedRooms: [],
        roles: [],
        rooms: new Set([room]),
        connectedAt: now,
        expiresAt,
        broadcastShard,
      },
      { ...keys.userConnection(userId, connectionId), ...link },
      { ...keys.broadcastMember(broadcastShard, connectionId), ...link },
      { ...keys.membership(room, connectionId), connectionId, userId, name: userId, joinedAt: now, expiresAt },
    ];
  });
  const calls = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
  await pMap(
    calls,
    async (batch) => {
      let pending: Record<string, unknown>[] = batch;
      while (pending.length > 0) {
        const { UnprocessedItems } = await dynamo.send(
          new BatchWriteCommand({ RequestItems: { [config.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
        );
        pending = (UnprocessedItems?.[config.tableName] ?? []).flatMap((request) => (request.PutRequest?.Item ? [request.PutRequest.Item] : []));
      }
    },
    { concurrency: 12 },
  );
  return ids;
}
