/**
 * `npm run bench` (second part): a chat room end to end through the local
 * gateway. N real `ws` clients join one room and each sends M messages; the
 * figure is how long until every client has every other client's messages.
 * BENCH_CLIENTS (default 50), BENCH_MESSAGES_EACH (default 5).
 */
import WebSocket from 'ws';
import { mintDevToken } from '../local/dev-token.js';
import { localDynamoDbClient, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { LocalGateway } from '../local/gateway/gateway.js';
import { freePort } from '../local/ports.js';
import { ensureTable } from '../local/table-setup.js';

const clientsCount = Number(process.env.BENCH_CLIENTS ?? 50);
const messagesEach = Number(process.env.BENCH_MESSAGES_EACH ?? 5);

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.TABLE_NAME = 'bench-chat';
process.env.JWT_SECRET ??= 'bench-secret-that-is-at-least-32-bytes-long';

const dynamoDbLocal = await startDynamoDbLocal({ port: await freePort() });
process.env.DYNAMODB_ENDPOINT = dynamoDbLocal.endpoint;
const admin = localDynamoDbClient(dynamoDbLocal.endpoint);
await ensureTable(admin, 'bench-chat', { ttl: false });
const gateway = new LocalGateway({ port: 0 });
const url = await gateway.start();
process.env.MANAGEMENT_ENDPOINT = gateway.managementEndpoint;
await gateway.warm();

interface Client {
  socket: WebSocket;
  received: number;
}

const clients: Client[] = [];
for (let i = 0; i < clientsCount; i += 1) {
  const token = await mintDevToken({ userId: `user-${i}` });
  const socket = new WebSocket(`${url}/?token=${token}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const client: Client = { socket, received: 0 };
  socket.on('message', (data: WebSocket.RawData) => {
    if ((JSON.parse(data.toString()) as { type?: string }).type === 'message') client.received += 1;
  });
  clients.push(client);
}
for (const { socket } of clients) {
  await new Promise((resolve) => {
    socket.once('message', resolve);
    socket.send(JSON.stringify({ action: 'joinRoom', room: 'bench' }));
  });
}
// The joins' user_joined announcements finish before the clock starts.
await new Promise((resolve) => setTimeout(resolve, 2_000));

const expected = messagesEach * (clientsCount - 1);
const started = performance.now();
for (let m = 0; m < messagesEach; m += 1) {
  for (const { socket } of clients) socket.send(JSON.stringify({ action: 'sendMessage', room: 'bench', data: { m } }));
}
const deadline = Date.now() + 120_000;
while (clients.some((client) => client.received < expected) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const elapsed = performance.now() - started;
const delivered = clients.reduce((sum, client) => sum + Math.min(client.received, expected), 0);

console.log(`\nChat through the local gateway: ${clientsCount} ws clients in one room, ${messagesEach} messages each`);
console.log(`  messages delivered ${delivered} of ${expected * clientsCount} in ${elapsed.toFixed(0)} ms`);
console.log(`  ${((delivered / elapsed) * 1000).toFixed(0)} deliveries/s, ${(((clientsCount * messagesEach) / elapsed) * 1000).toFixed(1)} sendMessage/s`);

for (const { socket } of clients) socket.close();
await gateway.stop();
admin.destroy();
await dynamoDbLocal.stop();
process.exit(delivered === expected * clientsCount ? 0 : 1);
