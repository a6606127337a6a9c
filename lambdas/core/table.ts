/**
 * The single table's shape: attribute names and every key format. Nothing
 * else spells `ROOM#…` or `CONN#…`; CDK, the local table setup, the store
 * and the tests all build keys here.
 */

export const TABLE_SCHEMA = Object.freeze({
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item some time after it. */
  ttlAttribute: 'expiresAt',
});

export interface ItemKey {
  pk: string;
  sk: string;
}

const META = 'META';
const SEQ = 'SEQ';
const CONN = 'CONN#';
const MSG = 'MSG#';
/** Wide enough for any seq a room reaches; keeps string order equal to number order. */
const SEQ_DIGITS = 15;

export const keys = {
  connection: (connectionId: string): ItemKey => ({ pk: `${CONN}${connectionId}`, sk: META }),
  membership: (room: string, connectionId: string): ItemKey => ({
    pk: roomPartition(room),
    sk: `${CONN}${connectionId}`,
  }),
  userConnection: (userId: string, connectionId: string): ItemKey => ({
    pk: userPartition(userId),
    sk: `${CONN}${connectionId}`,
  }),
  broadcastMember: (shard: number, connectionId: string): ItemKey => ({
    pk: broadcastPartition(shard),
    sk: `${CONN}${connectionId}`,
  }),
  roomSequence: (room: string): ItemKey => ({ pk: roomPartition(room), sk: SEQ }),
  /** A user's `clientMsgId` in a room, once used: room names hold no `#`, so the parts stay apart. */
  sentClientMessage: (userId: string, room: string, clientMsgId: string): ItemKey => ({
    pk: userPartition(userId),
    sk: `SENT#${room}#${clientMsgId}`,
  }),
  roomMessage: (room: string, seq: number): ItemKey => ({
    pk: roomPartition(room),
    sk: messageSortKey(seq),
  }),
};

export function roomPartition(room: string): string {
  return `ROOM#${room}`;
}

export function userPartition(userId: string): string {
  return `USER#${userId}`;
}

/** The partition holding one function's idempotency records (Powertools idempotency). */
export function idempotencyPartition(functionName: string): string {
  return `IDEMPOTENCY#${functionName}`;
}

export function broadcastPartition(shard: number): string {
  return `ALL#${shard}`;
}

/** Sort-key prefix shared by memberships, user links and broadcast links. */
export const CONNECTION_SORT_PREFIX = CONN;

export function messageSortKey(seq: number): string {
  return `${MSG}${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** The largest message sort key, the open end of a `history` range. */
export const LAST_MESSAGE_SORT_KEY = `${MSG}${'9'.repeat(SEQ_DIGITS)}`;

export function connectionIdFromSortKey(sk: string): string {
  return sk.slice(CONN.length);
}

/** Which everyone-set partition a connection lives in, stable for its lifetime. */
export function broadcastShardOf(connectionId: string, shards: number): number {
  let hash = 0;
  for (const char of connectionId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % shards;
}
