/**
 * Fan-out through the local stack: real `ws` clients in rooms of 10, 100 and
 * 1,000 members, with 10,000 unrelated connections and memberships in the
 * table. Each figure is send → the last member has the message. Beside each
 * size, in the same run and interleaved with it: the naive design
 * (bench/naive-fan-out.ts) and the floor (bench/floor.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  closeClients,
  countConnections,
  openClients,
  percentile,
  quick,
  quietHandlers,
  report,
  request,
  round,
  seatInRoom,
  seedUnrelated,
  startBenchStack,
  type BenchClient,
} from './support.js';

export interface FanOutRow {
  members: number;
  tableConnections: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  naiveP50Ms: number;
  floorP50Ms: number;
  samples: number;
}

quietHandlers();
const stack = await startBenchStack('bench-fanout');
const { config } = await import('../lambdas/core/config.js');
const { naiveFanOut } = await import('./naive-fan-out.js');
const { floorPoster } = await import('./floor.js');
const floor = floorPoster(stack.managementEndpoint, config.fanOutConcurrency);

const sizes = [10, 100, 1000];
const samplesFor = (size: number): number => (quick ? (size >= 1000 ? 5 : 9) : size >= 1000 ? 25 : 41);
/** The naive design takes seconds a sample (its Scan reads the whole table); its median needs few. */
const naiveSamples = quick ? 3 : 9;
const UNRELATED = 10_000;

/** Resolves when every listed member has had the frame marked `mark`. */
const waiting = new Map<string, { remaining: number; resolve: () => void }>();
function arrivalOf(mark: string, members: number): Promise<void> {
  return new Promise((resolve) => waiting.set(mark, { remaining: members, resolve }));
}
function listen(client: BenchClient): void {
  client.onFrame = (frame) => {
    if (frame.type !== 'message') return;
    const mark = (frame.data as { mark?: string } | undefined)?.mark;
    const entry = mark === undefined ? undefined : waiting.get(mark);
    if (entry === undefined) return;
    entry.remaining -= 1;
    if (entry.remaining === 0) {
      waiting.delete(mark ?? '');
      entry.resolve();
    }
  };
}

function frameBytes(room: string, mark: string): Uint8Array {
  const frame = { type: 'message', id: randomUUID(), room, seq: 0, from: { userId: 'bench', name: 'bench' }, data: { mark }, sentAt: new Date().toISOString() };
  return Buffer.from(JSON.stringify(frame));
}

async function timeOurs(sender: BenchClient, room: string, members: number): Promise<number> {
  const mark = randomUUID();
  const arrived = arrivalOf(mark, members - 1);
  const started = performance.now();
  const acked = request(sender, { action: 'sendMessage', room, clientMsgId: mark, data: { mark } }, (reply) => reply.clientMsgId === mark);
  await arrived;
  const elapsed = performance.now() - started;
  const ack = await acked;
  if (ack.type !== 'ack') throw new Error(`sendMessage failed: ${JSON.stringify(ack)}`);
  return elapsed;
}

async function timeNaive(room: string, members: number, senderConnectionId: string): Promise<number> {
  const mark = randomUUID();
  const arrived = arrivalOf(mark, members - 1);
  const started = performance.now();
  await naiveFanOut(room, frameBytes(room, mark), senderConnectionId);
  await arrived;
  return performance.now() - started;
}

async function timeFloor(room: string, recipients: readonly string[]): Promise<number> {
  const mark = randomUUID();
  const arrived = arrivalOf(mark, recipients.length);
  const started = performance.now();
  await floor(recipients, frameBytes(room, mark));
  await arrived;
  return performance.now() - started;
}

async function measure(clients: readonly BenchClient[], size: number, room: string): Promise<FanOutRow> {
  const members = clients.slice(0, size);
  const connectionIds = await seatInRoom(members, room);
  const [sender] = members;
  if (sender === undefined) throw new Error('no members');
  const recipients = connectionIds.slice(1);
  const ours: number[] = [];
  const naive: number[] = [];
  const floorTimes: number[] = [];
  // Warm-up rounds (connections, JIT), then the designs in turn, so noise hits all alike.
  for (let i = quick ? -2 : -3; i < samplesFor(size); i += 1) {
    const a = await timeOurs(sender, room, size);
    const b = i >= -1 && i < naiveSamples ? await timeNaive(room, size, connectionIds[0] ?? '') : undefined;
    const c = await timeFloor(room, recipients);
    if (i < 0) continue;
    ours.push(a);
    if (b !== undefined) naive.push(b);
    floorTimes.push(c);
  }
  return {
    members: size,
    tableConnections: await countConnections(),
    p50Ms: round(percentile(ours, 50)),
    p95Ms: round(percentile(ours, 95)),
    p99Ms: round(percentile(ours, 99)),
    naiveP50Ms: round(percentile(naive, 50)),
    floorP50Ms: round(percentile(floorTimes, 50)),
    samples: ours.length,
  };
}

const clients = await openClients(stack.url, 'member', Math.max(...sizes), 16);
for (const client of clients) listen(client);
const rows: FanOutRow[] = [];
if (!quick) {
  // The same 100-member room before the table fills: fan-out must not grow with the table.
  rows.push(await measure(clients, 100, 'small-table-100'));
}
await seedUnrelated('unrelated', UNRELATED);
for (const size of sizes) rows.push(await measure(clients, size, `room-${size}`));

closeClients(clients);
await stack.stop();
report(rows);
process.exit(0);
