/**
 * `npm run soak [-- --clients 300 --rooms 30 --seconds 60]`: churn under
 * load against the local stack (see soak.ts). Prints a table, writes every
 * figure to bench/results/soak.json, and exits non-zero when a client that
 * stayed connected lost or got a duplicate message, a handler failed, or
 * the table is left inconsistent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Handlers read their log level when first imported: errors only, so the table stays readable.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { runSoak } = await import('./soak.js');
const { formatReport } = await import('./report.js');

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '300' },
    rooms: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '60' },
    'stayer-share': { type: 'string' },
    'send-interval-ms': { type: 'string' },
    'drop-interval-ms': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('npm run soak -- [--clients 300] [--rooms 30] [--seconds 60] [--stayer-share 0.33] [--send-interval-ms 10000] [--drop-interval-ms 30000] [--seed N]');
  process.exit(0);
}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const report = await runSoak({
  clients: numberOption('clients', values.clients) ?? 300,
  rooms: numberOption('rooms', values.rooms) ?? 30,
  seconds: numberOption('seconds', values.seconds) ?? 60,
  stayerShare: numberOption('stayer-share', values['stayer-share']),
  sendIntervalMs: numberOption('send-interval-ms', values['send-interval-ms']),
  dropIntervalMs: numberOption('drop-interval-ms', values['drop-interval-ms']),
  seed: numberOption('seed', values.seed),
  progress: (line) => console.log(line),
});

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
writeFileSync(path.join(resultsDir, 'soak.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, ...report }, null, 2)}\n`);

console.log(`\n${formatReport(report)}\nbench/results/soak.json`);
process.exit(report.failures.length === 0 ? 0 : 1);
