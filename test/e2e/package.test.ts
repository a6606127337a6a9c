/**
 * The package as another team uses it: `npm pack`, a fresh CDK app outside
 * this repository that installs the tarball, the construct in ten lines,
 * synthesized offline with cdk-nag's checks, and the client and server
 * entry points imported with their types.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, RealtimeApi, type RealtimeApiProps } from '../../lib/realtime-api.js';
import { routes } from '../../lib/routes.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What the app below passes, so the repository can synthesize the same construct from source. */
const PROPS: RealtimeApiProps = {
  auth: { jwksUrl: 'https://issuer.example.com/.well-known/jwks.json', issuer: 'https://issuer.example.com/' },
  eventsOut: {},
};

/** "Add it to your CDK app" (README, docs/deploy.md), as a user writes it. */
const APP = `import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RealtimeApi } from 'serverless-realtime/cdk';

const app = new App();
const stack = new Stack(app, 'ChatApp');
const realtime = new RealtimeApi(stack, 'Realtime', ${JSON.stringify(PROPS)});
new CfnOutput(stack, 'WebSocketUrl', { value: realtime.webSocketUrl });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

/** The same app plus a queue cdk-nag must refuse (no encryption at rest, no TLS-only policy, no dead-letter queue). */
const APP_WITH_FINDING = APP.replace(
  "new CfnOutput(stack, 'WebSocketUrl'",
  "new (await import('aws-cdk-lib/aws-sqs')).Queue(stack, 'Careless', { encryption: (await import('aws-cdk-lib/aws-sqs')).QueueEncryption.UNENCRYPTED });\nnew CfnOutput(stack, 'WebSocketUrl'",
);

/** Front end and back end code, importing the other two entry points. */
const CONSUMER = `import { RealtimeClient, RealtimeError, type MessageFrame, type StateChange } from 'serverless-realtime/client';
import { publish, PublishError, RealtimePublisher, type PublishResult, type RealtimeStats } from 'serverless-realtime/server';

export const client = new RealtimeClient({ url: 'wss://abc.execute-api.eu-west-1.amazonaws.com/dev', getToken: async () => 'jwt' });
client.on('message', (message: MessageFrame) => console.log(message.room, message.seq, message.data));
client.on('state', (change: StateChange) => console.log(change.state, change.retryInMs));
client.on('error', (error) => console.log(error instanceof RealtimeError, error.code, error.requestId));
export async function chat(): Promise<number | undefined> {
  await client.connect();
  const joined = await client.join('lobby');
  const ack = await client.send('lobby', { text: 'hello' });
  return joined.lastSeq + (ack.seq ?? 0);
}

export const publisher = new RealtimePublisher({
  url: 'https://abc.execute-api.eu-west-1.amazonaws.com/publish',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
export async function notify(userId: string): Promise<number> {
  const result: PublishResult = await publish({ userId, data: { text: 'your order shipped' } });
  const stats: RealtimeStats = await publisher.stats();
  return result.delivered + stats.connections;
}
export const isPublishError = (error: unknown): boolean => error instanceof PublishError && error.status >= 400;
console.log(JSON.stringify({ client: typeof RealtimeClient, region: publisher.url.hostname, publish: typeof publish }));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    types: ['node'],
  },
};

let work: string;
let appDir: string;
let tarball: string;

