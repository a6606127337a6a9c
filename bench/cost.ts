/**
 * What one message costs in DynamoDB capacity and Management API calls: a
 * `sendMessage` with a `clientMsgId` into a 100-member room through the local
 * stack, a frame that is only admitted, and a `ping`. Capacity comes from
 * DynamoDB's own accounting (`ReturnConsumedCapacity: TOTAL`, added to every
 * call the handlers make); calls are counted at the poster.
 */
import { randomUUID } from 'node:crypto';
import { closeClients, openClients, quietHandlers, report, request, seatInRoom, startBenchStack, type BenchClient } from './support.js';

export interface Cost {
  readUnits: number;
  writeUnits: number;
  managementCalls: number;
}
export interface CostResult {
  /** One message into a 100-member room, admission included. */
  perMessage: Cost & { members: number };
  /** Admitting one frame, nothing more: the rate-limit count on the connection (a frame then refused as BAD_REQUEST). */
  perFrameAdmitted: Cost;
  /** A `ping`: admission plus moving the connection's expiry forward on each of its records. */
  perPing: Cost;
}

quietHandlers();
const stack = await startBenchStack('bench-cost');
const { dynamoClient, connectionPoster } = await import('../lambdas/core/clients.js');

const spent = { readUnits: 0, writeUnits: 0, managementCalls: 0 };
/** DynamoDB Local reports `CapacityUnits` without the read/write split DynamoDB gives: split by operation. */
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);
dynamoClient.middlewareStack.add(
  (next, context) => async (args) => {
    (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
    const result = await next(args);
    const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
    const entries = (Array.isArray(consumed) ? consumed : [consumed]) as ({ CapacityUnits?: number } | undefined)[];
    const units = entries.reduce((sum, entry) => sum + (entry?.CapacityUnits ?? 0), 0);
    if (READS.has(context.commandName ?? '')) spent.readUnits += units;
    else spent.writeUnits += units;
    return result;
  },
  { step: 'initialize', name: 'benchConsumedCapacity' },
);
const poster = connectionPoster();
const post = poster.post.bind(poster);
poster.post = (connectionId, data) => {
  spent.managementCalls += 1;
  return post(connectionId, data);
};

async function measure(run: () => Promise<unknown>): Promise<Cost> {
  // Settle what earlier frames started (their history writes run beside the fan-out).
  await new Promise((resolve) => setTimeout(resolve, 300));
  Object.assign(spent, { readUnits: 0, writeUnits: 0, managementCalls: 0 });
  await run();
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { readUnits: round2(spent.readUnits), writeUnits: round2(spent.writeUnits), managementCalls: spent.managementCalls };
}
const round2 = (value: number): number => Math.round(value * 100) / 100;

const members = 100;
const clients = await openClients(stack.url, 'payer', members, 16);
await seatInRoom(clients, 'costly');
const [sender] = clients as [BenchClient, ...BenchClient[]];
// Warm: the first frame of a connection opens its rate window.
await request(sender, { action: 'ping' }, (reply) => reply.type === 'pong');

const perFrameAdmitted = await measure(() => request(sender, { action: 'sendMessage' }, (reply) => reply.type === 'error'));
const perPing = await measure(() => request(sender, { action: 'ping' }, (reply) => reply.type === 'pong'));
const perMessage = await measure(() => {
  const clientMsgId = randomUUID();
  return request(sender, { action: 'sendMessage', room: 'costly', clientMsgId, data: { text: 'how much?' } }, (reply) => reply.clientMsgId === clientMsgId);
});

closeClients(clients);
await stack.stop();
const result: CostResult = { perMessage: { ...perMessage, members }, perFrameAdmitted, perPing };
report(result);
process.exit(0);
