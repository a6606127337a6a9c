/**
 * Churn under load: hundreds of clients in many rooms against the local
 * stack, joining, chatting, dropping abruptly and reconnecting, then all
 * leaving, and the accounting of what was delivered and what the table
 * holds afterwards. `npm run soak` runs it at full size; an end-to-end test
 * runs a short one.
 *
 * Stayers (raw sockets that never drop) must get every message of their
 * rooms sent after they joined, exactly once: that, handler failures and
 * the table's invariants decide whether the run failed. Churners (the SDK)
 * are accounted the same way and reported apart.
 */
import pMap from 'p-map';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import { startLocalStack } from '../../local/local-stack.js';
import { freePort } from '../../local/ports.js';
import { countItemsByKind, readWholeTable, settledViolations } from '../support/invariants.js';
import { Churner } from './churner.js';
import { FrameCounters } from './frame-counters.js';
import { GatewayLog } from './gateway-log.js';
import { Ledger, type DeliveryTally } from './ledger.js';
import { Random } from './random.js';
import { Stayer } from './stayer.js';

export interface SoakOptions {
  readonly clients: number;
  readonly rooms: number;
  /** How long everyone chats and churns, after all have joined. */
  readonly seconds: number;
  /** The share of clients that stay connected throughout. Default 1/3. */
  readonly stayerShare?: number | undefined;
  /**
   * Each client sends about this often. The default keeps a connection far
   * under the per-connection rate limit (40 frames per 10 s) even with a
   * reconnect's joins and history reads, and the whole run within what two
   * cores can post at 300 clients. Default 10 s.
   */
  readonly sendIntervalMs?: number | undefined;
  /**
   * Each churner is dropped (or closed and replaced) about this often.
   * Default 30 s: at 300 clients that is what one process on two cores
   * carries; at 15 s every drop's rejoins and presence frames outrun it,
   * replies pass the SDK's 20 s request timeout, and reconnects feed on
   * themselves.
   */
  readonly dropIntervalMs?: number | undefined;
  readonly seed?: number | undefined;
  /** Progress lines while it runs. */
  readonly progress?: (line: string) => void;
}

export interface SoakReport {
  readonly options: { readonly [K in keyof Omit<SoakOptions, 'progress'>]-?: number };
  readonly stayers: number;
  readonly churners: number;
  readonly rampSeconds: number;
  readonly runSeconds: number;
  readonly totalSeconds: number;
  readonly messages: {
    readonly sendsTried: number;
    readonly acked: number;
    readonly sendsRefusedByCode: Record<string, number>;
    readonly ackP50Ms: number;
    readonly ackP99Ms: number;
  };
  readonly deliveries: { readonly stayers: DeliveryTally; readonly churners: DeliveryTally };
  /** Whether deliveries stopped changing before the settle deadline. */
  readonly settled: boolean;
  readonly settleSeconds: number;
  readonly handshakes: { readonly made: number; readonly refusedByStatus: Record<string, number> };
  readonly errorFramesByCode: Record<string, number>;
  readonly internalServerErrorFrames: number;
  readonly handlerFailures: { readonly count: number; readonly samples: readonly string[] };
  readonly reconnects: number;
  readonly churnActions: Record<string, number>;
  readonly reconnectReasons: Record<string, number>;
  /** Frames the clients received, by type: presence frames cost a post per member too. */
  readonly framesInByType: Record<string, number>;
  readonly churnerLives: number;
  readonly invariantViolations: readonly string[];
  readonly itemsByKind: Record<string, number>;
  /** Connections, user and everyone-set links, memberships still in the table after everyone left. */
  readonly leftoverConnectionItems: number;
  /** What makes the run a failure (the CLI exits non-zero); empty when it passed. */
  readonly failures: readonly string[];
}

