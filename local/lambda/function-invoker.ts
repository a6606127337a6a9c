/**
 * How the local gateway and queues run a function: isolated, as Lambda runs
 * it (`IsolatedFunctions`: one warm worker thread per instance, the
 * function's own environment; what `npm start` uses), or in the caller's
 * process (`InProcessFunctions`: what the tests use that force faults into a
 * handler's AWS clients or change its settings per test file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FunctionDefinition } from '../../lib/function-definitions.js';
import { lambdaContext } from '../gateway/events.js';
import { loadEntry } from '../routing.js';
import { bundleFunctions, type FunctionBundle } from './function-bundle.js';
import { LocalFunction } from './local-function.js';
import { lambdaRuntimeVariables } from './runtime-variables.js';

export interface FunctionInvoker {
  /** Runs the function `name`, whose handler module is `entry` (relative to the project root), with the event. */
  invoke<T>(name: string, entry: string, event: unknown): Promise<T>;
  /** Initialises these functions ahead of their first invocation. */
  warm(functions: readonly { readonly name: string; readonly entry: string }[]): Promise<void>;
  stop(): Promise<void>;
}

/** Functions initialised at once when warming: more only queue on the CPU, fewer leave it waiting on I/O. */
const WARMING_AT_ONCE = 3;

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

export class InProcessFunctions implements FunctionInvoker {
  async invoke<T>(name: string, entry: string, event: unknown): Promise<T> {
    const handler = await loadEntry<Handler>(entry);
    return (await handler(event, lambdaContext(name))) as T;
  }

  async warm(functions: readonly { readonly name: string; readonly entry: string }[]): Promise<void> {
    await Promise.all(functions.map(({ entry }) => loadEntry(entry)));
  }

  async stop(): Promise<void> {}
}

/** Builds every defined function, in one esbuild run; by entry (absolute). */
export function bundleDefinitions(definitions: readonly FunctionDefinition[], projectRoot: string, outdir: string): Promise<ReadonlyMap<string, FunctionBundle>> {
  return bundleFunctions(
    definitions.map((definition) => path.resolve(projectRoot, definition.entry)),
    projectRoot,
    outdir,
  );
}

export interface IsolatedFunctionsOptions {
  /** What CDK deploys, with this run's values (lib/function-definitions.ts). */
  readonly definitions: readonly FunctionDefinition[];
  readonly projectRoot: string;
  /**
   * Variables only a local run has, added to every function's: the standard
   * SDK endpoint variables (`AWS_ENDPOINT_URL_DYNAMODB`, …) that point plain
   * SDK clients at the local services.
   */
  readonly localVariables: Readonly<Record<string, string>>;
  readonly region: string;
  readonly trustedCertificate?: string;
  readonly maxInstances?: number;
  /** Bundles of the defined functions built ahead (by entry, absolute); built on first need otherwise. */
  readonly bundles?: Promise<ReadonlyMap<string, FunctionBundle>>;
  readonly log?: (line: string) => void;
}

export class IsolatedFunctions implements FunctionInvoker {
  private readonly functions = new Map<string, LocalFunction>();
  private stopped = false;
  /** Where the functions' bundles are built, for this run only. */
  private readonly bundles = mkdtempSync(path.join(tmpdir(), 'realtime-functions-'));

  /** Every defined function's bundle, built in one run when first needed. */
  private built: Promise<ReadonlyMap<string, FunctionBundle>> | undefined;
  private builds = 0;

  constructor(private readonly options: IsolatedFunctionsOptions) {}

  /** The bundle of `source`: from the one build of every defined function, or built alone (a handler given in place of one). */
  private async bundleOf(source: string): Promise<FunctionBundle> {
    this.built ??= this.options.bundles ?? bundleDefinitions(this.options.definitions, this.options.projectRoot, path.join(this.bundles, 'defined'));
    const bundle = (await this.built).get(source);
    if (bundle !== undefined) return bundle;
    const alone = await bundleFunctions([source], this.options.projectRoot, path.join(this.bundles, `alone-${this.builds++}`));
    return alone.get(source) as FunctionBundle;
  }

  invoke<T>(name: string, entry: string, event: unknown): Promise<T> {
    return this.function(name, entry).invoke<T>(event);
  }

  async warm(functions: readonly { readonly name: string; readonly entry: string }[]): Promise<void> {
    // A few at a time: initialising every function at once would only make each slower.
    const queue = [...functions];
    const next = async (): Promise<void> => {
      for (let item = queue.shift(); item !== undefined && !this.stopped; item = queue.shift()) await this.function(item.name, item.entry).warm();
    };
    await Promise.all(Array.from({ length: WARMING_AT_ONCE }, next));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.functions.values()].map((fn) => fn.stop()));
    this.functions.clear();
    rmSync(this.bundles, { recursive: true, force: true });
  }

  /** The function `name` as defined for deployment; its handler may be another module (a test's stand-in), its settings stay. */
  private function(name: string, entry: string): LocalFunction {
    if (this.stopped) throw new Error(`the functions have stopped: cannot run ${name}`);
    const key = `${name} ${entry}`;
    let fn = this.functions.get(key);
    if (fn === undefined) {
      const definition = this.options.definitions.find((candidate) => candidate.name === name);
      if (definition === undefined) throw new Error(`no function "${name}" is defined (lib/function-definitions.ts)`);
      const functionName = `realtime-${name.replace(/^\$/, '')}`;
      fn = new LocalFunction({
        name: functionName,
        entry: path.resolve(this.options.projectRoot, entry),
        // Built as it is deployed (lib/function-build.ts): a local cold start loads what Lambda loads.
        build: (source) => this.bundleOf(source),
        environment: {
          ...lambdaRuntimeVariables({ functionName, memoryMb: definition.memoryMb, runtime: 'nodejs24.x', taskRoot: this.options.projectRoot, region: this.options.region }),
          ...definition.environment,
          ...this.options.localVariables,
        },
        timeoutSeconds: definition.timeoutSeconds,
        memoryMb: definition.memoryMb,
        projectRoot: this.options.projectRoot,
        ...(this.options.trustedCertificate === undefined ? {} : { trustedCertificate: this.options.trustedCertificate }),
        ...(this.options.maxInstances === undefined ? {} : { maxInstances: this.options.maxInstances }),
        ...(this.options.log === undefined ? {} : { log: this.options.log }),
      });
      this.functions.set(key, fn);
    }
    return fn;
  }
}
