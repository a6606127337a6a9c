/**
 * Room memberships: `ROOM#<room>/CONN#<id>`, one per joined connection, kept
 * in agreement with the `rooms` set on the connection record (its
 * `joinedRooms`) by transactions.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import { keys, roomPartition } from '../table.js';
import { CONNECTION_RECORD, type ConnectionRecord } from './connections.js';
import { optionalNumber, requiredNumber, requiredString, type Item, type RecordRef } from './item.js';
import { cancelledFor } from './transaction-errors.js';
import { connectionIdOf, liveConnectionItemsQuery, queryAll, queryPages } from './query.js';

export interface RoomMembership {
  readonly connectionId: string;
  readonly userId: string;
  readonly name: string;
  /** Epoch seconds, to the millisecond: orders the room's members by arrival (room-transitions.ts). */
  readonly joinedAt: number;
}

export type AddMembershipOutcome = 'added' | 'connection-gone' | 'room-limit';

/**
 * Adds the room to the connection's `rooms` and writes its membership, both or
 * neither. Refused when the connection expired or was purged meanwhile, or
 * when it already holds `maxRoomsPerConnection` rooms.
 */
export async function addMembership(connection: ConnectionRecord, room: string): Promise<AddMembershipOutcome> {
  const now = nowSeconds();
  // To the millisecond, not the second: joins a second apart or less must
  // still sort in the order they were made.
  const joinedAt = Date.now() / 1000;
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: config.tableName,
              Key: keys.connection(connection.connectionId),
              UpdateExpression: 'ADD rooms :room',
              ConditionExpression:
                'attribute_exists(pk) AND expiresAt > :now AND (attribute_not_exists(rooms) OR size(rooms) < :max)',
              ExpressionAttributeValues: { ':room': new Set([room]), ':now': now, ':max': config.maxRoomsPerConnection },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: config.tableName,
              Item: {
                ...keys.membership(room, connection.connectionId),
                connectionId: connection.connectionId,
                userId: connection.userId,
                name: connection.name,
                joinedAt,
                expiresAt: connection.expiresAt,
              },
            },
          },
        ],
      }),
    );
    return 'added';
  } catch (error) {
    if (!cancelledFor(error, ['ConditionalCheckFailed'])) throw error;
    // Judged from the record as it was when the condition failed, not from the
    // caller's earlier read: a concurrent join may have filled the last slot.
    const failed = error.CancellationReasons?.[0]?.Item;
    const current = failed === undefined ? undefined : unmarshall(failed);
    if (current === undefined || requiredNumber(current, 'expiresAt', CONNECTION_RECORD) <= now) return 'connection-gone';
    return 'room-limit';
  }
}

/** Removes the room from the connection's `rooms` and deletes its membership, both or neither. */
export async function removeMembership(connectionId: string, room: string): Promise<void> {
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: config.tableName,
            Key: keys.connection(connectionId),
            UpdateExpression: 'DELETE rooms :room',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':room': new Set([room]) },
          },
        },
        { Delete: { TableName: config.tableName, Key: keys.membership(room, connectionId) } },
      ],
    }),
  );
}

function membersQuery(room: string) {
  return {
    ...liveConnectionItemsQuery(roomPartition(room)),
    ProjectionExpression: 'sk, userId, #name, joinedAt',
    ExpressionAttributeNames: { '#name': 'name' },
  };
}

function membershipRecord(room: string): RecordRef {
  return { kind: 'membership', pk: roomPartition(room) };
}

/**
 * Parses the room's membership items as `membersQuery` reads them, without
 * their `pk`: the room is named once here, not once an item.
 */
export function membershipParser(room: string): (item: Item) => RoomMembership {
  const record = membershipRecord(room);
  return (item) => ({
    connectionId: connectionIdOf(item, record),
    userId: requiredString(item, 'userId', record),
    name: requiredString(item, 'name', record),
    joinedAt: optionalNumber(item, 'joinedAt', record) ?? 0,
  });
}

/**
 * Ids of the room's live connections a page at a time, for fan-out. Strongly
 * consistent, so a member who has just joined (and was told `lastSeq`) gets
 * every message numbered after it.
 */
export async function* roomConnectionPages(room: string): AsyncGenerator<string[]> {
  const record = membershipRecord(room);
  const pages = queryPages({ ...liveConnectionItemsQuery(roomPartition(room)), ProjectionExpression: 'sk' });
  for await (const page of pages) yield page.map((item) => connectionIdOf(item, record));
}

/** Every live membership of the room. */
export async function listRoomMemberships(room: string): Promise<RoomMembership[]> {
  return (await queryAll(membersQuery(room))).map(membershipParser(room));
}
