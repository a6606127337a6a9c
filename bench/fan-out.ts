/**
 * `npm run bench`: how fast the real handlers serve rooms of growing size,
 * against real DynamoDB Local and a Management API over real HTTP on loopback.
 * Prints figures; asserts nothing. Room sizes: BENCH_ROOM_SIZES (default
 * 10,100,1000,3000); messages per size: BENCH_MESSAGES (default 5).
 */
import { randomUUID } from 'node:crypto';
import pMap from 'p-map';
import type { WebSocketEvent, WebSocketHandler } from '../lambdas/handlers/event.js';
import { localDynamoDbClient, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { freePort } from '../local/ports.js';
import { findRoute, loadHandler } from '../local/routing.js';
import { ensureTable } from '../local/table-setup.js';
import { ManagementApiStub } from '../test/support/management-api-stub.js';

const roomSizes = (process.env.BENCH_ROOM_SIZES ?? '10,100,1000,3000').split(',').map(Number);
const messagesPerSize = Number(process.env.BENCH_MESSAGES ?? 5);

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const dynamoDbLocal = await startDynamoDbLocal({ port: await freePort() });
const sink = new ManagementApiStub();
process.env.DYNAMODB_ENDPOINT = dynamoDbLocal.endpoint;
process.env.MANAGEMENT_ENDPOINT = await sink.start();
process.env.TABLE_NAME = 'bench';
process.env.MAX_CONNECTIONS_PER_USER = '100000';
const admin = localDynamoDbClient(dynamoDbLocal.endpoint);
await ensureTable(admin, 'bench', { ttl: false });

// Imported only now: the core reads its configuration at module load.
const { putConnection } = await import('../lambdas/core/store/connections.js');
const { addMembership } = await import('../lambdas/core/store/memberships.js');

const handlers = {
  connect: await loadHandler(findRoute('$connect')),
  joinRoom: await loadHandler(findRoute('joinRoom')),
  sendMessage: await loadHandler(findRoute('sendMessage')),
};

function event(connectionId: string, routeKey: string, body?: unknown, userId?: string): WebSocketEvent {
  const now = Date.now();
  return {
    requestContext: {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' : 'MESSAGE',
      messageId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      messageDirection: 'IN',
      stage: 'bench',
      connectedAt: now,
      domainName: '127.0.0.1',
      connectionId,
      apiId: 'bench',
      ...(userId === undefined ? {} : { authorizer: { userId, name: userId, rooms: '', roles: '' } }),
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

async function timed(handler: WebSocketHandler, input: WebSocketEvent): Promise<number> {
  const started = performance.now();
  const result = await handler(input);
  const elapsed = performance.now() - started;
  if (result.statusCode !== 200 || result.body?.includes('"type":"error"')) {
    throw new Error(`${input.requestContext.routeKey} failed: ${result.statusCode} ${result.body ?? ''}`);
  }
  return elapsed;
}

const percentile = (values: number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;

/** Seats members directly through the store: the bench times fan-out, not N² join announcements. */
async function seat(room: string, connectionIds: string[]): Promise<void> {
  await pMap(
    connectionIds,
    async (connectionId, i) => {
      const user = `user-${i % 997}`;
      const record = await putConnection(connectionId, { userId: user, name: user, rooms: [], roles: [] });
      await addMembership(record, room);
    },
    { concurrency: 16 },
  );
}

const rows: string[] = [];
const room = 'bench-room';
let seated = 0;
let sender = '';
for (const size of roomSizes) {
  const newcomers = Array.from({ length: size - seated }, (_, i) => `bench-${seated + i}`);
  await seat(room, newcomers);
  seated = size;
  sender ||= newcomers[0] ?? '';
  const sendTimes: number[] = [];
  for (let n = 0; n < messagesPerSize; n += 1) {
    sendTimes.push(await timed(handlers.sendMessage, event(sender, 'sendMessage', { action: 'sendMessage', room, data: { n } })));
  }
  const mean = sendTimes.reduce((a, b) => a + b, 0) / sendTimes.length;
  const postsPerSecond = ((size - 1) / mean) * 1000;
  rows.push(
    `${String(size).padStart(7)} | ${mean.toFixed(1).padStart(10)} | ${percentile(sendTimes, 100).toFixed(1).padStart(9)} | ${postsPerSecond.toFixed(0).padStart(8)}`,
  );
}

// A join reads the whole room (for `joined.members`) and announces the newcomer to all of it.
const joinRows: string[] = [];
for (const size of [10, seated]) {
  const joinRoomName = `join-${size}`;
  await seat(joinRoomName, Array.from({ length: size }, (_, i) => `${joinRoomName}-${i}`));
  const joinTimes: number[] = [];
  for (let n = 0; n < 10; n += 1) {
    const connectionId = `${joinRoomName}-newcomer-${n}`;
    await timed(handlers.connect, event(connectionId, '$connect', undefined, `newcomer-${size}-${n}`));
    joinTimes.push(await timed(handlers.joinRoom, event(connectionId, 'joinRoom', { action: 'joinRoom', room: joinRoomName })));
  }
  joinRows.push(
    `${String(size).padStart(7)} | ${percentile(joinTimes, 50).toFixed(1).padStart(8)} | ${percentile(joinTimes, 100).toFixed(1).padStart(8)}`,
  );
}

console.log(`\nFan-out: one sendMessage to a room (DynamoDB Local + Management API over loopback HTTP)`);
console.log(`  members |  mean (ms) |  max (ms) |  posts/s`);
for (const row of rows) console.log(`  ${row}`);
console.log(`\njoinRoom into a room of N members (10 joins each)`);
console.log(`  members | p50 (ms) | max (ms)`);
for (const row of joinRows) console.log(`  ${row}`);
console.log(`(FANOUT_CONCURRENCY=${process.env.FANOUT_CONCURRENCY ?? 32}, ${messagesPerSize} messages per size, Node ${process.version})`);

admin.destroy();
await sink.stop();
await dynamoDbLocal.stop();
process.exit(0);
