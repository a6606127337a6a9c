/**
 * How the local gateway and queues run a function: isolated, as Lambda runs
 * it (`IsolatedFunctions`: one warm worker thread per instance, the
 * function's own environment; what `npm start` uses), or in the caller's
 * process (`InProcessFunctions`: what the tests use that force faults into a
 * handler's AWS clients or change its settings per test file).
 */
import * as path from 'node:path';
import type { FunctionDefinition } from '../../lib/function-definitions.js';
import { lambdaContext } from '../gateway/events.js';
import { loadEntry } from '../routing.js';
import { LocalFunction } from './local-function.js';
import { lambdaRuntimeVariables } from './runtime-variables.js';

export interface FunctionInvoker {
  /** Runs the function `name`, whose handler module is `entry` (relative to the project root), with the event. */
  invoke<T>(name: string, entry: string, event: unknown): Promise<T>;
  /** Initialises these functions ahead of their first invocation. */
  warm(functions: readonly { readonly name: string; readonly entry: string }[]): Promise<void>;
  stop(): Promise<void>;
}

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
  readonly log?: (line: string) => void;
}

export class IsolatedFunctions implements FunctionInvoker {
  private readonly functions = new Map<string, LocalFunction>();
  private stopped = false;

  constructor(private readonly options: IsolatedFunctionsOptions) {}

  invoke<T>(name: string, entry: string, event: unknown): Promise<T> {
    return this.function(name, entry).invoke<T>(event);
  }

  async warm(functions: readonly { readonly name: string; readonly entry: string }[]): Promise<void> {
    // Two at a time: initialising every function at once would only make each slower.
    const queue = [...functions];
    const next = async (): Promise<void> => {
      for (let item = queue.shift(); item !== undefined && !this.stopped; item = queue.shift()) await this.function(item.name, item.entry).warm();
    };
    await Promise.all([next(), next()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.functions.values()].map((fn) => fn.stop()));
    this.functions.clear();
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
