/**
 * Room history: the counter `ROOM#<room>/SEQ` hands out strictly increasing
 * `seq`s, and each room message is stored as `ROOM#<room>/MSG#<seq>` until
 * the history retention passes.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import type { MessageFrame } from '../protocol.js';
import { keys, LAST_MESSAGE_SORT_KEY, messageSortKey, roomPartition } from '../table.js';
import { malformedItem, requiredNumber, type Item, type RecordRef } from './item.js';
import { encodeStoredMessage, messageFrameFromItem } from './stored-message.js';
import { queryAll } from './query.js';

/**
 * The counter outlives the history by far: were it to expire and restart at 1
 * while clients still remember a higher `seq`, they would skip new messages.
 */
const SEQUENCE_RETENTION_SECONDS = 30 * 86_400;

const ROOM_COUNTER: RecordRef = { kind: 'room counter' };
const ROOM_MESSAGE: RecordRef = { kind: 'room message' };
const SENT_CLIENT_MESSAGE: RecordRef = { kind: 'sent clientMsgId' };

/** The room's next `seq`. An atomic counter: concurrent senders never share one. */
export async function nextSequence(room: string): Promise<number> {
  const key = keys.roomSequence(room);
  const { Attributes } = await dynamo.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: key,
      UpdateExpression: 'ADD seq :one SET expiresAt = :expiresAt',
      ExpressionAttributeValues: {
        ':one': 1,
        ':expiresAt': nowSeconds() + Math.max(SEQUENCE_RETENTION_SECONDS, config.historyTtlSeconds),
      },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  // The returned attributes are the updated ones only: the key is not among them.
  return requiredNumber(Attributes ?? {}, 'seq', { ...ROOM_COUNTER, ...key });
}

/** The last `seq` handed out in the room, 0 for a room without messages. */
export async function lastSequence(room: string): Promise<number> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: config.tableName, Key: keys.roomSequence(room), ConsistentRead: true }),
  );
  if (Item === undefined || requiredNumber(Item, 'expiresAt', ROOM_COUNTER) <= nowSeconds()) return 0;
  return requiredNumber(Item, 'seq', ROOM_COUNTER);
}

export type StoredMessage = MessageFrame & { room: string; seq: number };

/** Who sent a message with which `clientMsgId`: the key that makes a resend a no-op. */
export interface ClientMessageRef {
  readonly userId: string;
  readonly clientMsgId: string;
}

/**
 * Claims a `clientMsgId` for a message about to be sent: a conditional Put of
 * a record that holds the whole message. Resolves with the earlier message
 * when the id was already claimed (a client retrying after a lost `ack`).
 *
 * Not a transaction with the history write: a transaction costs twice the
 * write units of its items, and the claim alone is enough to make a resend
 * safe. Should the function stop between the claim and the history write,
 * the resend finds the claim and `restoreMessage` writes what was missed.
 */
export async function claimClientMessage(message: StoredMessage, sent: ClientMessageRef): Promise<StoredMessage | undefined> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: config.tableName,
        Item: {
          ...keys.sentClientMessage(sent.userId, message.room, sent.clientMsgId),
          message: encodeStoredMessage(message),
          expiresAt: historyExpiry(),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': nowSeconds() },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return undefined;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException) || error.Item === undefined) throw error;
    // The document client leaves the failed item in DynamoDB's wire format.
    return claimedMessageFromItem(unmarshall(error.Item));
  }
}

/** The message a `clientMsgId` claim holds: a room message, so with its `room` and `seq`. */
export function claimedMessageFromItem(item: Item): StoredMessage {
  const message = messageFrameFromItem(item, SENT_CLIENT_MESSAGE);
  if (!isRoomMessage(message)) throw malformedItem(item, SENT_CLIENT_MESSAGE, 'message', 'holds a message without room and seq');
  return message;
}

function isRoomMessage(message: MessageFrame): message is StoredMessage {
  return message.room !== undefined && message.seq !== undefined;
}

/**
 * Stores a room message for `history`, readable until the history retention
 * passes. The sender's `clientMsgId` is kept beside the frame (not in it), so
 * a check of the table can prove one `clientMsgId` was stored once.
 */
export async function storeMessage(message: StoredMessage, sent?: ClientMessageRef): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: config.tableName,
      Item: historyItem(message, sent),
    }),
  );
}

/**
 * Writes a claimed message to history again, unless it is there: repairs a
 * send whose function stopped between its claim and its history write.
 */
export async function restoreMessage(message: StoredMessage, sent: ClientMessageRef): Promise<void> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: config.tableName,
        Item: historyItem(message, sent),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

function historyItem(message: StoredMessage, sent: ClientMessageRef | undefined): Record<string, unknown> {
  const clientMsgId = sent === undefined ? {} : { clientMsgId: sent.clientMsgId };
  return { ...keys.roomMessage(message.room, message.seq), message: encodeStoredMessage(message), ...clientMsgId, expiresAt: historyExpiry() };
}

function historyExpiry(): number {
  return nowSeconds() + config.historyTtlSeconds;
}

/** Stored messages with `seq > afterSeq`, oldest first, at most `limit`. */
export async function readHistory(room: string, afterSeq: number, limit: number): Promise<MessageFrame[]> {
  const items = await queryAll(
    {
      TableName: config.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: {
        ':pk': roomPartition(room),
        ':from': messageSortKey(afterSeq + 1),
        ':to': LAST_MESSAGE_SORT_KEY,
        ':now': nowSeconds(),
      },
      ScanIndexForward: true,
      ConsistentRead: true,
    },
    limit,
  );
  return items.map((item) => messageFrameFromItem(item, ROOM_MESSAGE));
}
