/**
 * The esbuild options every function is built with, in esbuild's own terms
 * and without CDK: lib/function-bundling.ts hands them to CDK's
 * NodejsFunction for deployment, and the local runtime (local/lambda/)
 * builds each function with them, so what runs locally, what is measured
 * (bench/cold-start.ts) and what is deployed are the same bundle.
 */

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
export const FUNCTION_BUILD = {
  format: 'esm',
  target: 'node24',
  // Prefer packages' ES module builds: they tree-shake, CommonJS builds do not.
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Stack traces need the mappings (external, beside the bundle), not a copy of every source file.
  sourcemap: 'external',
  sourcesContent: false,
  external: [],
  /**
   * Lambda hands functions their credentials in environment variables: the
   * SDK's whole default chain (SSO, STS, ini files, metadata endpoints)
   * makes way for a reader of those (see the module for why and when not).
   * The path is relative to the project root, where esbuild runs.
   */
  alias: { '@aws-sdk/credential-provider-node': './lambdas/core/lambda-credentials.ts' },
} as const;
