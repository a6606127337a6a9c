/**
 * The whole product on this machine: DynamoDB Local with the table, the local
 * API Gateway running the real handlers, and the demo page. `npm start` runs
 * it; the end-to-end tests start and stop it in-process.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDevSite, type DevSite } from './dev-site.js';
import { DEV_JWT_SECRET } from './dev-token.js';
import { localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startEventBus } from './event-bus.js';
import { LocalGateway } from './gateway/gateway.js';
import { startFanOutQueue } from './fan-out-queue.js';
import type { LocalEventBus } from './local-event-bus.js';
import type { LocalQueue } from './local-queue.js';
import { assertPortFree } from './ports.js';
import { ensureTable } from './table-setup.js';

export interface LocalStackOptions {
  /** The gateway's port (WebSocket, Management API, admin API, demo page). */
  readonly port: number;
  readonly dynamoDbPort: number;
  /** Keep DynamoDB Local's data in this folder; in memory when absent. */
  readonly persistDir?: string;
  readonly idleTimeoutSeconds?: number;
  readonly maxConnectionSeconds?: number;
  readonly log?: (line: string) => void;
  /** Print a line per event out received (through `log`). @default true */
  readonly logEvents?: boolean;
}

export interface LocalStack {
  /** `ws://127.0.0.1:<port>`: clients add `?token=<JWT>`. */
  readonly url: string;
  /** The demo page. */
  readonly pageUrl: string;
  /** The stage's callback URL, where the Management API (`@connections`) answers: `MANAGEMENT_ENDPOINT`. */
  readonly managementEndpoint: string;
  /** Where the admin API (`/publish`, `/stats`) and the demo page answer. */
  readonly httpEndpoint: string;
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
  /** True when the stack verifies its own HS256 secret, so it can mint development tokens. */
  readonly devTokens: boolean;
  readonly site: DevSite;
  readonly gateway: LocalGateway;
  /** The fan-out queue that delivers large rooms through the worker. */
  readonly queue: LocalQueue;
  /** The EventBridge endpoint that events out are put on: what it received, and a wait for more. */
  readonly eventBus: LocalEventBus;
  stop(): Promise<void>;
}

/**
 * Sets the handlers' environment (what CDK sets deployed) where the caller
 * has not, starts everything, and resolves when it all answers. Handlers read
 * their environment once, when first imported.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  process.env.TABLE_NAME ??= 'realtime-local';
  // Local runs sign and verify with HS256 unless another verification mode is configured.
  const devTokens = process.env.JWT_JWKS_URL === undefined && process.env.JWT_SECRET_ARN === undefined;
  if (devTokens) process.env.JWT_SECRET ??= DEV_JWT_SECRET;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const tableName = process.env.TABLE_NAME;

  if (options.port !== 0) await assertPortFree(options.port, 'PORT');
  await assertPortFree(options.dynamoDbPort, 'DYNAMODB_PORT');
  const persistDir = options.persistDir === undefined ? undefined : resolve(options.persistDir);
  if (persistDir !== undefined) mkdirSync(persistDir, { recursive: true });

  const site = await createDevSite({ devTokens });
  let dynamoDb: DynamoDbLocal | undefined;
  let gateway: LocalGateway | undefined;
  let queue: LocalQueue | undefined;
  let eventBus: LocalEventBus | undefined;
  try {
    dynamoDb = await startDynamoDbLocal({ port: options.dynamoDbPort, ...(persistDir ? { persistDir } : {}) });
    process.env.DYNAMODB_ENDPOINT = dynamoDb.endpoint;
    const admin = localDynamoDbClient(dynamoDb.endpoint);
    await ensureTable(admin, tableName);
    admin.destroy();
    queue = await startFanOutQueue(options.log);
    eventBus = await startEventBus(options.logEvents === false ? undefined : options.log);

    gateway = new LocalGateway({
      port: options.port,
      ...(options.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: options.idleTimeoutSeconds }),
      ...(options.maxConnectionSeconds === undefined ? {} : { maxConnectionSeconds: options.maxConnectionSeconds }),
      ...(options.log === undefined ? {} : { log: options.log }),
      serveOtherHttp: (request, response, url) => site.serve(request, response, url),
    });
    const url = await gateway.start();
    process.env.MANAGEMENT_ENDPOINT = gateway.managementEndpoint;

    const started = { dynamoDb, gateway, queue, eventBus };
    return {
      url,
      pageUrl: `${gateway.httpEndpoint}/`,
      managementEndpoint: gateway.managementEndpoint,
      httpEndpoint: gateway.httpEndpoint,
      dynamoDbEndpoint: dynamoDb.endpoint,
      tableName,
      devTokens,
      site,
      gateway,
      queue,
      eventBus,
      async stop() {
        await started.gateway.stop();
        await started.queue.stop();
        await started.eventBus.stop();
        await started.dynamoDb.stop();
      },
    };
  } catch (error) {
    await gateway?.stop().catch(() => undefined);
    await queue?.stop().catch(() => undefined);
    await eventBus?.stop().catch(() => undefined);
    await dynamoDb?.stop().catch(() => undefined);
    throw error;
  }
}
