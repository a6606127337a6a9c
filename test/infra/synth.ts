/**
 * Synthesizes the app the way `cdk synth` does (lib/realtime-app.ts, the
 * context in cdk.json, cdk-nag registered), into a temporary directory, so
 * tests can read the template and the bundled assets.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addRealtimeStack } from '../../lib/realtime-app.js';
import { PROJECT_ROOT, type RealtimeStack } from '../../lib/realtime-stack.js';

/** cdk.json's context: the defaults and feature flags `cdk synth` starts from. */
export const cdkJsonContext = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:realtime-jwt-AbCdEf';
export const JWKS = { jwksUrl: 'https://issuer.example.com/.well-known/jwks.json', issuer: 'https://issuer.example.com/' };

export interface Synthesized {
  readonly app: App;
  readonly stack: RealtimeStack;
  readonly template: Template;
  readonly outdir: string;
  /** Wall-clock seconds from `new App` to the template, bundling included. */
  readonly seconds: number;
  /** The bundled handler of the function with this logical id (bundled synths only). */
  bundleOf(functionLogicalId: string): Bundle;
  cleanup(): void;
}

export interface Bundle {
  readonly code: string;
  /** Project-relative paths of the sources the bundle was built from (from its source map). */
  readonly sources: readonly string[];
}

/**
 * `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks` set to no
 * stack): the template is the same apart from asset hashes, in a fraction of
 * the time. Only the file that checks the bundles themselves pays for them.
 */
export function synthesize(context: Record<string, unknown>, options: { bundle?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'realtime-infra-'));
  const started = performance.now();
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext,
      // What the CLI sets: the template records each function's asset directory.
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stack = addRealtimeStack(app);
  const template = Template.fromStack(stack);
  const seconds = (performance.now() - started) / 1000;

  return {
    app,
    stack,
    template,
    outdir,
    seconds,
    bundleOf(functionLogicalId) {
      const resources = template.toJSON().Resources as Record<string, { Metadata?: Record<string, unknown> }>;
      const assetPath = resources[functionLogicalId]?.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new Error(`${functionLogicalId} has no asset path metadata`);
      const dir = path.join(outdir, assetPath);
      const mapFile = path.join(dir, 'index.mjs.map');
      if (!existsSync(mapFile)) throw new Error(`${functionLogicalId}: no index.mjs.map in ${dir} (was it bundled?)`);
      const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] };
      return {
        code: readFileSync(path.join(dir, 'index.mjs'), 'utf8'),
        sources: map.sources.map((source) => path.relative(PROJECT_ROOT, path.resolve(dir, source))),
      };
    },
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
