/**
 * `npm run build` (and `prepack`): everything the package's exports point at.
 * The client is built by client/build.ts, which `npm run build` runs first
 * and `npm pack` runs as `prepare`, right after `prepack`.
 *
 *   dist/cdk/index.js          `<package>/cdk`: the RealtimeApi construct (aws-cdk-lib and constructs are the app's)
 *   dist/server/index.js       `<package>/server`: publish() for your own services
 *   dist/client/…              `<package>/client`: the SDK (client/build.ts)
 *   dist/functions/…           the handlers' prebuilt bundles (build/functions.ts)
 *   dist/types/…               declarations (the client's from client/tsconfig.json, the others' from tsconfig.package.json)
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { buildFunctionBundles } from './functions.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Readable ESM for Node; the package's own dependencies (and the app's CDK) stay imports. */
const forNode: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  logLevel: 'warning',
};

async function main(): Promise<void> {
  const started = performance.now();
  await Promise.all([
    build({ ...forNode, entryPoints: [path.join(root, 'lib/index.ts')], outfile: path.join(root, 'dist/cdk/index.js') }),
    build({ ...forNode, entryPoints: [path.join(root, 'server/index.ts')], outfile: path.join(root, 'dist/server/index.js') }),
  ]);
  await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.resolve('typescript/lib/tsc.js')), '-p', path.join(root, 'tsconfig.package.json')]);
  const bundles = buildFunctionBundles();
  console.log(`dist/cdk/index.js, dist/server/index.js, dist/client/, dist/types/, ${bundles.length} function bundles in dist/functions/`);
  console.log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
