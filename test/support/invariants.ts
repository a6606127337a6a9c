/**
 * What must hold of the whole table whenever no request is in flight,
 * checked by reading every item (a Scan: fine for a test, never on a
 * request's path). Each integration test file that writes ends with this
 * check, and so do the fuzz and soak runs.
 */
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeStoredMessage } from '../../lambdas/core/store/stored-message.js';
import { broadcastPartition, keys, userPartition } from '../../lambdas/core/table.js';

export type TableItem = Record<string, unknown>;

/** Every item of the table, strongly consistent. */
export async function readWholeTable(client: DynamoDBClient, tableName: string): Promise<TableItem[]> {
  const documents = DynamoDBDocumentClient.from(client);
  const items: TableItem[] = [];
  for await (const page of paginateScan({ client: documents }, { TableName: tableName, ConsistentRead: true })) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/**
 * Every broken invariant, one sentence each; an empty list when the table is
 * sound. Items whose `expiresAt` has passed are garbage waiting for TTL:
 * reads ignore them, so only the live ones must agree with each other.
 */
export function findViolations(items: readonly TableItem[], now = Math.floor(Date.now() / 1000)): string[] {
  const violations: string[] = [];
  const byKey = new Map(items.map((item) => [keyOf(item), item]));
  const live = (item: TableItem | undefined): item is TableItem => item !== undefined && Number(item.expiresAt) > now;

  for (const item of items) {
    if (typeof item.expiresAt !== 'number' || !Number.isFinite(item.expiresAt)) {
      violations.push(`${keyOf(item)} has no numeric expiresAt`);
    }
  }

  const connections = items.filter((item) => String(item.pk).startsWith('CONN#') && item.sk === 'META');
  for (const connection of connections.filter(live)) {
    const id = String(connection.connectionId);
    const userId = String(connection.userId);
    if (`CONN#${id}` !== connection.pk) violations.push(`${keyOf(connection)} names connection ${id}`);
    if (!byKey.has(keyOf(keys.userConnection(userId, id)))) violations.push(`connection ${id} has no link from user ${userId}`);
    const shard = Number(connection.broadcastShard);
    if (!byKey.has(keyOf(keys.broadcastMember(shard, id)))) violations.push(`connection ${id} is missing from everyone-set shard ${shard}`);
    for (const room of stringSet(connection.rooms)) {
      if (!byKey.has(keyOf(keys.membership(room, id)))) violations.push(`connection ${id} lists room ${room} but has no membership there`);
    }
  }

  for (const item of items.filter((candidate) => String(candidate.sk).startsWith('CONN#')).filter(live)) {
    const id = String(item.sk).slice('CONN#'.length);
    const connection = byKey.get(keyOf(keys.connection(id)));
    const pk = String(item.pk);
    const what = pk.startsWith('ROOM#') ? 'membership' : pk.startsWith('USER#') ? 'user link' : 'everyone-set link';
    if (!live(connection)) {
      violations.push(`${what} ${keyOf(item)} points at no live connection`);
      continue;
    }
    if (item.userId !== connection.userId) violations.push(`${what} ${keyOf(item)} names user ${String(item.userId)}, the connection ${String(connection.userId)}`);
    if (pk.startsWith('ROOM#') && !stringSet(connection.rooms).has(pk.slice('ROOM#'.length))) {
      violations.push(`membership ${keyOf(item)} is not in the connection's rooms`);
    }
    if (pk.startsWith('USER#') && pk !== userPartition(String(connection.userId))) violations.push(`user link ${keyOf(item)} is in another user's partition`);
    if (pk.startsWith('ALL#') && pk !== broadcastPartition(Number(connection.broadcastShard))) violations.push(`everyone-set link ${keyOf(item)} is in the wrong shard`);
  }

  violations.push(...historyViolations(items, byKey));
  return violations;
}

/** Per room: each stored message sits at its own `seq`, at most the counter, once per id and per sender's `clientMsgId`. */
function historyViolations(items: readonly TableItem[], byKey: ReadonlyMap<string, TableItem>): string[] {
  const violations: string[] = [];
  const rooms = new Map<string, TableItem[]>();
  for (const item of items) {
    if (!String(item.pk).startsWith('ROOM#') || !String(item.sk).startsWith('MSG#')) continue;
    const room = String(item.pk).slice('ROOM#'.length);
    rooms.set(room, [...(rooms.get(room) ?? []), item]);
  }
  for (const [room, stored] of rooms) {
    const counter = Number(byKey.get(keyOf(keys.roomSequence(room)))?.seq ?? 0);
    const ids = new Set<string>();
    const clientMsgIds = new Set<string>();
    for (const item of stored) {
      const message = storedMessageOf(item) as { id?: unknown; seq?: unknown; room?: unknown; from?: { userId?: unknown } };
      const seq = Number(message.seq);
      if (keyOf(keys.roomMessage(room, seq)) !== keyOf(item) || message.room !== room) {
        violations.push(`${keyOf(item)} holds message ${String(message.room)}/${String(message.seq)}`);
      }
      if (!(seq <= counter)) violations.push(`room ${room} stored seq ${seq} beyond its counter ${counter}`);
      const id = String(message.id);
      if (ids.has(id)) violations.push(`room ${room} stored message ${id} twice`);
      ids.add(id);
      if (item.clientMsgId !== undefined) {
        const sent = `${String(message.from?.userId)}/${String(item.clientMsgId)}`;
        if (clientMsgIds.has(sent)) violations.push(`room ${room} stored clientMsgId ${sent} twice`);
        clientMsgIds.add(sent);
      }
    }
  }
  for (const claim of items.filter((item) => String(item.sk).startsWith('SENT#'))) {
    const message = storedMessageOf(claim) as { id?: unknown; seq?: unknown; room?: unknown };
    const stored = byKey.get(keyOf(keys.roomMessage(String(message.room), Number(message.seq))));
    const storedId = stored === undefined ? undefined : (storedMessageOf(stored) as { id?: unknown }).id;
    if (stored !== undefined && storedId !== message.id) {
      violations.push(`${keyOf(claim)} claims seq ${String(message.seq)}, which holds another message`);
    }
  }
  return violations;
}

/**
 * Reads the table until it is sound or `timeoutMs` passes, and returns what
 * is still broken then: clean-up after a close runs asynchronously, so a
 * moment's disagreement is not a fault, but one that lasts is.
 */
export async function settledViolations(client: DynamoDBClient, tableName: string, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const violations = findViolations(await readWholeTable(client, tableName));
    if (violations.length === 0 || Date.now() >= deadline) return violations;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function storedMessageOf(item: TableItem): unknown {
  return item.message === undefined ? {} : decodeStoredMessage(item.message);
}

export function keyOf(item: { pk?: unknown; sk?: unknown }): string {
  return `${String(item.pk)}|${String(item.sk)}`;
}

function stringSet(value: unknown): Set<string> {
  if (value instanceof Set) return new Set([...value].map(String));
  if (Array.isArray(value)) return new Set(value.map(String));
  return new Set();
}

/** Items per kind (the part of the key before `#`), for a summary after a run. */
export function countItemsByKind(items: readonly TableItem[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const kind = `${String(item.pk).split('#')[0]}/${String(item.sk).split('#')[0]}`;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
