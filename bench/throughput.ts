/**
 * Throughput through the local stack:
 * - roomMessagesPerSec: BENCH_CLIENTS real `ws` clients (50) in one room each
 *   send BENCH_MESSAGES_EACH messages (10) at once; messages sent per second
 *   until every member has every other member's messages;
 * - handshakesPerSec: new connections per second through the authorizer and
 *   `$connect`, 16 handshakes in flight.
 */
import { closeClients, openClients, quick, quietHandlers, report, request, round, seatInRoom, sleep, startBenchStack } from './support.js';

export interface ThroughputResult {
  roomMessagesPerSec: number;
  deliveriesPerSec: number;
  handshakesPerSec: number;
  clients: number;
  messagesEach: number;
  handshakes: number;
}

const clientCount = Number(process.env.BENCH_CLIENTS ?? 50);
const messagesEach = Number(process.env.BENCH_MESSAGES_EACH ?? (quick ? 5 : 10));
const handshakes = quick ? 120 : 500;

// Every member sends as fast as it can: the rate limit is not what is measured.
quietHandlers({ RATE_LIMIT_FRAMES: '100000' });
const stack = await startBenchStack('bench-throughput');

// Handshakes first, on their own.
const handshakeStarted = performance.now();
const crowd = await openClients(stack.url, 'visitor', handshakes, 16);
const handshakesPerSec = handshakes / ((performance.now() - handshakeStarted) / 1000);
closeClients(crowd);
await sleep(2_000);

const clients = await openClients(stack.url, 'chatter', clientCount, 16);
await seatInRoom(clients, 'chat');
const expectedEach = messagesEach * (clientCount - 1);
const received = new Map(clients.map((client) => [client, 0]));
for (const client of clients) {
  client.onFrame = (frame) => {
    if (frame.type === 'message') received.set(client, (received.get(client) ?? 0) + 1);
  };
}
// One warm-up round trip, so first-use costs stay out of the figure.
await request(clients[0] ?? clients[1]!, { action: 'ping' }, (reply) => reply.type === 'pong');

const started = performance.now();
for (let m = 0; m < messagesEach; m += 1) {
  for (const { socket } of clients) socket.send(JSON.stringify({ action: 'sendMessage', room: 'chat', data: { m } }));
}
const deadline = Date.now() + 180_000;
while ([...received.values()].some((count) => count < expectedEach) && Date.now() < deadline) await sleep(10);
const elapsedSeconds = (performance.now() - started) / 1000;
const delivered = [...received.values()].reduce((sum, count) => sum + Math.min(count, expectedEach), 0);
if (delivered < expectedEach * clientCount) throw new Error(`only ${delivered} of ${expectedEach * clientCount} deliveries arrived`);

closeClients(clients);
await stack.stop();
const result: ThroughputResult = {
  roomMessagesPerSec: round((clientCount * messagesEach) / elapsedSeconds),
  deliveriesPerSec: round(delivered / elapsedSeconds, 0),
  handshakesPerSec: round(handshakesPerSec),
  clients: clientCount,
  messagesEach,
  handshakes,
};
report(result);
process.exit(0);