const SETTLE_LIMIT_MS = 60_000;
const SETTLE_QUIET_MS = 2_000;
/** Kinds of item (partition prefix / sort-key prefix) that belong to a live connection. */
const CONNECTION_KINDS = ['CONN/META', 'USER/CONN', 'ALL/CONN', 'ROOM/CONN'];

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const resolved = {
    clients: options.clients,
    rooms: options.rooms,
    seconds: options.seconds,
    stayerShare: options.stayerShare ?? 1 / 3,
    sendIntervalMs: options.sendIntervalMs ?? 10_000,
    dropIntervalMs: options.dropIntervalMs ?? 30_000,
    seed: options.seed ?? Date.now() % 1_000_000,
  };
  const progress = options.progress ?? (() => undefined);
  const startedAt = Date.now();
  const gatewayLog = new GatewayLog();
  // The handlers in this process: the soak loads the product's code, not the
  // local runtimes, whose threads on a laptop's few cores would be what it measured.
  const stack = await startLocalStack({ port: await freePort(), dynamoDbPort: await freePort(), log: gatewayLog.write, functions: 'in-process' });
  const dynamoDb = localDynamoDbClient(stack.dynamoDbEndpoint);
  const stayers: Stayer[] = [];
  const churners: Churner[] = [];
  try {
    await stack.gateway.warm();
    const random = new Random(resolved.seed);
    const ledger = new Ledger();
    const counters = new FrameCounters();
    const ackLatenciesMs: number[] = [];
    const churnActions: Record<string, number> = {};
    const reconnectReasons: Record<string, number> = {};
    const allRooms = Array.from({ length: resolved.rooms }, (_, index) => `soak-${index + 1}`);
    const stayerCount = Math.max(1, Math.round(resolved.clients * resolved.stayerShare));
    const churnerCount = Math.max(0, resolved.clients - stayerCount);

    stayers.push(...Array.from(
      { length: stayerCount },
      (_, index) =>
        new Stayer(`stayer-${index + 1}`, random.sample(allRooms, random.int(1, 3)), {
          url: stack.url,
          ledger,
          counters,
          random,
          sendIntervalMs: resolved.sendIntervalMs,
          ackLatenciesMs,
        }),
    ));
    churners.push(...Array.from(
      { length: churnerCount },
      (_, index) =>
        new Churner(`churner-${index + 1}`, {
          url: stack.url,
          managementEndpoint: stack.managementEndpoint,
          allRooms,
          ledger,
          counters,
          gatewayLog,
          random,
          sendIntervalMs: resolved.sendIntervalMs,
          dropIntervalMs: resolved.dropIntervalMs,
          ackLatenciesMs,
          actions: churnActions,
          reconnectReasons,
        }),
    ));

    const rampStartedAt = Date.now();
    // A few at a time: a burst of hundreds of handshakes at once would only measure the authorizer's queue.
    progress(`starting ${stayerCount} stayers and ${churnerCount} churners in ${resolved.rooms} rooms (seed ${resolved.seed})`);
    await pMap(stayers, (stayer) => stayer.start(), { concurrency: 16 });
    progress(`${stayerCount} stayers joined in ${Math.round((Date.now() - rampStartedAt) / 1000)} s`);
    await pMap(churners, (churner) => churner.start(), { concurrency: 16 });
    progress(`${churnerCount} churners joined in ${Math.round((Date.now() - rampStartedAt) / 1000)} s`);
    const rampSeconds = (Date.now() - rampStartedAt) / 1000;
    for (const stayer of stayers) stayer.chat();
    for (const churner of churners) churner.churn();

    const runStartedAt = Date.now();
    const runEndsAt = runStartedAt + resolved.seconds * 1000;
    while (Date.now() < runEndsAt) {
      await sleep(Math.min(10_000, runEndsAt - Date.now()));
      const reconnects = churners.reduce((sum, churner) => sum + churner.reconnects, 0);
      progress(
        `${Math.round((Date.now() - runStartedAt) / 1000)} s: ${ledger.size} acked, ${reconnects} reconnects, ${gatewayLog.handshakesMade} handshakes, ` +
          `${Object.values(counters.framesInByType).reduce((sum, count) => sum + count, 0)} frames received`,
      );
    }
    const runSeconds = (Date.now() - runStartedAt) / 1000;

    progress('stopping sends; waiting for acks and deliveries to settle');
    for (const stayer of stayers) stayer.stopSending();
    await Promise.all(churners.map((churner) => churner.stop(20_000)));
    await waitFor(() => stayers.every((stayer) => stayer.unacknowledged === 0), 40_000);

    const inboxes = () => [...stayers.map((stayer) => stayer.inbox), ...churners.flatMap((churner) => churner.inboxes)];
    const settleStartedAt = Date.now();
    let lastTotal = -1;
    let quietSince = Date.now();
    let settled = false;
    while (Date.now() - settleStartedAt < SETTLE_LIMIT_MS) {
      const total = inboxes().reduce((sum, inbox) => sum + inbox.received, 0);
      if (total !== lastTotal) {
        lastTotal = total;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= SETTLE_QUIET_MS && churners.every((churner) => churner.settled)) {
        settled = true;
        break;
      }
      await sleep(250);
    }
    const settleSeconds = (Date.now() - settleStartedAt) / 1000;
    const stayerTally = ledger.tally(stayers.map((stayer) => stayer.inbox));
    const churnerTally = ledger.tally(churners.flatMap((churner) => churner.inboxes));

    progress('everyone leaves; checking the table');
    // Half leave their rooms first, half just close: both must leave nothing behind.
    await pMap(stayers, (stayer, index) => stayer.leave(index % 2 === 0), { concurrency: 32 });
    await pMap(churners, (churner, index) => churner.close(index % 2 === 0), { concurrency: 32 });
    await waitFor(() => stack.gateway.openConnectionIds.length === 0, 20_000);
    const invariantViolations = await settledViolations(dynamoDb, stack.tableName, 20_000);
    const itemsByKind = countItemsByKind(await readWholeTable(dynamoDb, stack.tableName));
    const leftoverConnectionItems = CONNECTION_KINDS.reduce((sum, kind) => sum + (itemsByKind[kind] ?? 0), 0);

    const sendsTried = stayers.reduce((sum, stayer) => sum + stayer.sent, 0) + churners.reduce((sum, churner) => sum + churner.sent, 0);
    const failures: string[] = [];
    if (stayerTally.lost > 0) failures.push(`stayers lost ${stayerTally.lost} deliveries`);
    if (stayerTally.duplicated > 0) failures.push(`stayers got ${stayerTally.duplicated} duplicates`);
    if (stayerTally.ownEchoed > 0) failures.push(`stayers were handed their own sends ${stayerTally.ownEchoed} times`);
    if (invariantViolations.length > 0) failures.push(`${invariantViolations.length} table invariant violations`);
    if (leftoverConnectionItems > 0) failures.push(`${leftoverConnectionItems} connection, link or membership items left after everyone left`);
    if (gatewayLog.failures.length > 0) failures.push(`${gatewayLog.failures.length} handler failures`);
    if (counters.internalServerErrors > 0) failures.push(`${counters.internalServerErrors} Internal server error frames`);

    return {
      options: resolved,
      stayers: stayerCount,
      churners: churnerCount,
      rampSeconds: round(rampSeconds),
      runSeconds: round(runSeconds),
      totalSeconds: round((Date.now() - startedAt) / 1000),
      messages: {
        sendsTried,
        acked: ledger.size,
        sendsRefusedByCode: counters.sendsRefusedByCode,
        ackP50Ms: percentile(ackLatenciesMs, 0.5),
        ackP99Ms: percentile(ackLatenciesMs, 0.99),
      },
      deliveries: { stayers: stayerTally, churners: churnerTally },
      settled,
      settleSeconds: round(settleSeconds),
      handshakes: { made: gatewayLog.handshakesMade, refusedByStatus: gatewayLog.refusedByStatus },
      errorFramesByCode: counters.errorFramesByCode,
      internalServerErrorFrames: counters.internalServerErrors,
      handlerFailures: { count: gatewayLog.failures.length, samples: gatewayLog.failures.slice(0, 10) },
      reconnects: churners.reduce((sum, churner) => sum + churner.reconnects, 0),
      churnActions,
      reconnectReasons,
      framesInByType: counters.framesInByType,
      churnerLives: churners.reduce((sum, churner) => sum + churner.lives.length, 0),
      invariantViolations,
      itemsByKind,
      leftoverConnectionItems,
      failures,
    };
  } finally {
    // After a failure half-way, no client may keep reconnecting to a stack that is gone.
    for (const churner of churners) churner.abandon();
    for (const stayer of stayers) stayer.abandon();
    dynamoDb.destroy();
    await stack.stop();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(values: readonly number[], quantile: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
