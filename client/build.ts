/**
 * `npm run build:client`: the SDK as applications get it.
 *
 *   dist/client/index.js                 ESM for Node and for bundlers (`<package>/client`)
 *   dist/client/realtime-client.min.js   one minified ESM file for browsers (what `npm start` serves)
 *   dist/types/                          declarations
 *
 * The same esbuild options build the browser bundle and the demo page in
 * memory for `npm start`.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** One minified ESM file for today's browsers. */
const forBrowsers: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
};

/** The SDK for browsers. `ws` stays out: it is imported only when running in Node. */
export const browserBundleOptions: BuildOptions = {
  ...forBrowsers,
  entryPoints: [join(root, 'client/index.ts')],
  external: ['ws'],
};

/** The SDK for Node and for applications' own bundlers: readable, `ws` left as an import. */
const moduleOptions: BuildOptions = {
  ...browserBundleOptions,
  platform: 'neutral',
  minify: false,
};

/** The demo page's script imports the SDK from its browser bundle, served beside it, rather than carrying a copy. */
const sdkFromBrowserBundle: Plugin = {
  name: 'sdk-from-browser-bundle',
  setup(builder) {
    builder.onResolve({ filter: /\/client\/index\.js$/ }, () => ({ path: './realtime-client.js', external: true }));
  },
};

export const pageBundleOptions: BuildOptions = {
  ...forBrowsers,
  entryPoints: [join(root, 'web/app.ts')],
  plugins: [sdkFromBrowserBundle],
};

export interface BuiltFile {
  readonly text: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Every source file that went into it. */
  readonly inputs: readonly string[];
}

/** Builds one bundle in memory. */
export async function bundle(options: BuildOptions): Promise<BuiltFile> {
  const result = await build({ ...options, write: false, metafile: true, logLevel: 'silent' });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no output');
  return {
    text: output.text,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    inputs: Object.keys(result.metafile.inputs),
  };
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const outDir = join(root, 'dist/client');
  await mkdir(outDir, { recursive: true });
  const [browser, module] = await Promise.all([bundle(browserBundleOptions), bundle(moduleOptions)]);
  await writeFile(join(outDir, 'realtime-client.min.js'), browser.text);
  await writeFile(join(outDir, 'index.js'), module.text);
  await promisify(execFile)(process.execPath, [join(dirname(fileURLToPath(import.meta.resolve('typescript'))), 'tsc.js'), '-p', join(root, 'client/tsconfig.json')]);
  console.log(`dist/client/index.js                ${kib(module.bytes)}`);
  console.log(`dist/client/realtime-client.min.js  ${kib(browser.bytes)} (${kib(browser.gzipBytes)} gzipped)`);
  console.log('dist/types/client/index.d.ts');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
