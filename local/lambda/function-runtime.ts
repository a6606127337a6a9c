/**
 * One local function instance, as a Lambda execution environment runs it:
 * this file is the entry of a worker thread that has only the function's own
 * environment, imports the handler once (the init phase, timed), then runs
 * one invocation at a time for as long as it is kept warm. Messages from
 * local/lambda/local-function.ts: `invoke`; answers: `ready`, `init-error`,
 * `result`, `error`.
 */
import { register } from 'node:module';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { FromRuntime, InvocationRequest, RuntimeSetup, SerializedError } from './runtime-messages.js';

const setup = workerData as RuntimeSetup;
const port = parentPort;
if (port === null) throw new Error('function-runtime.ts runs as a worker thread');
const send = (message: FromRuntime): void => port.postMessage(message);

function serialize(error: unknown): SerializedError {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message, stack: error.stack ?? '' };
  return { errorType: 'Error', errorMessage: String(error), stack: '' };
}

// The gateway's certificate comes from a local CA: trusted by this runtime
// (and only this thread), as a public CA is by Lambda's.
if (setup.trustedCertificate !== undefined) setDefaultCACertificates([...getCACertificates('default'), setup.trustedCertificate]);
// Only when needed: module hooks run on a thread of their own, a cost at every cold start.
if (setup.providedModulesFrom !== undefined) register(new URL('./provided-modules.ts', import.meta.url), { data: { providedFrom: setup.providedModulesFrom } });

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const started = performance.now();
let handler: Handler | undefined;
try {
  const module = (await import(pathToFileURL(setup.entry).href)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw Object.assign(new Error(`${setup.entry} exports no handler function`), { name: 'Runtime.HandlerNotFound' });
  handler = module.handler as Handler;
  send({ type: 'ready', initMs: performance.now() - started });
} catch (error) {
  send({ type: 'init-error', error: serialize(error) });
}

port.on('message', (request: InvocationRequest) => {
  const run = handler;
  if (run === undefined) return;
  // As lambda-context.ts's withContextMethods, which this thread cannot import
  // (it runs this file by type stripping alone: only type imports resolve).
  const context: Context = {
    ...request.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  Promise.resolve()
    .then(() => run(request.event, context))
    .then(
      (result) => send({ type: 'result', id: request.id, result }),
      (error: unknown) => send({ type: 'error', id: request.id, error: serialize(error) }),
    );
});
