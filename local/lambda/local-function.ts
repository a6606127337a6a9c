/**
 * A Lambda function run locally as Lambda runs it: each instance (execution
 * environment) is a worker thread with its own module state and exactly the
 * function's environment, initialised once (a cold start, logged with its
 * init time), kept warm and reused, one invocation at a time. Concurrent
 * invocations get more instances, up to `maxInstances`; past that they wait.
 * An invocation that outlives the function's timeout fails as Lambda's does
 * ("Task timed out after N seconds") and its instance is discarded.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FunctionBundle } from './function-bundle.js';
import { contextFields, type ContextFields } from './lambda-context.js';
import type { FromRuntime, InvocationRequest, RuntimeSetup, SerializedError } from './runtime-messages.js';

export interface LocalFunctionOptions {
  /** The function's name (AWS_LAMBDA_FUNCTION_NAME, the context's functionName). */
  readonly name: string;
  /** The handler module: an absolute path. */
  readonly entry: string;
  /** Builds the module an instance runs from the entry (once, before the first instance). @default - the entry as it is, which may import @aws-sdk/* it does not carry */
  readonly build?: (entry: string) => Promise<FunctionBundle>;
  /** Everything the function's process.env holds: its own variables and the runtime's. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The project root: its node_modules stand in for the modules Lambda's runtime provides. */
  readonly projectRoot: string;
  /** A PEM certificate the function trusts beside the public CAs. */
  readonly trustedCertificate?: string;
  /** Instances at most; more invocations at once wait for one. @default DEFAULT_MAX_INSTANCES */
  readonly maxInstances?: number;
  readonly log?: (line: string) => void;
}

/**
 * Instances per function at most. Lambda scales out far further; locally each
 * instance is a thread with its own heap and its own cold start, and on a
 * laptop's few cores more of them only compete: a 300-client soak on 2 cores
 * answered its sends in 8 s at the median with 4, in 27 s with 16 (and in
 * 22 ms with every handler in one process, which is how the soak runs).
 */
const DEFAULT_MAX_INSTANCES = 4;

/** A failed invocation, as Lambda reports it: the error's type and message. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly functionStack = '',
  ) {
    super(message);
    this.name = errorType;
  }
}

function fromSerialized(error: SerializedError): FunctionError {
  return new FunctionError(error.errorType, error.errorMessage, error.stack);
}

const RUNTIME_ENTRY = new URL('./function-runtime.ts', import.meta.url);

class FunctionInstance {
  /** Initialised: resolves with the init time, rejects as the init or the runtime failed. */
  readonly ready: Promise<number>;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private exited = false;
  private stopped = false;

  constructor(
    private readonly options: LocalFunctionOptions,
    module: Promise<FunctionBundle>,
    private readonly onExit: (instance: FunctionInstance) => void,
  ) {
    this.ready = module.then((bundle) => this.spawn(bundle));
    // Init failures are reported to the invocation that waits for it.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.exited;
  }

  invoke(request: Omit<InvocationRequest, 'id'>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.worker === undefined) return reject(new FunctionError('Runtime.ExitError', 'the runtime is not running'));
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } satisfies InvocationRequest);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.worker?.terminate();
  }

  private spawn(bundle: FunctionBundle): Promise<number> {
    if (this.stopped) return Promise.reject(new FunctionError('Runtime.ExitError', 'stopped before it started'));
    const { options } = this;
    const setup: RuntimeSetup = {
      entry: bundle.module,
      ...(bundle.importsProvidedModules ? { providedModulesFrom: pathToFileURL(`${options.projectRoot}/package.json`).href } : {}),
      ...(options.trustedCertificate === undefined ? {} : { trustedCertificate: options.trustedCertificate }),
    };
    const worker = new Worker(RUNTIME_ENTRY, {
      workerData: setup,
      env: { ...options.environment },
      execArgv: [...(options.environment.NODE_OPTIONS?.includes('--enable-source-maps') ? ['--enable-source-maps'] : [])],
      name: options.name,
    });
    this.worker = worker;
    const failAll = (failure: FunctionError): void => {
      for (const waiter of this.pending.values()) waiter.reject(failure);
      this.pending.clear();
    };
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (message: FromRuntime) => {
        if (message.type === 'ready') resolve(message.initMs);
        else if (message.type === 'init-error') reject(fromSerialized(message.error));
        else {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.type === 'result') waiter?.resolve(message.result);
          else waiter?.reject(fromSerialized(message.error));
        }
      });
      worker.on('error', (error) => {
        // An uncaught exception or unhandled rejection ends the runtime, as it does Lambda's.
        const failure = new FunctionError('Runtime.ExitError', `the runtime exited: ${error.message}`, error.stack);
        reject(failure);
        failAll(failure);
      });
      worker.on('exit', () => {
        this.exited = true;
        const failure = new FunctionError('Runtime.ExitError', 'the runtime exited');
        reject(failure);
        failAll(failure);
        this.onExit(this);
      });
    });
  }
}

