/**
 * Room history: the counter `ROOM#<room>/SEQ` hands out strictly increasing
 * `seq`s, and each room message is stored as `ROOM#<room>/MSG#<seq>` until
 * the history retention passes.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamo } from '../clients.js';
import { config } from '../config.js';
import { nowSeconds } from '../clock.js';
import type { MessageFrame } from '../protocol.js';
import { keys, LAST_MESSAGE_SORT_KEY, messageSortKey, roomPartition } from '../table.js';
import { queryAll } from './query.js';

/**
 * The counter outlives the history by far: were it to expire and restart at 1
 * while clients still remember a higher `seq`, they would skip new messages.
 */
const SEQUENCE_RETENTION_SECONDS = 30 * 86_400;

/** The room's next `seq`. An atomic counter: concurrent senders never share one. */
export async function nextSequence(room: string): Promise<number> {
  const { Attributes } = await dynamo.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: keys.roomSequence(room),
      UpdateExpression: 'ADD seq :one SET expiresAt = :expiresAt',
      ExpressionAttributeValues: {
        ':one': 1,
        ':expiresAt': nowSeconds() + Math.max(SEQUENCE_RETENTION_SECONDS, config.historyTtlSeconds),
      },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(Attributes?.seq);
}

/** The last `seq` handed out in the room, 0 for a room without messages. */
export async function lastSequence(room: string): Promise<number> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: config.tableName, Key: keys.roomSequence(room), ConsistentRead: true }),
  );
  if (Item === undefined || Number(Item.expiresAt) <= nowSeconds()) return 0;
  return Number(Item.seq);
}

type StoredMessage = MessageFrame & { room: string; seq: number };

/** Who sent a message with which `clientMsgId`: the key that makes a resend a no-op. */
export interface ClientMessageRef {
  readonly userId: string;
  readonly clientMsgId: string;
}

/**
 * Stores a room message for `history`. With a `clientMsgId`, the message and
 * a record of that id are written in one transaction, so a resend of the same
 * id (a client retrying after a lost `ack`) stores nothing and gets the first
 * message's `id` and `seq` back instead.
 */
export async function storeMessage(
  message: StoredMessage,
  sent?: ClientMessageRef,
): Promise<{ duplicateOf?: { id: string; seq: number } }> {
  const expiresAt = nowSeconds() + config.historyTtlSeconds;
  const put = { TableName: config.tableName, Item: { ...keys.roomMessage(message.room, message.seq), message, expiresAt } };
  if (sent === undefined) {
    await dynamo.send(new PutCommand(put));
    return {};
  }
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: put },
          {
            Put: {
              TableName: config.tableName,
              Item: {
                ...keys.sentClientMessage(sent.userId, message.room, sent.clientMsgId),
                messageId: message.id,
                seq: message.seq,
                expiresAt,
              },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
              ExpressionAttributeValues: { ':now': nowSeconds() },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      }),
    );
    return {};
  } catch (error) {
    const earlier = (error as TransactionCanceledException).CancellationReasons?.[1]?.Item;
    if (!(error instanceof TransactionCanceledException) || earlier === undefined) throw error;
    const { messageId, seq } = unmarshall(earlier);
    return { duplicateOf: { id: String(messageId), seq: Number(seq) } };
  }
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
  return items.map((item) => item.message as MessageFrame);
}
