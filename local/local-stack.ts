/**
 * The whole product on this machine: DynamoDB Local with the table, the local
 * API Gateway running the real handlers, and the demo page. `npm start` runs
 * it; the end-to-end tests start and stop it in-process.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AUTH_SETTINGS } from '../lambdas/core/auth/auth-settings.js';
import { CONFIG_SETTINGS, LIMIT_SETTINGS } from '../lambdas/core/config-settings.js';
import { environmentSource, isGiven, readSettings, settingsVariables } from '../lambdas/core/settings.js';
import { fanOutWorker } from '../lib/fan-out-worker.js';
import { packageRoot } from '../lib/package-root.js';
import { LOG_LEVELS, type LogLevel } from '../lib/stack-config.js';
import { bundleDefinedFunctions, isolatedFunctions } from './lambda/local-deployment.js';
import { LOCAL_STACK_SETTINGS } from './local-settings.js';

const PROJECT_ROOT = packageRoot();

/** The limit variables the shell sets, passed on as the construct's `limits` prop would set them. */
function limitVariables(environment: NodeJS.ProcessEnv): Record<string, string> {
  const names = LIMIT_SETTINGS.map((limit) => CONFIG_SETTINGS[limit].key);
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = environment[name];
      return value === undefined || value === '' ? [] : [[name, value]];
    }),
  );
}

/** The level as CDK would set it; one Powertools knows but the stack does not take (TRACE, say) falls back to the default. */
function logLevelOf(value: string): LogLevel {
  const level = value.toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : LOCAL_STACK_SETTINGS.logLevel.default;
}

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
  /**
   * `isolated` (the default): every function in its own runtime with the
   * environment CDK gives it (local/lambda/); `in-process`: handlers imported
   * into this process, sharing its environment (for benchmarks of the code
   * alone).
   */
  readonly functions?: 'isolated' | 'in-process';
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
  const local = readSettings(LOCAL_STACK_SETTINGS, environmentSource());
  // Local runs sign and verify with HS256 unless another verification mode is configured.
  const devTokens = local.jwksUrl === undefined && !isGiven(process.env[AUTH_SETTINGS.secretArn.key]);
  const jwtSecret = local.jwtSecret ?? (devTokens ? DEV_JWT_SECRET : undefined);
  // Handlers run in this process read these here; isolated ones get them from their definitions.
  Object.assign(process.env, settingsVariables(LOCAL_STACK_SETTINGS, { tableName: local.tableName, jwtSecret, logLevel: local.logLevel }));
  process.env.AWS_REGION ??= 'us-east-1';
  const region = process.env.AWS_REGION;
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const tableName = local.tableName;

  if (options.port !== 0) await assertPortFree(options.port, 'PORT');
  await assertPortFree(options.dynamoDbPort, 'DYNAMODB_PORT');
  const persistDir = options.persistDir === undefined ? undefined : resolve(options.persistDir);
  if (persistDir !== undefined) mkdirSync(persistDir, { recursive: true });

  // The functions' bundles build while DynamoDB Local starts.
  const bundleDir = options.functions === 'in-process' ? undefined : mkdtempSync(join(tmpdir(), 'realtime-functions-'));
  const bundles = bundleDir === undefined ? undefined : bundleDefinedFunctions(PROJECT_ROOT, bundleDir);
  bundles?.catch(() => undefined);
  const site = await createDevSite({ devTokens });
  let dynamoDbStarting: Promise<DynamoDbLocal> | undefined;
  let gateway: LocalGateway | undefined;
  let queue: LocalQueue | undefined;
  let eventBus: LocalEventBus | undefined;
  try {
    // DynamoDB Local (Java) takes the longest to start: the rest starts meanwhile, and only the table waits for it.
    const dynamoDbEndpoint = `http://127.0.0.1:${options.dynamoDbPort}`;
    process.env.DYNAMODB_ENDPOINT = dynamoDbEndpoint;
    dynamoDbStarting = startDynamoDbLocal({ port: options.dynamoDbPort, ...(persistDir ? { persistDir } : {}) });
    const tableReady = dynamoDbStarting.then(async (started) => {
      const admin = localDynamoDbClient(started.endpoint);
      try {
        await ensureTable(admin, tableName);
      } finally {
        admin.destroy();
      }
    });
    // The worker runs as the gateway runs every function; the gateway exists by the time a large room queues a batch.
    const invokeWorker = async (event: SQSEvent) => (gateway as LocalGateway).functions.invoke<SQSBatchResponse | void>(fanOutWorker.name, fanOutWorker.entry, event);
    queue = await startFanOutQueue(options.log, options.functions === 'in-process' ? undefined : invokeWorker);
    eventBus = await startEventBus(options.logEvents === false ? undefined : options.log);
    const busName = local.eventBusName;

    gateway = new LocalGateway({
      port: options.port,
      ...(options.idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds: options.idleTimeoutSeconds }),
      ...(options.maxConnectionSeconds === undefined ? {} : { maxConnectionSeconds: options.maxConnectionSeconds }),
      ...(options.log === undefined ? {} : { log: options.log }),
      serveOtherHttp: (request, response, url) => site.serve(request, response, url),
      ...(options.functions === 'in-process'
        ? {}
        : {
            functions: isolatedFunctions({
              projectRoot: PROJECT_ROOT,
              region,
              tableName,
              dynamoDbEndpoint,
              fanOutQueue: { url: queue.queueUrl, endpoint: queue.endpoint },
              ...(busName === '' ? {} : { eventsOut: { endpoint: eventBus.endpoint, busName, source: local.eventSource } }),
              authorizerEnvironment: settingsVariables(AUTH_SETTINGS, { secret: jwtSecret, jwksUrl: local.jwksUrl, issuer: local.issuer, audience: local.audience }),
              limitEnvironment: limitVariables(process.env),
              // As the local queue reads FANOUT_WORKERS, the functions get the shell's large-room settings.
              largeRooms: readSettings(
                {
                  threshold: CONFIG_SETTINGS.largeRoomThreshold,
                  batchSize: CONFIG_SETTINGS.fanOutBatchSize,
                  postRate: CONFIG_SETTINGS.fanOutPostRate,
                  workers: CONFIG_SETTINGS.fanOutWorkers,
                },
                environmentSource(),
              ),
              logLevel: logLevelOf(local.logLevel),
              ...(bundles === undefined ? {} : { bundles }),
              ...(options.log === undefined ? {} : { log: options.log }),
            }),
          }),
    });
    const url = await gateway.start();
    process.env.MANAGEMENT_ENDPOINT = gateway.managementEndpoint;
    // Every function's cold start now, so the first frames find them warm, as the
    // same frames would in AWS after a deploy's first minutes.
    const [dynamoDb] = await Promise.all([dynamoDbStarting, tableReady, gateway.warm()]);

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
        if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
        await started.queue.stop();
        await started.eventBus.stop();
        await started.dynamoDb.stop();
      },
    };
  } catch (error) {
    await gateway?.stop().catch(() => undefined);
    if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
    await queue?.stop().catch(() => undefined);
    await eventBus?.stop().catch(() => undefined);
    // Started or still starting: either way it must not outlive the failure.
    await dynamoDbStarting?.then((started) => started.stop()).catch(() => undefined);
    throw error;
  }
}
