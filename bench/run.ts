/**
 * `npm run bench` (`-- --quick` for a shorter run): runs each part of the
 * bench in a process of its own (each starts what it needs: DynamoDB Local,
 * the local stack or a stub), prints one table, and writes every figure to
 * bench/results/latest.json. Figures, never assertions; see bench/README.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColdStart } from './cold-start.js';
import type { CostResult } from './cost.js';
import type { FanOutRow } from './fan-out.js';
import type { LargeRoomResult } from './large-room.js';
import type { ThroughputResult } from './throughput.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const scratch = mkdtempSync(path.join(tmpdir(), 'realtime-bench-'));

/** Runs `bench/<part>.ts` and returns the JSON it reported. */
async function part<T>(name: string): Promise<T> {
  const resultFile = path.join(scratch, `${name}.json`);
  const started = performance.now();
  process.stdout.write(`${name} … `);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, `${name}.ts`), ...(quick ? ['--quick'] : [])], {
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`bench/${name}.ts exited with ${code}`);
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as T;
}

const started = Date.now();
const results = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  fanout: await part<FanOutRow[]>('fan-out'),
  throughput: await part<ThroughputResult>('throughput'),
  costPerMessage: await part<CostResult>('cost'),
  largeRoom: await part<LargeRoomResult>('large-room'),
  coldStart: await part<ColdStart[]>('cold-start'),
  durationSeconds: 0,
};
results.durationSeconds = Math.round((Date.now() - started) / 1000);
rmSync(scratch, { recursive: true, force: true });

const resultsDir = path.join(benchDir, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

const pad = (value: string | number, width: number): string => String(value).padStart(width);
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}` : '-');
console.log(`\nFan-out: send → last member received, real ws clients through the local stack`);
console.log(`  members | table conns |  p50 ms |  p95 ms |  p99 ms | naive p50 | floor p50 | naive/ours | ours/floor`);
for (const row of results.fanout) {
  console.log(
    `  ${pad(row.members, 7)} | ${pad(row.tableConnections, 11)} | ${pad(row.p50Ms, 7)} | ${pad(row.p95Ms, 7)} | ${pad(row.p99Ms, 7)} | ${pad(row.naiveP50Ms, 9)} | ${pad(row.floorP50Ms, 9)} | ${pad(`${(row.naiveP50Ms / row.p50Ms).toFixed(1)}×`, 10)} | ${pad(ratio(row.p50Ms, row.floorP50Ms), 10)}`,
  );
}
const { throughput, costPerMessage: cost, largeRoom } = results;
console.log(`\nThroughput: ${throughput.roomMessagesPerSec} room messages/s (${throughput.deliveriesPerSec} deliveries/s, ${throughput.clients} clients × ${throughput.messagesEach}), ${throughput.handshakesPerSec} handshakes/s`);
console.log(
  `Cost: a message into a ${cost.perMessage.members}-member room ${cost.perMessage.readUnits} RCU, ${cost.perMessage.writeUnits} WCU, ${cost.perMessage.managementCalls} posts; a frame admitted ${cost.perFrameAdmitted.readUnits} RCU, ${cost.perFrameAdmitted.writeUnits} WCU; a ping ${cost.perPing.writeUnits} WCU`,
);
console.log(
  `Large room: ${largeRoom.delivered} of ${largeRoom.members - largeRoom.excluded} delivered (${largeRoom.duplicates} twice) in ${largeRoom.batches} batches, ${largeRoom.deliveriesPerSec} deliveries/s (budget ${largeRoom.postRateBudget}/s over ${largeRoom.workers} workers)`,
);
console.log(`\nCold start: bundle and init of every deployed function`);
console.log(`  ${'handler'.padEnd(42)} |      KiB | init ms`);
for (const row of results.coldStart) {
  console.log(`  ${row.handler.padEnd(42)} | ${pad((row.bundleBytes / 1024).toFixed(0), 8)} | ${pad(row.initMs.toFixed(1), 7)}`);
}
console.log(`\n${results.mode} run on ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, ${results.durationSeconds} s; bench/results/latest.json`);
process.exit(0);