export class LocalFunction {
  private readonly idle: FunctionInstance[] = [];
  private readonly all = new Set<FunctionInstance>();
  private readonly waiting: ((instance: FunctionInstance) => void)[] = [];
  private readonly log: (line: string) => void;

  /** The module instances run, built once on first need. */
  private module: Promise<FunctionBundle> | undefined;

  constructor(readonly options: LocalFunctionOptions) {
    this.log = options.log ?? (() => undefined);
  }

  /** Starts an instance ahead of the first invocation, as provisioned concurrency would; resolves when it is initialised (or failed to). */
  async warm(): Promise<void> {
    if (this.all.size > 0) return;
    const instance = this.start();
    // Available at once: an invocation arriving during init waits for this instance rather than starting another.
    this.release(instance);
    await instance.ready.catch(() => undefined);
  }

  async invoke<T>(event: unknown): Promise<T> {
    const instance = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    try {
      try {
        await instance.ready;
      } catch (error) {
        // Lambda discards an environment whose init failed; the next invocation initialises afresh.
        this.discard(instance);
        throw error;
      }
      // The timeout counts from the end of init, which Lambda bounds separately.
      const deadline = Date.now() + this.options.timeoutSeconds * 1000;
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new FunctionError('Sandbox.Timedout', `Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds`)), deadline - Date.now());
      });
      return (await Promise.race([instance.invoke({ event, deadline, context: this.context() }), timedOut])) as T;
    } catch (error) {
      if (error instanceof FunctionError && (error.errorType === 'Sandbox.Timedout' || error.errorType.startsWith('Runtime.'))) {
        // So is one that timed out or whose runtime exited.
        this.log(`${this.options.name}: ${error.message}`);
        this.discard(instance);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (this.all.has(instance) && instance.alive) this.release(instance);
      else this.serveWaiting();
    }
  }

  private discard(instance: FunctionInstance): void {
    this.all.delete(instance);
    void instance.stop();
  }

  async stop(): Promise<void> {
    const instances = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(instances.map((instance) => instance.stop()));
  }

  private context(): ContextFields {
    const { name, memoryMb, environment } = this.options;
    return contextFields(name, {
      memoryMb,
      ...(environment.AWS_REGION === undefined ? {} : { region: environment.AWS_REGION }),
      ...(environment.AWS_LAMBDA_LOG_GROUP_NAME === undefined ? {} : { logGroupName: environment.AWS_LAMBDA_LOG_GROUP_NAME }),
      ...(environment.AWS_LAMBDA_LOG_STREAM_NAME === undefined ? {} : { logStreamName: environment.AWS_LAMBDA_LOG_STREAM_NAME }),
    });
  }

  private start(): FunctionInstance {
    this.module ??= this.options.build === undefined ? Promise.resolve({ module: this.options.entry, importsProvidedModules: true }) : this.options.build(this.options.entry);
    const instance = new FunctionInstance(this.options, this.module, (gone) => {
      this.all.delete(gone);
      const at = this.idle.indexOf(gone);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.all.add(instance);
    instance.ready.then(
      (initMs) => this.log(`${this.options.name}: cold start, init ${initMs.toFixed(0)} ms`),
      (error: unknown) => this.log(`${this.options.name}: init failed: ${String(error)}`),
    );
    return instance;
  }

  private acquire(): Promise<FunctionInstance> {
    const idle = this.idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.all.size < (this.options.maxInstances ?? DEFAULT_MAX_INSTANCES)) return Promise.resolve(this.start());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(instance: FunctionInstance): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(instance);
    else this.idle.push(instance);
  }

  /** An instance was discarded: a waiting invocation gets a new one. */
  private serveWaiting(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(this.start());
  }
}
