/**
 * Bundle size and init time of every function the stack deploys.
 *
 * The app is synthesized as `cdk synth` does, bundling included, so each
 * bundle is the one CDK builds (lib/function-bundling.ts's options, through
 * NodejsFunction itself) and every function in the template is measured, one
 * added later included. Each `index.mjs` is then imported by a fresh `node`
 * with the function's deployed environment (template references replaced by
 * plausible values) and what Lambda's runtime sets. `initMs` is the time of
 * that `import()`, measured inside the child: module loading and evaluation,
 * what Lambda's init phase spends on our code, without Node's own boot.
 * The median of RUNS imports per function; rounds go over all functions in
 * turn so that a busy moment of the machine does not land on one function.
 *
 * `tsx bench/cold-start.ts` prints the table. Figures, never assertions.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { RealtimeFunction } from '../lib/realtime-function.js';
import { SECRET_ARN, synthesize } from '../test/infra/synth.js';
import { lambdaRuntimeVariables } from '../local/lambda/runtime-variables.js';
import { functionVariables, type Resources } from './deployed-environment.js';

export interface ColdStart {
  /** The handler module (lambdas/handlers/…), or the construct path of a function built otherwise. */
  handler: string;
  bundleBytes: number;
  initMs: number;
}

/** Imports per function: the median of 5 (3 in a quick run). */
const RUNS = process.argv.includes('--quick') ? 3 : 5;

/** The child's last stdout line starts with this, so output of the module itself cannot be mistaken for it. */
const RESULT_MARKER = 'cold-start-result ';

/** Run by the child: times the import and checks the module exports what Lambda will call. */
const CHILD_SCRIPT = `
const started = performance.now();
const module = await import(process.argv[1]);
const initMs = performance.now() - started;
if (typeof module[process.argv[2]] !== 'function') throw new Error('the bundle does not export ' + process.argv[2]);
console.log(${JSON.stringify(RESULT_MARKER)} + JSON.stringify({ initMs }));
`;

interface DeployedFunction {
  readonly handler: string;
  readonly file: string;
  readonly exportName: string;
  readonly environment: Record<string, string>;
}

export async function measureColdStarts(): Promise<ColdStart[]> {
  // The HS256 mode that deployments use: the authorizer reads its secret's ARN.
  const synth = synthesize({ jwtSecretArn: SECRET_ARN }, { bundle: true });
  try {
    const functions = deployedFunctions(synth);
    const times = functions.map((): number[] => []);
    for (let round = 0; round < RUNS; round += 1) {
      for (const [index, fn] of functions.entries()) times[index]?.push(await importTime(fn));
    }
    return functions.map((fn, index) => ({
      handler: fn.handler,
      bundleBytes: statSync(fn.file).size,
      initMs: median(times[index] ?? []),
    }));
  } finally {
    synth.cleanup();
  }
}

function deployedFunctions(synth: ReturnType<typeof synthesize>): DeployedFunction[] {
  const resources = synth.template.toJSON().Resources as Resources & Record<string, { Metadata?: Record<string, unknown> }>;
  const stackName = synth.stack.stackName;
  const entries = new Map(
    synth.stack.node
      .findAll()
      .filter((construct): construct is RealtimeFunction => construct instanceof RealtimeFunction)
      .map((fn) => [synth.stack.getLogicalId(fn.function.node.defaultChild as CfnFunction), fn.entry]),
  );
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, resource]) => {
      const properties = resource.Properties ?? {};
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new Error(`${id} has no asset directory`);
      const dir = path.join(synth.outdir, assetPath);
      // `index.handler`: Lambda's Node.js runtime looks for index.mjs, then index.js, then index.cjs.
      const [moduleName, exportName] = String(properties.Handler).split('.') as [string, string];
      const file = ['.mjs', '.js', '.cjs'].map((extension) => path.join(dir, moduleName + extension)).find((candidate) => existsSync(candidate));
      if (file === undefined) throw new Error(`${id}: no ${moduleName}.mjs/.js/.cjs in ${dir}`);
      const functionName = `${stackName}-${id}-BENCH`;
      return {
        handler: entries.get(id) ?? String(resource.Metadata?.['aws:cdk:path']),
        file,
        exportName,
        environment: {
          ...functionVariables(resources, stackName, id),
          ...lambdaRuntimeVariables({ functionName, memoryMb: Number(properties.MemorySize ?? 128), runtime: String(properties.Runtime), taskRoot: dir }),
        },
      };
    });
}

/** One fresh `node`, with only the function's environment, importing its bundle. */
function importTime(fn: DeployedFunction): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, pathToFileURL(fn.file).href, fn.exportName], {
      cwd: path.dirname(fn.file),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...fn.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${fn.handler}: importing the bundle failed (exit ${code})\n${stderr.trim()}`));
        return;
      }
      resolve((JSON.parse(line.slice(RESULT_MARKER.length)) as { initMs: number }).initMs);
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function formatColdStarts(results: readonly ColdStart[]): string {
  const width = Math.max(...results.map((result) => result.handler.length), 'handler'.length);
  return [
    `${'handler'.padEnd(width)} | bundle (KiB) | init (ms)`,
    ...results.map(
      (result) => `${result.handler.padEnd(width)} | ${(result.bundleBytes / 1024).toFixed(1).padStart(12)} | ${result.initMs.toFixed(1).padStart(9)}`,
    ),
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const results = await measureColdStarts();
  if (process.env.BENCH_RESULT_FILE === undefined) {
    console.log(`\nCold start: bundle as CDK builds it, median init of ${RUNS} imports in a fresh node (${process.version})`);
    console.log(formatColdStarts(results));
  } else {
    writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(results));
  }
}
