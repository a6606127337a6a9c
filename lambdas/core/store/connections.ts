/**
 * Connection records: `CONN#<id>/META` (who, which rooms, until when), the
 * user's link `USER#<user>/CONN#<id>` (private messages, per-user limit) and
 * the everyone-set link `ALL#<shard>/CONN#<id>` (broadcasts).
 */
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import type { Identity } from '../identity.js';
import {
  broadcastPartition,
  broadcastShardOf,
  keys,
  userPartition,
  type ItemKey,
} from '../table.js';
import { deleteItems } from './batch-delete.js';
import { getItems } from './batch-get.js';
import { optionalNumber, requiredNumber, requiredString, stringList, stringSet, type Item, type RecordRef } from './item.js';
import { connectionIdOf, liveConnectionItemsQuery, queryAll, queryPages } from './query.js';
import { cancelledFor } from './transaction-errors.js';

export interface ConnectionRecord {
  readonly connectionId: string;
  readonly userId: string;
  readonly name: string;
  /** The token's private-room allowance (`Identity.allowedRooms`). */
  readonly allowedRooms: readonly string[];
  readonly roles: readonly string[];
  /** Rooms this connection has joined: the item's string set `rooms`. */
  readonly joinedRooms: readonly string[];
  /** Epoch seconds. */
  readonly connectedAt: number;
  readonly expiresAt: number;
  readonly broadcastShard: number;
  readonly tokenExpiresAt?: number;
}

/**
 * Records outlive the gateway's own timeout by this much so that clock skew
 * never hides a connection that API Gateway still holds open.
 */
const EXPIRY_GRACE_SECONDS = 60;

/**
 * When a connection's records expire if it stays idle from `now` on: half an
 * idle window beyond API Gateway's own idle deadline, so that records written
 * now cover every frame of the next half window without being written again
 * (see `expiryIsDue`), and never past the connection's maximum lifetime.
 */
export function connectionExpiry(connectedAt: number, now = nowSeconds()): number {
  const idleDeadline = now + config.connectionIdleSeconds * 1.5;
  const lifetimeDeadline = connectedAt + config.connectionMaxSeconds;
  return Math.min(idleDeadline, lifetimeDeadline) + EXPIRY_GRACE_SECONDS;
}

/**
 * Whether a frame arriving `now` must move the records' expiry forward: when
 * they would expire before API Gateway's idle deadline for this frame, unless
 * the connection's maximum lifetime caps them already.
 */
export function expiryIsDue(connection: ConnectionRecord, now = nowSeconds()): boolean {
  const covered = connection.expiresAt >= now + config.connectionIdleSeconds + EXPIRY_GRACE_SECONDS;
  return !covered && connectionExpiry(connection.connectedAt, now) > connection.expiresAt;
}

/** Writes the connection and its user and everyone-set links in one transaction. */
export async function putConnection(connectionId: string, identity: Identity): Promise<ConnectionRecord> {
  const connectedAt = nowSeconds();
  const expiresAt = connectionExpiry(connectedAt, connectedAt);
  const broadcastShard = broadcastShardOf(connectionId, config.broadcastShards);
  const record: ConnectionRecord = {
    connectionId,
    userId: identity.userId,
    name: identity.name,
    allowedRooms: identity.allowedRooms,
    roles: identity.roles,
    joinedRooms: [],
    connectedAt,
    expiresAt,
    broadcastShard,
    ...(identity.tokenExpiresAt === undefined ? {} : { tokenExpiresAt: identity.tokenExpiresAt }),
  };
  // The item's attributes are the record's fields but for the joined rooms:
  // none yet, and DynamoDB stores no empty set (`rooms` appears with the first join).
  const { joinedRooms: _none, ...stored } = record;
  const link = { connectionId, userId: identity.userId, expiresAt };
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: config.tableName,
            Item: { ...keys.connection(connectionId), ...stored },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: config.tableName, Item: { ...keys.userConnection(identity.userId, connectionId), ...link } } },
        { Put: { TableName: config.tableName, Item: { ...keys.broadcastMember(broadcastShard, connectionId), ...link } } },
      ],
    }),
  );
  return record;
}

