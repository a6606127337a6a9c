/**
 * Builds a function for its local runtime as it is built for Lambda: one
 * esbuild bundle with lib/function-build.ts's options (the ones CDK deploys
 * with), so a local cold start loads what a deployed one loads. One
 * difference: an `@aws-sdk/*` import the handler's own folder cannot resolve
 * (a handler that ships no SDK) stays an import, for the runtime to provide,
 * as Lambda's Node.js runtime does.
 */
import * as path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { FUNCTION_BUILD } from '../../lib/function-build.js';

const PROVIDED_BY_THE_RUNTIME = /^@aws-sdk\//;

const runtimeProvidesAwsSdk: Plugin = {
  name: 'runtime-provides-aws-sdk',
  setup(builder) {
    builder.onResolve({ filter: PROVIDED_BY_THE_RUNTIME }, async (args) => {
      if ((args.pluginData as { probing?: boolean } | undefined)?.probing === true) return undefined;
      const resolved = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { probing: true } });
      return resolved.errors.length > 0 ? { path: args.path, external: true } : resolved;
    });
  },
};

export interface FunctionBundle {
  /** The bundle: `…/index.mjs`. */
  readonly module: string;
  /** It imports `@aws-sdk/*` modules it does not carry, for the runtime to provide. */
  readonly importsProvidedModules: boolean;
}

/**
 * Bundles each entry (absolute paths) into `outdir/<n>/index.mjs`, beside its
 * source map, in one esbuild run (the dependencies they share are read once);
 * resolves with each entry's bundle.
 */
export async function bundleFunctions(entries: readonly string[], projectRoot: string, outdir: string): Promise<Map<string, FunctionBundle>> {
  const unique = [...new Set(entries)];
  const outputs = unique.map((entry, index) => ({ in: entry, out: path.join(String(index), 'index') }));
  const result = await build({
    ...FUNCTION_BUILD,
    mainFields: [...FUNCTION_BUILD.mainFields],
    external: [...FUNCTION_BUILD.external],
    banner: { js: FUNCTION_BUILD.banner },
    entryPoints: outputs,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    absWorkingDir: projectRoot,
    plugins: [runtimeProvidesAwsSdk],
    metafile: true,
    logLevel: 'silent',
  });
  return new Map(
    outputs.map((output) => {
      const module = path.join(outdir, `${output.out}.mjs`);
      const imports = result.metafile.outputs[path.relative(projectRoot, module)]?.imports ?? [];
      return [output.in, { module, importsProvidedModules: imports.some((imported) => imported.external && PROVIDED_BY_THE_RUNTIME.test(imported.path)) }];
    }),
  );
}
