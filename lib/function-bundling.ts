/**
 * How CDK's NodejsFunction bundles every Lambda function of the app: the
 * options of lib/function-build.ts, and where the installed package keeps
 * the bundles it ships.
 */
import * as path from 'node:path';
import { LogLevel, type BundlingOptions, type OutputFormat, type SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FUNCTION_BUILD } from './function-build.js';

/** lib/function-build.ts's options as NodejsFunction takes them. */
export const functionBundling: BundlingOptions = {
  // CDK's enums are esbuild's own strings.
  format: FUNCTION_BUILD.format as OutputFormat,
  target: FUNCTION_BUILD.target,
  mainFields: [...FUNCTION_BUILD.mainFields],
  banner: FUNCTION_BUILD.banner,
  minify: FUNCTION_BUILD.minify,
  sourceMap: true,
  sourceMapMode: FUNCTION_BUILD.sourcemap as SourceMapMode,
  sourcesContent: FUNCTION_BUILD.sourcesContent,
  externalModules: [...FUNCTION_BUILD.external],
  esbuildArgs: { '--alias': Object.entries(FUNCTION_BUILD.alias).map(([from, to]) => `${from}=${to}`) },
  // A bundle-size report per function drowns the output; warnings and errors still show.
  logLevel: LogLevel.WARNING,
};

/** Where the installed package keeps each handler's prebuilt bundle (index.mjs and its source map). */
export const PREBUILT_FUNCTIONS_DIR = 'dist/functions';

/** The prebuilt bundle's directory for a handler entry: `lambdas/handlers/ping.ts` → `dist/functions/lambdas/handlers/ping`. */
export function prebuiltBundleDir(projectRoot: string, entry: string): string {
  return path.join(projectRoot, PREBUILT_FUNCTIONS_DIR, entry.replace(/\.ts$/, ''));
}
