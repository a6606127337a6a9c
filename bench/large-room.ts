/**
 * A room of 20,000 members (BENCH_LARGE_ROOM to change it), delivered through
 * the spread path: the real sendMessage handler queues batches on the local
 * fan-out queue, and the real worker handler posts them, paced to the
 * post-rate budget, to a Management API stub on loopback (20,000 sockets are
 * not needed to count posts). Figures: deliveries, batches, deliveries/s.
 */
import { randomUUID } from 'node:crypto';
import { localDynamoDbClient, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { startFanOutQueue } from '../local/fan-out-queue.js';
import { freePort } from '../local/ports.js';
import { findRoute, loadHandler } from '../local/routing.js';
import { ensureTable } from '../local/table-setup.js';
import { lambdaContext } from '../local/gateway/events.js';
import { ManagementApiStub } from '../test/support/management-api-stub.js';
import { quick, quietHandlers, report, round } from './support.js';

export interface LargeRoomResult {
  members: number;
  delivered: number;
  excluded: number;
  duplicates: number;
  batches: number;
  deliveriesPerSec: number;
  postRateBudget: number;
  workers: number;
}

const members = Number(process.env.BENCH_LARGE_ROOM ?? 20_000);
quietHandlers({ TABLE_NAME: 'bench-large-room' });
const dynamoDbLocal = await startDynamoDbLocal({ port: await freePort() });
const sink = new ManagementApiStub();
process.env.DYNAMODB_ENDPOINT = dynamoDbLocal.endpoint;
process.env.MANAGEMENT_ENDPOINT = await sink.start();
const admin = localDynamoDbClient(dynamoDbLocal.endpoint);
await ensureTable(admin, 'bench-large-room', { ttl: false });
const queue = await startFanOutQueue();

// Imported only now: the core reads its configuration at module load.
const { config } = await import('../lambdas/core/config.js');
const { seedConnections } = await import('./seed.js');
const sendMessage = await loadHandler(findRoute('sendMessage'));

const room = 'stadium';
const started = performance.now();
const connectionIds = await seedConnections({ prefix: 'fan', count: members, roomOf: () => room });
if (!quick) console.error(`seated ${members} members in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const [sender] = connectionIds;

const sentBefore = queue.sent;
const now = Date.now();
const sendStarted = performance.now();
const result = await sendMessage(
  {
    requestContext: {
      routeKey: 'sendMessage',
      eventType: 'MESSAGE',
      messageId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      messageDirection: 'IN',
      stage: 'bench',
      connectedAt: now,
      domainName: '127.0.0.1',
      connectionId: sender ?? '',
      apiId: 'bench',
    },
    isBase64Encoded: false,
    body: JSON.stringify({ action: 'sendMessage', room, data: { text: 'goal!' } }),
  },
  lambdaContext('send-message'),
);
if (result.body?.includes('"type":"error"')) throw new Error(`sendMessage failed: ${result.body}`);
await queue.idle();
const elapsedMs = performance.now() - sendStarted;

let delivered = 0;
let duplicates = 0;
for (const connectionId of connectionIds) {
  const frames = sink.framesFor(connectionId).length;
  delivered += Math.min(frames, 1);
  duplicates += Math.max(0, frames - 1);
}
const row: LargeRoomResult = {
  members,
  delivered,
  excluded: sink.framesFor(sender ?? '').length === 0 ? 1 : 0,
  duplicates,
  batches: queue.sent - sentBefore,
  deliveriesPerSec: round(delivered / (elapsedMs / 1000), 0),
  postRateBudget: config.fanOutPostRate,
  workers: config.fanOutWorkers,
};

await queue.stop();
admin.destroy();
await sink.stop();
await dynamoDbLocal.stop();
report(row);
process.exit(0);
