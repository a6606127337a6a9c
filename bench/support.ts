/**
 * What the bench's parts share: quiet handlers, the local stack, real `ws`
 * clients, seeding the table, and percentiles.
 */
import { writeFileSync } from 'node:fs';
import pMap from 'p-map';
import WebSocket from 'ws';
import type { LocalStack } from '../local/local-stack.js';

/** Set before any handler module loads: they read their environment once. */
export function quietHandlers(extra: Record<string, string> = {}): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  Object.assign(process.env, extra);
}

export const quick = process.argv.includes('--quick');

/**
 * The local stack (DynamoDB Local, gateway, handlers) on free ports, the
 * handlers in this process: the bench measures our code, counts its AWS calls
 * from here and sets its limits through process.env, none of which reach
 * isolated runtimes.
 */
export async function startBenchStack(tableName: string): Promise<LocalStack> {
  process.env.TABLE_NAME = tableName;
  const { startLocalStack } = await import('../local/local-stack.js');
  const { freePort } = await import('../local/ports.js');
  const stack = await startLocalStack({ port: 0, dynamoDbPort: await freePort(), functions: 'in-process' });
  await stack.gateway.warm();
  return stack;
}

export interface BenchClient {
  readonly userId: string;
  readonly socket: WebSocket;
  /** Called with every frame this client receives. */
  onFrame: (frame: { type?: string; [key: string]: unknown }) => void;
}

/** Opens `count` real WebSocket connections through the authorizer and `$connect`, one user each. */
export async function openClients(url: string, prefix: string, count: number, concurrency = 8): Promise<BenchClient[]> {
  const { mintDevToken } = await import('../local/dev-token.js');
  return pMap(
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
    async (userId) => {
      const token = await mintDevToken({ userId });
      const socket = new WebSocket(`${url}/?token=${token}`);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const client: BenchClient = { userId, socket, onFrame: () => undefined };
      socket.on('message', (data: WebSocket.RawData) => client.onFrame(JSON.parse(data.toString()) as { type?: string }));
      return client;
    },
    { concurrency },
  );
}

export function closeClients(clients: readonly BenchClient[]): void {
  for (const { socket } of clients) socket.terminate();
}

/** Sends one frame and resolves with the first reply frame matching `matches`. */
export function request(
  client: BenchClient,
  frame: Record<string, unknown>,
  matches: (reply: { type?: string; [key: string]: unknown }) => boolean,
): Promise<{ type?: string; [key: string]: unknown }> {
  return new Promise((resolve) => {
    const previous = client.onFrame;
    client.onFrame = (reply) => {
      if (matches(reply)) {
        client.onFrame = previous;
        resolve(reply);
      } else previous(reply);
    };
    client.socket.send(JSON.stringify(frame));
  });
}

/**
 * Seats connected clients in a room through the store, as a join would but
 * without the join's announcements: the bench times fan-out, not the N²
 * `user_joined` frames of N members arriving one by one.
 */
export async function seatInRoom(clients: readonly BenchClient[], room: string): Promise<string[]> {
  const { listLiveUserConnections, getConnectionRecord } = await import('../lambdas/core/store/connections.js');
  const { addMembership } = await import('../lambdas/core/store/memberships.js');
  return pMap(
    clients,
    async ({ userId }) => {
      const [connectionId] = await listLiveUserConnections(userId);
      const record = connectionId === undefined ? undefined : await getConnectionRecord(connectionId);
      if (record === undefined) throw new Error(`${userId} has no live connection`);
      const outcome = await addMembership(record, room);
      if (outcome !== 'added') throw new Error(`could not seat ${userId}: ${outcome}`);
      return record.connectionId;
    },
    { concurrency: 16 },
  );
}

/**
 * Writes connections that have no socket, each a member of a room of its own
 * group of `roomSize`, as a busy deployment's table holds them.
 */
export async function seedUnrelated(prefix: string, count: number, roomSize = 10): Promise<void> {
  const { seedConnections } = await import('./seed.js');
  await seedConnections({ prefix, count, roomOf: (i) => `${prefix}-room-${Math.floor(i / roomSize)}` });
}

/** Connection records in the table (a Scan: fine for a bench, never done by the product). */
export async function countConnections(): Promise<number> {
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const { dynamo } = await import('../lambdas/core/clients.js');
  let total = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: process.env.TABLE_NAME,
        Select: 'COUNT',
        FilterExpression: 'begins_with(pk, :conn) AND sk = :meta',
        ExpressionAttributeValues: { ':conn': 'CONN#', ':meta': 'META' },
        ExclusiveStartKey: start,
      }),
    );
    total += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return total;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/**
 * A part's result: written as JSON to BENCH_RESULT_FILE when the runner
 * started it (bench/run.ts), printed otherwise.
 */
export function report(result: unknown): void {
  const file = process.env.BENCH_RESULT_FILE;
  if (file === undefined) console.log(JSON.stringify(result, null, 2));
  else writeFileSync(file, JSON.stringify(result));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