function version(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

async function node(file: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [file], { cwd: appDir, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'realtime-package-'));
  // `npm pack` runs prepack: the build of everything the exports point at.
  const packed = await run(npm, ['pack', '--pack-destination', work, '--silent'], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
  tarball = path.join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
  appDir = path.join(work, 'chat-app');
  mkdirSync(appDir, { recursive: true });
  writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'chat-app', private: true, type: 'module' }));
  // The versions this repository tests with, so npm finds them in its cache: the install needs no network then.
  const tools = ['aws-cdk-lib', 'constructs', 'cdk-nag', 'typescript', '@types/node'].map((name) => `${name}@${version(name)}`);
  await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...tools], { cwd: appDir });
  writeFileSync(path.join(appDir, 'app.ts'), APP);
  writeFileSync(path.join(appDir, 'consumer.ts'), CONSUMER);
  writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('ships built code and bundles, not the sources, and pulls in no bundler', () => {
    const installed = path.join(appDir, 'node_modules/serverless-realtime');
    expect(existsSync(path.join(installed, 'dist/cdk/index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'lambdas'))).toBe(false);
    expect(existsSync(path.join(installed, 'lib'))).toBe(false);
    expect(existsSync(path.join(appDir, 'node_modules/esbuild'))).toBe(false);
    // The handlers' dependencies are inside their bundles, not installed beside them.
    expect(existsSync(path.join(appDir, 'node_modules/@aws-lambda-powertools'))).toBe(false);
    expect(existsSync(path.join(appDir, 'node_modules/@aws-sdk/client-dynamodb'))).toBe(false);
  });
});

describe('a CDK app that adds RealtimeApi in ten lines', () => {
  let outdir: string;
  let template: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
  let synthOutput: string;

  beforeAll(async () => {
    outdir = path.join(appDir, 'cdk.out');
    const { stdout, stderr } = await node('app.ts', { CDK_OUTDIR: outdir });
    synthOutput = stdout + stderr;
    template = (JSON.parse(readFileSync(path.join(outdir, 'ChatApp.template.json'), 'utf8')) as { Resources: typeof template }).Resources;
  }, 120_000);

  it('takes no more than ten lines', () => {
    expect(APP.trim().split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(10);
  });

  it('type-checks against the package types', async () => {
    const tsc = path.join(appDir, 'node_modules/typescript/lib/tsc.js');
    await expect(run(process.execPath, [tsc, '-p', '.', '--skipLibCheck'], { cwd: appDir })).resolves.toBeDefined();
  }, 60_000);

  it('synthesizes from the prebuilt bundles: every function on Node.js 24, arm64, nothing bundled at synth', () => {
    const functions = Object.values(template).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    // One per route, plus the authorizer, the admin API, the publish rule's target and the fan-out worker.
    expect(functions).toHaveLength(routes.length + 4);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
    expect(synthOutput).not.toMatch(/Bundling asset/);

    // Each deployed asset is byte for byte one of the package's bundles.
    const packaged = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name === 'index.mjs') packaged.add(sha256(full));
      }
    };
    walk(path.join(appDir, 'node_modules/serverless-realtime/dist/functions'));
    expect(packaged.size).toBe(functions.length);
    for (const fn of functions) {
      // The asset's S3 key is its hash, and the cloud assembly keeps it in asset.<hash>.
      const key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
      expect(key).toMatch(/^[0-9a-f]{64}\.zip$/);
      expect(packaged.has(sha256(path.join(outdir, `asset.${String(key).replace(/\.zip$/, '')}`, 'index.mjs')))).toBe(true);
    }
  });

  it('is the same template the repository synthesizes from source, apart from where the code comes from', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ChatApp');
    new RealtimeApi(stack, 'Realtime', PROPS);
    const fromSource = Template.fromStack(stack).toJSON().Resources as typeof template;
    const comparable = (resources: typeof template) =>
      JSON.parse(
        JSON.stringify(resources, (key, value: unknown) => (key === 'Metadata' || key === 'Code' ? undefined : value)).replace(/[0-9a-f]{64}/g, '<hash>'),
      ) as unknown;
    expect(Object.keys(template).sort()).toEqual(Object.keys(fromSource).sort());
    expect(comparable(template)).toEqual(comparable(fromSource));
  });

  it('passes cdk-nag, which does refuse a careless resource beside it', async () => {
    // The app above exits 0 with AwsSolutionsChecks registered: no unacknowledged finding.
    expect(existsSync(path.join(outdir, 'ChatApp.template.json'))).toBe(true);
    writeFileSync(path.join(appDir, 'careless.ts'), APP_WITH_FINDING);
    const failed = await node('careless.ts', { CDK_OUTDIR: path.join(appDir, 'careless.out') }).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    expect(failed).toMatch(/AwsSolutions-SQS\d/);
    expect(failed).toMatch(/Careless/);
  }, 60_000);
});

describe('the client and server entry points', () => {
  it('type-check strictly, the package declarations included', async () => {
    const tsc = path.join(appDir, 'node_modules/typescript/lib/tsc.js');
    writeFileSync(path.join(appDir, 'tsconfig.consumer.json'), JSON.stringify({ ...TSCONFIG, files: ['consumer.ts'], compilerOptions: { ...TSCONFIG.compilerOptions, skipLibCheck: false } }));
    await expect(run(process.execPath, [tsc, '-p', 'tsconfig.consumer.json'], { cwd: appDir })).resolves.toBeDefined();
  }, 60_000);

  it('load in Node', async () => {
    const { stdout } = await node('consumer.ts');
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      client: 'function',
      region: 'abc.execute-api.eu-west-1.amazonaws.com',
      publish: 'function',
    });
  });
});