/** The connection's record, expired or not: cleanup must still find its rooms. */
export async function getConnectionRecord(connectionId: string): Promise<ConnectionRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: config.tableName, Key: keys.connection(connectionId), ConsistentRead: true }),
  );
  return Item === undefined ? undefined : connectionFromItem(Item);
}

/** Names connection records in the errors of malformed items. */
export const CONNECTION_RECORD: RecordRef = { kind: 'connection' };

/**
 * The connection record an item holds. The attribute `rooms` (the joined
 * rooms) keeps its name in the table, and this is the one place that reads it
 * as `joinedRooms`; it is absent until the first join (DynamoDB stores no
 * empty set), and so is `tokenExpiresAt` for a token without `exp`.
 */
export function connectionFromItem(item: Item): ConnectionRecord {
  const tokenExpiresAt = optionalNumber(item, 'tokenExpiresAt', CONNECTION_RECORD);
  return {
    connectionId: requiredString(item, 'connectionId', CONNECTION_RECORD),
    userId: requiredString(item, 'userId', CONNECTION_RECORD),
    name: requiredString(item, 'name', CONNECTION_RECORD),
    allowedRooms: stringList(item, 'allowedRooms', CONNECTION_RECORD),
    roles: stringList(item, 'roles', CONNECTION_RECORD),
    joinedRooms: stringSet(item, 'rooms', CONNECTION_RECORD),
    connectedAt: requiredNumber(item, 'connectedAt', CONNECTION_RECORD),
    expiresAt: requiredNumber(item, 'expiresAt', CONNECTION_RECORD),
    broadcastShard: requiredNumber(item, 'broadcastShard', CONNECTION_RECORD),
    ...(tokenExpiresAt === undefined ? {} : { tokenExpiresAt }),
  };
}

/** Ids of the user's connections that have not expired. */
export async function listLiveUserConnections(userId: string): Promise<string[]> {
  const pk = userPartition(userId);
  const items = await queryAll({ ...liveConnectionItemsQuery(pk), ProjectionExpression: 'sk' });
  const link: RecordRef = { kind: "user's connection", pk };
  return items.map((item) => connectionIdOf(item, link));
}

/** How many live connections the user holds (the per-user limit counts these). */
export async function countLiveUserConnections(userId: string): Promise<number> {
  const { Count } = await dynamo.send(
    new QueryCommand({ ...liveConnectionItemsQuery(userPartition(userId)), Select: 'COUNT' }),
  );
  return Count ?? 0;
}

/**
 * Pushes the idle expiry of the connection and every item that points at it
 * forward. Each update is conditional on the item still existing, so a
 * refresh racing a purge never resurrects a deleted record.
 */
