/**
 * A local function's instances behave as Lambda execution environments:
 * isolated environment and module state, warm reuse, one invocation per
 * instance at a time, the timeout ending an invocation and its instance, a
 * crash or a failed init reported as Lambda reports them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/realtime-api.js';
import { FunctionError, LocalFunction, type LocalFunctionOptions } from '../../../local/lambda/local-function.js';

let dir: string;
const started: LocalFunction[] = [];

const HANDLERS = {
  'counter.mjs': `let count = 0;
export const handler = async (event, context) => {
  count += 1;
  if (event.waitMs) await new Promise((resolve) => setTimeout(resolve, event.waitMs));
  return { count, variables: Object.keys(process.env).sort(), remaining: context.getRemainingTimeInMillis(), name: context.functionName };
};`,
  'crash.mjs': `export const handler = async () => { setTimeout(() => { throw new Error('background failure'); }, 0); await new Promise((resolve) => setTimeout(resolve, 200)); return 'unreachable'; };`,
  'throws.mjs': `export const handler = async () => { throw Object.assign(new Error('no such order'), { name: 'OrderNotFound' }); };`,
  'init-fails.mjs': `throw new Error('missing configuration');`,
  'no-handler.mjs': `export const notTheHandler = () => 1;`,
  'not-provided.mjs': `import 'zod'; export const handler = async () => 'imported';`,
  'provided.mjs': `import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; export const handler = async () => typeof DynamoDBClient;`,
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'local-function-'));
  for (const [name, code] of Object.entries(HANDLERS)) writeFileSync(path.join(dir, name), code);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function localFunction(file: keyof typeof HANDLERS, options: Partial<LocalFunctionOptions> = {}): LocalFunction {
  const fn = new LocalFunction({
    name: file.replace('.mjs', ''),
    entry: path.join(dir, file),
    environment: { ONLY_THIS: 'yes' },
    timeoutSeconds: 5,
    memoryMb: 128,
    projectRoot: PROJECT_ROOT,
    ...options,
  });
  started.push(fn);
  return fn;
}

async function failure(promise: Promise<unknown>): Promise<FunctionError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(FunctionError);
  return error as FunctionError;
}

describe('LocalFunction', () => {
  it('gives the handler only its own environment, and a context with the time left', async () => {
    const result = await localFunction('counter.mjs').invoke<{ variables: string[]; remaining: number; name: string }>({});
    expect(result.variables).toEqual(['ONLY_THIS']);
    expect(result.remaining).toBeGreaterThan(0);
    expect(result.remaining).toBeLessThanOrEqual(5000);
    expect(result.name).toBe('counter');
  });

  it('reuses a warm instance, and starts another for an invocation that overlaps', async () => {
    const logged: string[] = [];
    const fn = localFunction('counter.mjs', { log: (line) => logged.push(line) });
    expect(await fn.invoke({})).toMatchObject({ count: 1 });
    expect(await fn.invoke({})).toMatchObject({ count: 2 });
    const overlapping = await Promise.all([fn.invoke<{ count: number }>({ waitMs: 200 }), fn.invoke<{ count: number }>({ waitMs: 200 })]);
    expect(overlapping.map((result) => result.count).sort()).toEqual([1, 3]);
    expect(logged.filter((line) => /^counter: cold start, init \d+ ms$/.test(line))).toHaveLength(2);
  });

  it('gives an invocation that arrives while the function warms the instance being initialised', async () => {
    const logged: string[] = [];
    const fn = localFunction('counter.mjs', { log: (line) => logged.push(line) });
    const warming = fn.warm();
    expect(await fn.invoke({})).toMatchObject({ count: 1 });
    await warming;
    expect(await fn.invoke({})).toMatchObject({ count: 2 });
    expect(logged.filter((line) => line.includes('cold start'))).toHaveLength(1);
  });

  it('waits for a free instance past maxInstances rather than starting more', async () => {
    const fn = localFunction('counter.mjs', { maxInstances: 1 });
    const results = await Promise.all([fn.invoke<{ count: number }>({ waitMs: 50 }), fn.invoke<{ count: number }>({ waitMs: 50 }), fn.invoke<{ count: number }>({})]);
    expect(results.map((result) => result.count).sort()).toEqual([1, 2, 3]);
  });

  it('ends an invocation at the timeout as Lambda does, and the next one starts a fresh instance', async () => {
    const fn = localFunction('counter.mjs', { timeoutSeconds: 0.3 });
    const error = await failure(fn.invoke({ waitMs: 5_000 }));
    expect(error).toMatchObject({ errorType: 'Sandbox.Timedout', message: 'Task timed out after 0.30 seconds' });
    expect(await fn.invoke({})).toMatchObject({ count: 1 });
  });

  it("reports the handler's own error with its type, and keeps the instance", async () => {
    const fn = localFunction('throws.mjs');
    expect(await failure(fn.invoke({}))).toMatchObject({ errorType: 'OrderNotFound', message: 'no such order' });
    expect(await failure(fn.invoke({}))).toMatchObject({ errorType: 'OrderNotFound' });
  });

  it('reports an uncaught exception as the runtime exiting, and recovers with a new instance', async () => {
    const fn = localFunction('crash.mjs');
    expect(await failure(fn.invoke({}))).toMatchObject({ errorType: 'Runtime.ExitError', message: expect.stringMatching(/background failure/) });
    expect((await failure(fn.invoke({}))).errorType).toBe('Runtime.ExitError');
  });

  it('reports a failed init, and a module without a handler, on the invocation, and initialises afresh next time', async () => {
    const logged: string[] = [];
    const initFails = localFunction('init-fails.mjs', { log: (line) => logged.push(line) });
    expect(await failure(initFails.invoke({}))).toMatchObject({ message: 'missing configuration' });
    expect(await failure(initFails.invoke({}))).toMatchObject({ message: 'missing configuration' });
    expect(logged.filter((line) => line.startsWith('init-fails: init failed'))).toHaveLength(2);
    expect(await failure(localFunction('no-handler.mjs').invoke({}))).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
  });

  it('provides @aws-sdk/* to a handler that does not ship it, as the Lambda runtime does, and nothing else', async () => {
    expect(await localFunction('provided.mjs').invoke({})).toBe('function');
    expect((await failure(localFunction('not-provided.mjs').invoke({}))).message).toMatch(/Cannot find package 'zod'/);
  });
});
