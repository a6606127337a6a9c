import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, roomPartition, userPartition, type ItemKey } from '../../lambdas/core/table.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';

/**
 * Direct reads and writes of the test file's table, to check what the
 * handlers stored (and did not store) and to plant expired items.
 */
const client = DynamoDBDocumentClient.from(
  localDynamoDbClient(process.env.DYNAMODB_ENDPOINT as string),
);

const tableName = (): string => process.env.TABLE_NAME as string;

export async function getItem(key: ItemKey): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
  return Item;
}

export async function partitionItems(pk: string): Promise<Record<string, unknown>[]> {
  const { Items } = await client.send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

/** Every item that belongs to the connection, wherever it lives. */
export async function connectionItems(connectionId: string, userId: string, rooms: readonly string[] = []) {
  const [connection, userLinks, ...roomItems] = await Promise.all([
    getItem(keys.connection(connectionId)),
    partitionItems(userPartition(userId)),
    ...rooms.map((room) => partitionItems(roomPartition(room))),
  ]);
  const mine = (item: Record<string, unknown>) => String(item.sk) === `CONN#${connectionId}`;
  return {
    connection,
    userLink: userLinks.find(mine),
    memberships: roomItems.flatMap((items) => items.filter(mine)),
  };
}

export async function setExpiresAt(key: ItemKey, expiresAt: number): Promise<void> {
  await client.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: key,
      UpdateExpression: 'SET expiresAt = :e',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':e': expiresAt },
    }),
  );
}

/**
 * Makes every item of a connection expire at `expiresAt`, as happens to a
 * connection API Gateway dropped without `$disconnect` once time passes: the
 * record, its user and everyone-set links and its memberships together.
 */
export async function expireConnection(connectionId: string, expiresAt: number): Promise<void> {
  const record = await getItem(keys.connection(connectionId));
  if (record === undefined) throw new Error(`connection ${connectionId} has no record`);
  const rooms = record.rooms instanceof Set ? [...(record.rooms as Set<string>)] : [];
  const itemKeys = [
    keys.connection(connectionId),
    keys.userConnection(String(record.userId), connectionId),
    keys.broadcastMember(Number(record.broadcastShard), connectionId),
    ...rooms.map((room) => keys.membership(room, connectionId)),
  ];
  for (const key of itemKeys) await setExpiresAt(key, expiresAt);
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** How many items the whole table holds. A Scan: fine in a test, never on a hot path. */
export async function countAllItems(): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName(), Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return count;
}

export async function deleteItem(key: ItemKey): Promise<void> {
  await client.send(new DeleteCommand({ TableName: tableName(), Key: key }));
}
