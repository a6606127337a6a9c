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
import { EVENTS_OUT } from '../lambdas/core/events-out.js';
import { LIMIT_VARIABLES } from '../lambdas/core/limit-defaults.js';
import { fanOutWorker } from '../lib/fan-out-worker.js';
import { packageRoot } from '../lib/package-root.js';
import { LOG_LEVELS, type LogLevel } from '../lib/stack-config.js';
import { bundleDefinedFunctions, isolatedFunctions } from './lambda/local-deployment.js';

const PROJECT_ROOT = packageRoot();

/** The authorizer's key source and claims, as the shell gives them locally (JWT_SECRET: development tokens). */
const AUTHORIZER_VARIABLES = ['JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'];

function variablesOf(environment: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (environment[name] === undefined || environment[name] === '' ? [] : [[name, environment[name]]])));
}

function logLevelOf(value: string | undefined): LogLevel {
  const level = (value ?? 'WARN').toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : 'WARN';
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
  process.env.TABLE_NAME ??= 'realtime-local';
  // Local runs sign and verify with HS256 unless another verification mode is configured.
  const devTokens = process.env.JWT_JWKS_URL === undefined && process.env.JWT_SECRET_ARN === undefined;
  if (devTokens) process.env.JWT_SECRET ??= DEV_JWT_SECRET;
  process.env.AWS_REGION ??= 'us-east-1';
  const region = process.env.AWS_REGION;
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const tableName = process.env.TABLE_NAME;

  if (options.port !== 0) await assertPortFree(options.port, 'PORT');
  await assertPortFree(options.dynamoDbPort, 'DYNAMODB_PORT');
  const persistDir = options.persistDir === undefined ? undefined : resolve(options.persistDir);
  if (persistDir !== undefined) mkdirSync(persistDir, { recursive: true });

  // The functions' bundles build while DynamoDB Local starts.
  const bundleDir = mkdtempSync(join(tmpdir(), 'realtime-functions-'));
  const bundles = options.functions === 'in-process' ? undefined : bundleDefinedFunctions(PROJECT_ROOT, bundleDir);
  bundles?.catch(() => undefined);
  const site = await createDevSite({ devTokens });
  let dynamoDb: DynamoDbLocal | undefined;
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
      dynamoDb = started;
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
    const busName = process.env.EVENT_BUS_NAME;

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
              ...(busName === undefined || busName === ''
                ? {}
                : { eventsOut: { endpoint: eventBus.endpoint, busName, source: process.env.EVENT_SOURCE ?? EVENTS_OUT.defaultSource } }),
              authorizerEnvironment: variablesOf(process.env, AUTHORIZER_VARIABLES),
              limitEnvironment: variablesOf(process.env, Object.values(LIMIT_VARIABLES)),
              logLevel: logLevelOf(process.env.POWERTOOLS_LOG_LEVEL),
              ...(bundles === undefined ? {} : { bundles }),
              ...(options.log === undefined ? {} : { log: options.log }),
            }),
          }),
    });
    const url = await gateway.start();
    process.env.MANAGEMENT_ENDPOINT = gateway.managementEndpoint;
    // Every function's cold start now, so the first frames find them warm, as the
    // same frames would in AWS after a deploy's first minutes.
    await Promise.all([tableReady, gateway.warm()]);
    if (dynamoDb === undefined) throw new Error('DynamoDB Local did not start');

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
        rmSync(bundleDir, { recursive: true, force: true });
        await started.queue.stop();
        await started.eventBus.stop();
        await started.dynamoDb.stop();
      },
    };
  } catch (error) {
    await gateway?.stop().catch(() => undefined);
    rmSync(bundleDir, { recursive: true, force: true });
    await queue?.stop().catch(() => undefined);
    await eventBus?.stop().catch(() => undefined);
    // Started or still starting: either way it must not outlive the failure.
    await dynamoDbStarting?.then((started) => started.stop()).catch(() => undefined);
    throw error;
  }
}
