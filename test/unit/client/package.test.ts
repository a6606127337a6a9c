/**
 * The SDK as applications get it: the browser bundle's size and contents,
 * and `<package>/client` with its types, from a fresh build.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserBundleOptions, bundle, pageBundleOptions } from '../../../client/build.js';
import type * as Sdk from '../../../client/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);

describe('the browser bundle', () => {
  it('stays within 15 KiB gzipped, with no zod and nothing from node_modules in it', async () => {
    const sdk = await bundle(browserBundleOptions);
    expect(sdk.gzipBytes).toBeLessThanOrEqual(15 * 1024);
    expect(sdk.inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
    expect(sdk.inputs).not.toContain('lambdas/core/protocol.ts');
    expect(sdk.text).toMatch(/import\("ws"\)/); // loaded only in Node, never in a browser
  });

  it('is what the demo page loads, rather than a second copy inside the page script', async () => {
    const page = await bundle(pageBundleOptions);
    expect(page.inputs.filter((input) => input.startsWith('client/'))).toEqual([]);
    expect(page.text).toMatch(/from"\.\/realtime-client\.js"/);
  });
});

describe('<package>/client', () => {
  beforeAll(async () => {
    await run(process.execPath, [require.resolve('tsx/cli'), 'client/build.ts'], { cwd: root });
  }, 120_000);

  it('resolves through package.json exports to the built module', async () => {
    const resolved = require.resolve('serverless-realtime/client');
    expect(resolved).toBe(`${root}dist/client/index.js`);
    const sdk = (await import(pathToFileURL(resolved).href)) as typeof Sdk;
    expect(typeof sdk.RealtimeClient).toBe('function');
    expect(new sdk.RealtimeError('TIMEOUT', 'x').code).toBe('TIMEOUT');
  });

  it('type-checks an application that imports it, strictly and with the library types checked too', async () => {
    const tsc = require.resolve('typescript/lib/tsc.js');
    await expect(run(process.execPath, [tsc, '-p', 'test/fixtures/client-consumer'], { cwd: root })).resolves.toBeDefined();
  }, 60_000);
});
