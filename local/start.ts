/**
 * `npm start`: the whole product on this machine, no AWS account needed.
 * DynamoDB Local (in memory, or `--persist DIR`), the table with TTL, and the
 * local API Gateway on ws://127.0.0.1:3001 running the real handlers.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET, mintDevToken } from './dev-token.js';
import { localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { LocalGateway } from './gateway/gateway.js';
import { assertPortFree } from './ports.js';
import { ensureTable } from './table-setup.js';

const REQUIRED_NODE = 20;

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < REQUIRED_NODE) fail(`Node.js ${REQUIRED_NODE} or newer is needed; this is ${process.version}.`);

const { values: args } = parseArgs({
  options: {
    persist: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(`usage: npm start [-- --persist DIR]

  --persist DIR   keep DynamoDB Local's data in DIR (default: in memory)

environment: PORT (3001), DYNAMODB_PORT (8000), TABLE_NAME (realtime-local),
JWT_SECRET (a local development default), CONNECTION_IDLE_SECONDS (600),
CONNECTION_MAX_SECONDS (7200), POWERTOOLS_LOG_LEVEL (WARN)`);
  process.exit(0);
}

const port = Number(process.env.PORT ?? 3001);
const dynamoDbPort = Number(process.env.DYNAMODB_PORT ?? 8000);
process.env.TABLE_NAME ??= 'realtime-local';
// Local runs sign and verify with HS256 unless another verification mode is configured.
const hs256 = process.env.JWT_JWKS_URL === undefined && process.env.JWT_SECRET_ARN === undefined;
if (hs256) process.env.JWT_SECRET ??= DEV_JWT_SECRET;
process.env.AWS_REGION ??= 'us-east-1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const idleSeconds = Number(process.env.CONNECTION_IDLE_SECONDS ?? 600);
const maxSeconds = Number(process.env.CONNECTION_MAX_SECONDS ?? 7200);

let dynamoDb: DynamoDbLocal | undefined;
let gateway: LocalGateway | undefined;

async function shutdown(signal: string): Promise<void> {
  console.log(`\n${signal}: stopping…`);
  await gateway?.stop();
  await dynamoDb?.stop();
  console.log('stopped.');
  process.exit(0);
}

try {
  await assertPortFree(port, 'PORT');
  await assertPortFree(dynamoDbPort, 'DYNAMODB_PORT');
  const persistDir = args.persist === undefined ? undefined : resolve(args.persist);
  if (persistDir !== undefined) mkdirSync(persistDir, { recursive: true });
  dynamoDb = await startDynamoDbLocal({ port: dynamoDbPort, ...(persistDir ? { persistDir } : {}) });
  process.env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;

  const admin = localDynamoDbClient(dynamoDb.endpoint);
  await ensureTable(admin, process.env.TABLE_NAME);
  admin.destroy();

  gateway = new LocalGateway({
    port,
    idleTimeoutSeconds: idleSeconds,
    maxConnectionSeconds: maxSeconds,
    log: (line) => console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`),
  });
  const url = await gateway.start();
  // Handlers load on first use and read this then, as Lambda reads its environment.
  process.env.MANAGEMENT_ENDPOINT = gateway.managementEndpoint;

  const devToken = (userId: string, name: string) =>
    hs256 ? mintDevToken({ userId, name }) : Promise.resolve('<a token from your issuer>');
  const alice = await devToken('alice', 'Alice');
  const bob = await devToken('bob', 'Bob');
  console.log(`
Local stack ready.

  WebSocket        ${url}?token=<JWT>
  Management API   ${gateway.managementEndpoint}/@connections/{connectionId}
  Publish API      POST ${gateway.managementEndpoint}/publish
  Stats            GET  ${gateway.managementEndpoint}/stats
  DynamoDB Local   ${dynamoDb.endpoint}  table ${process.env.TABLE_NAME} (${persistDir ? `data in ${persistDir}` : 'in memory'})

Try it (two terminals):
  npx wscat -c "${url}?token=${alice}"
  npx wscat -c "${url}?token=${bob}"
then type:  {"action":"joinRoom","room":"lobby"}
            {"action":"sendMessage","room":"lobby","data":{"text":"hi"}}

More tokens: npm run token -- <userId> [name] [--rooms private-a,private-b] [--admin]
Ctrl-C stops everything.
`);
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  await gateway?.stop().catch(() => undefined);
  await dynamoDb?.stop().catch(() => undefined);
  fail(error instanceof Error ? error.message : String(error));
}
