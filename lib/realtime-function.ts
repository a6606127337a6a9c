import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy, Validations, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionBundling, prebuiltBundleDir } from './function-bundling.js';

export interface RealtimeFunctionProps {
  /** The handler module (exports `handler`), relative to `projectRoot`. */
  readonly entry: string;
  /** The directory holding package.json and package-lock.json; esbuild runs there. */
  readonly projectRoot: string;
  /** @default - none */
  readonly description?: string;
  /** Every variable the function gets (lib/function-definitions.ts). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** lib/function-definitions.ts gives each function's. */
  readonly memorySize: number;
  /** lib/function-definitions.ts gives each function's. */
  readonly timeout: Duration;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The AWS Parameters and Secrets Lambda Extension, for a function that reads
   * a secret without the AWS SDK. Grant the secret separately: the extension
   * reads it with the function's role. @default - none
   */
  readonly paramsAndSecrets?: lambda.ParamsAndSecretsLayerVersion;
}

/**
 * The one way this app builds a Lambda function, so every function shares the
 * same runtime, architecture, bundling and logging:
 *
 * - Node.js 24 on arm64 (cheaper per GB-second than x86 and as fast for this I/O-bound code);
 * - esbuild, run locally (no Docker), with lib/function-bundling.ts's
 *   options: minified ESM, every dependency bundled, source maps that
 *   NODE_OPTIONS=--enable-source-maps applies to stack traces;
 * - its own log group with a retention, created here rather than by Lambda
 *   on first write (which keeps logs forever and outlives the stack);
 * - its own role, allowed to write to that log group only, instead of
 *   AWSLambdaBasicExecutionRole (logs:CreateLogGroup and PutLogEvents on every
 *   log group in the account). Callers grant everything else.
 */
export class RealtimeFunction extends Construct implements iam.IGrantable {
  /** The handler module the function is bundled from, relative to the project root. */
  readonly entry: string;
  /** A NodejsFunction built from source in this repository; a plain Function from the installed package's prebuilt bundle. */
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: RealtimeFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    const tracing = props.tracing ?? false;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry}`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    const common: lambda.FunctionOptions & { readonly runtime: lambda.Runtime } = {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(props.description === undefined ? {} : { description: props.description }),
      ...(props.paramsAndSecrets === undefined ? {} : { paramsAndSecrets: props.paramsAndSecrets }),
      environment: { ...props.environment },
    };
    const source = path.join(props.projectRoot, props.entry);
    if (existsSync(source)) {
      // In this repository: bundled from source at synth, by the local esbuild.
      this.function = new NodejsFunction(this, 'Function', {
        ...common,
        entry: source,
        handler: 'handler',
        projectRoot: props.projectRoot,
        depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
        bundling: functionBundling,
      });
    } else {
      // From the installed package: the bundle `npm pack` built from the same
      // source with the same options (build/functions.ts), so another
      // project's synth needs neither esbuild nor Docker, and builds nothing.
      const bundle = prebuiltBundleDir(props.projectRoot, props.entry);
      if (!existsSync(path.join(bundle, 'index.mjs'))) {
        throw new Error(`${props.entry}: neither its source nor its prebuilt bundle (${path.relative(props.projectRoot, bundle)}/index.mjs) is in ${props.projectRoot}`);
      }
      this.function = new lambda.Function(this, 'Function', { ...common, code: lambda.Code.fromAsset(bundle), handler: 'index.handler' });
    }

    if (tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "*" is the only possible resource.',
      });
    }
  }
}
