/**
 * `npm start`: the whole product on this machine, no AWS account needed.
 * DynamoDB Local (in memory, or `--persist DIR`), the table with TTL, the
 * local API Gateway on ws://127.0.0.1:3001 running the real handlers, the
 * demo page, and a local EventBridge endpoint printing the events out.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kib } from '../client/build.js';
import { environmentSource, readSettings, type Settings } from '../lambdas/core/settings.js';
import { mintDevToken } from './dev-token.js';
import { NPM_START_SETTINGS, settingsHelp } from './local-settings.js';
import { startLocalStack, type LocalStack } from './local-stack.js';

const REQUIRED_NODE = 22;

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < REQUIRED_NODE) fail(`Node.js ${REQUIRED_NODE} or newer is needed (24 recommended); this is ${process.version}. Get it from https://nodejs.org or with nvm (nvm install 24).`);

const { values: args } = parseArgs({
  options: {
    persist: { type: 'string' },
    'quiet-events': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(`usage: npm start [-- --persist DIR] [-- --quiet-events]

  --persist DIR    keep DynamoDB Local's data in DIR (default: in memory)
  --quiet-events   do not print the events out (room occupied, user joined…) as they arrive

environment (VARIABLE=its default):
${settingsHelp(NPM_START_SETTINGS)}`);
  process.exit(0);
}

let settings: Settings<typeof NPM_START_SETTINGS>;
try {
  settings = readSettings(NPM_START_SETTINGS, environmentSource());
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

let stack: LocalStack | undefined;

function eventsOut(started: LocalStack): string {
  const bus = settings.eventBusName;
  if (bus === '') return `off (${NPM_START_SETTINGS.eventBusName.key} is empty)`;
  const printed = args['quiet-events'] === true ? 'not printed (--quiet-events)' : 'printed below as they arrive';
  return `PutEvents ${started.eventBus.endpoint}  bus ${bus}, ${printed}`;
}

/** Where the gateway's certificate is written for clients of wss:// and https://; gone with the run. */
const certificateFile = join(tmpdir(), `realtime-local-gateway-${process.pid}.pem`);

async function shutdown(signal: string): Promise<void> {
  console.log(`\n${signal}: stopping…`);
  await stack?.stop();
  rmSync(certificateFile, { force: true });
  console.log('stopped.');
  process.exit(0);
}

try {
  stack = await startLocalStack({
    port: settings.port,
    dynamoDbPort: settings.dynamoDbPort,
    ...(args.persist === undefined ? {} : { persistDir: args.persist }),
    idleTimeoutSeconds: settings.connectionIdleSeconds,
    maxConnectionSeconds: settings.connectionMaxSeconds,
    log: (line) => console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`),
    logEvents: args['quiet-events'] !== true,
  });
  const devToken = (userId: string, name: string) =>
    stack?.devTokens === true ? mintDevToken({ userId, name }) : Promise.resolve('<a token from your issuer>');
  writeFileSync(certificateFile, stack.gateway.certificate);
  const alice = await devToken('alice', 'Alice');
  const bob = await devToken('bob', 'Bob');
  console.log(`
Local stack ready.

Demo page  ${stack.pageUrl}
  (open it in two windows, pick a name in each, join a room)

  WebSocket        ${stack.url}?token=<JWT>
                   ${stack.gateway.secureUrl}?token=<JWT>  (TLS: NODE_EXTRA_CA_CERTS=${certificateFile})
  Functions        each in its own runtime with its deployed environment, built as deployed, warm
  Management API   ${stack.managementEndpoint}/@connections/{connectionId}
                   ${stack.gateway.callbackUrl}  (what the functions get: https://{domainName}/{stage})
  Publish API      POST ${stack.httpEndpoint}/publish
  Stats            GET  ${stack.httpEndpoint}/stats
    (these three want a SigV4 signature for execute-api, as in AWS; any key will do:
     curl --aws-sigv4 aws:amz:us-east-1:execute-api --user local:local ${stack.httpEndpoint}/stats)
  DynamoDB Local   ${stack.dynamoDbEndpoint}  table ${stack.tableName} (${args.persist === undefined ? 'in memory' : `data in ${args.persist}`})
  Client SDK       ${stack.pageUrl}realtime-client.js  (${kib(stack.site.sdk.bytes)}, ${kib(stack.site.sdk.gzipBytes)} gzipped)
  Events out       ${eventsOut(stack)}

Try it with wscat (two terminals):
  npx wscat -c "${stack.url}?token=${alice}"
  npx wscat -c "${stack.url}?token=${bob}"
then type:  {"action":"joinRoom","room":"lobby"}
            {"action":"sendMessage","room":"lobby","data":{"text":"hi"}}

More tokens: npm run token -- <userId> [name] [--rooms private-a,private-b] [--admin]
Ctrl-C stops everything.
`);
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  await stack?.stop().catch(() => undefined);
  fail(error instanceof Error ? error.message : String(error));
}
