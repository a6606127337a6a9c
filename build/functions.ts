/**
 * The handlers' prebuilt bundles, for the package (`npm pack` runs this
 * through `prepack`): each is exactly the asset NodejsFunction builds from
 * source in this repository (lib/function-bundling.ts's options), copied to
 * dist/functions/<entry>. An app that installs the package synthesizes with
 * them, needing neither esbuild nor Docker and bundling nothing.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { PREBUILT_FUNCTIONS_DIR, prebuiltBundleDir } from '../lib/function-bundling.js';
import { PROJECT_ROOT, RealtimeApi } from '../lib/realtime-api.js';
import { EXAMPLE_SECRET_ARN } from '../lib/stack-config.js';

export function buildFunctionBundles(): string[] {
  const outdir = mkdtempSync(path.join(tmpdir(), 'realtime-functions-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    // The props change environment variables and grants, never the code: one synth builds every bundle.
    const realtime = new RealtimeApi(new Stack(app, 'Bundles'), 'Default', { auth: { jwtSecretArn: EXAMPLE_SECRET_ARN } });
    app.synth();
    rmSync(path.join(PROJECT_ROOT, PREBUILT_FUNCTIONS_DIR), { recursive: true, force: true });
    const built: string[] = [];
    for (const fn of realtime.functions.values()) {
      const asset = (fn.function.node.defaultChild as CfnFunction).cfnOptions.metadata?.['aws:asset:path'];
      if (typeof asset !== 'string') throw new Error(`${fn.entry}: no asset path in the synthesized function`);
      const target = prebuiltBundleDir(PROJECT_ROOT, fn.entry);
      cpSync(path.join(outdir, asset), target, { recursive: true });
      built.push(path.relative(PROJECT_ROOT, target));
    }
    return built;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
