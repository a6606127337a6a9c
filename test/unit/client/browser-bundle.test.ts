/**
 * The SDK's browser bundle: its size and contents. (`<package>/client` as an
 * installed application imports it, types included, is test/e2e/package.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { browserBundleOptions, bundle, pageBundleOptions } from '../../../client/build.js';

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