export async function refreshConnectionExpiry(connection: ConnectionRecord): Promise<number> {
  const expiresAt = connectionExpiry(connection.connectedAt);
  const itemKeys = [
    keys.connection(connection.connectionId),
    keys.userConnection(connection.userId, connection.connectionId),
    keys.broadcastMember(connection.broadcastShard, connection.connectionId),
    ...connection.joinedRooms.map((room) => keys.membership(room, connection.connectionId)),
  ];
  await Promise.all(
    itemKeys.map((key) =>
      dynamo
        .send(
          new UpdateCommand({
            TableName: config.tableName,
            Key: key,
            UpdateExpression: 'SET expiresAt = :expiresAt',
            ConditionExpression: 'attribute_exists(pk) AND expiresAt < :expiresAt',
            ExpressionAttributeValues: { ':expiresAt': expiresAt },
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }),
    ),
  );
  return expiresAt;
}

/** The most items one TransactWriteItems call may hold. */
const TRANSACTION_LIMIT = 100;
/** A purge raced by another write to the connection's items reads the record again and retries, this often in all. */
const PURGE_ATTEMPTS = 4;

/**
 * Deletes every item of a connection: its record, its user and everyone-set
 * links and its memberships, all or none (one transaction), so a purge cut
 * short never leaves a record listing rooms it is no longer in. The record is
 * deleted only if its rooms are still the ones read: a join that lands
 * between the read and the delete fails the condition, and the purge reads
 * the record again and takes the new membership with it, instead of leaving
 * it behind pointing at nothing. `alsoRooms` names rooms known to hold a
 * membership the record may not list (a purge found through a room's fan-out
 * after the record was already gone).
 *
 * A connection holds at most `MAX_ROOMS_PER_CONNECTION` rooms (50 by
 * default), so it fits one transaction; were it configured above what one
 * holds, the items are deleted in batches instead, the record last, so that
 * running the purge again finishes it.
 */
export async function deleteConnectionItems(
  connectionId: string,
  record: ConnectionRecord | undefined,
  alsoRooms: readonly string[] = [],
): Promise<void> {
  let current = record;
  for (let attempt = 1; ; attempt += 1) {
    const dependents = dependentKeys(connectionId, current, alsoRooms);
    if (dependents.length + 1 > TRANSACTION_LIMIT) {
      await deleteItems(dependents);
      await deleteItems([keys.connection(connectionId)]);
      return;
    }
    try {
      await dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            ...dependents.map((Key) => ({ Delete: { TableName: config.tableName, Key } })),
            { Delete: { TableName: config.tableName, Key: keys.connection(connectionId), ...roomsStillAsRead(current) } },
          ],
        }),
      );
      return;
    } catch (error) {
      if (attempt >= PURGE_ATTEMPTS || !cancelledFor(error, ['TransactionConflict', 'ConditionalCheckFailed'])) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt));
      current = await getConnectionRecord(connectionId);
    }
  }
}

function dependentKeys(connectionId: string, record: ConnectionRecord | undefined, alsoRooms: readonly string[]): ItemKey[] {
  const rooms = new Set([...(record?.joinedRooms ?? []), ...alsoRooms]);
  const dependents = [...rooms].map((room) => keys.membership(room, connectionId));
  if (record !== undefined) {
    dependents.push(keys.userConnection(record.userId, connectionId));
    dependents.push(keys.broadcastMember(record.broadcastShard, connectionId));
  }
  return dependents;
}

/** The condition that the record is gone or holds exactly the rooms it held when read (an empty set is no attribute). */
function roomsStillAsRead(record: ConnectionRecord | undefined) {
  if (record === undefined) return { ConditionExpression: 'attribute_not_exists(pk)' };
  if (record.joinedRooms.length === 0) return { ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(rooms)' };
  const names = record.joinedRooms.map((_, index) => `:room${index}`);
  const values = Object.fromEntries(record.joinedRooms.map((room, index) => [`:room${index}`, room]));
  return {
    ConditionExpression: `attribute_not_exists(pk) OR (size(rooms) = :roomCount AND ${names.map((name) => `contains(rooms, ${name})`).join(' AND ')})`,
    ExpressionAttributeValues: { ':roomCount': record.joinedRooms.length, ...values },
  };
}

/**
 * Ids of every live connection, a page at a time: each everyone-set partition
 * `ALL#<shard>` in turn, Queried (never Scanned) with expired links filtered
 * out. Strongly consistent like a room's fan-out, so a connection registered
 * before a broadcast started hears it. A page may be empty (all filtered).
 */
export async function* everyoneConnectionPages(): AsyncGenerator<string[]> {
  for (let shard = 0; shard < config.broadcastShards; shard += 1) {
    const pk = broadcastPartition(shard);
    const link: RecordRef = { kind: 'everyone-set', pk };
    const pages = queryPages({ ...liveConnectionItemsQuery(pk), ProjectionExpression: 'sk' });
    for await (const page of pages) yield page.map((item) => connectionIdOf(item, link));
  }
}

/**
 * The live records of these connections (BatchGetItem, 100 keys a request);
 * ids without a record, or whose record has expired, are left out.
 */
export async function getLiveConnections(connectionIds: readonly string[]): Promise<ConnectionRecord[]> {
  const now = nowSeconds();
  const items = await getItems(connectionIds.map((connectionId) => keys.connection(connectionId)));
  return items.map(connectionFromItem).filter((record) => record.expiresAt > now);
}
