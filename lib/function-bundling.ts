/**
 * How every Lambda function of the app is bundled: the esbuild options CDK's
 * NodejsFunction runs with, in one place, so that what is measured
 * (bench/cold-start.ts) and what is deployed are the same bundle.
 */
import * as path from 'node:path';
import { LogLevel, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * ESM bundles still contain CommonJS dependencies, whose `require` calls
 * esbuild leaves to a global `require` that ESM does not have. Aliased import
 * so a bundled module importing `createRequire` itself cannot collide.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __realtimeCreateRequire } from 'node:module'; const require = __realtimeCreateRequire(import.meta.url);";

/**
 * Minified ESM for Node.js 24 (the functions' runtime), every dependency
 * bundled, the AWS SDK included: the deployed code runs the versions
 * package-lock.json pins and the tests ran, not whatever SDK the runtime
 * happens to carry.
 */
export const functionBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  // Prefer packages' ES module builds: they tree-shake, CommonJS builds do not.
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.EXTERNAL,
  // Stack traces need the mappings, not a copy of every source file.
  sourcesContent: false,
  externalModules: [],
  esbuildArgs: {
    // Lambda hands functions their credentials in environment variables: the
    // SDK's whole default chain (SSO, STS, ini files, metadata endpoints)
    // makes way for a reader of those (see the module for why and when not).
    // The path is resolved from the project root, where NodejsFunction runs esbuild.
    '--alias': ['@aws-sdk/credential-provider-node=./lambdas/core/lambda-credentials.ts'],
  },
  // A bundle-size report per function drowns the output; warnings and errors still show.
  logLevel: LogLevel.WARNING,
};

/** Where the installed package keeps each handler's prebuilt bundle (index.mjs and its source map). */
export const PREBUILT_FUNCTIONS_DIR = 'dist/functions';

/** The prebuilt bundle's directory for a handler entry: `lambdas/handlers/ping.ts` → `dist/functions/lambdas/handlers/ping`. */
export function prebuiltBundleDir(projectRoot: string, entry: string): string {
  return path.join(projectRoot, PREBUILT_FUNCTIONS_DIR, entry.replace(/\.ts$/, ''));
}
