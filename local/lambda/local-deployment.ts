/**
 * The functions of a local run, defined exactly as CDK deploys them
 * (lib/function-definitions.ts) with this run's values in place of the
 * deployment's, plus only what a local run needs beside them: the standard
 * SDK endpoint variables that point plain SDK clients at the local services.
 */
import { functionDefinitions } from '../../lib/function-definitions.js';
import { LARGE_ROOM_DEFAULTS, type LargeRoomSettings } from '../../lib/fan-out-worker.js';
import type { LogLevel } from '../../lib/stack-config.js';
import type { GatewayEndpoints } from '../gateway/gateway.js';
import type { FunctionBundle } from './function-bundle.js';
import { bundleDefinitions, IsolatedFunctions, type FunctionInvoker } from './function-invoker.js';

export interface LocalDeployment {
  readonly projectRoot: string;
  readonly region: string;
  readonly tableName: string;
  readonly dynamoDbEndpoint: string;
  /** The local fan-out queue: its URL and the SQS endpoint that serves it. */
  readonly fanOutQueue?: { readonly url: string; readonly endpoint: string };
  /** The local event bus, when events out are on. */
  readonly eventsOut?: { readonly endpoint: string; readonly busName: string; readonly source: string };
  /** The authorizer's key source and claims (locally: a development secret, or a JWKS). */
  readonly authorizerEnvironment: Readonly<Record<string, string>>;
  /** Limits this run changes, as the construct's `limits` prop would set them. */
  readonly limitEnvironment?: Readonly<Record<string, string>>;
  /** The large-room settings this run's shell gives (FANOUT_WORKERS, …), which its local queue follows too. @default LARGE_ROOM_DEFAULTS */
  readonly largeRooms?: Required<LargeRoomSettings>;
  readonly logLevel: LogLevel;
  /** The functions' bundles, started ahead (`bundleDefinedFunctions`). */
  readonly bundles?: Promise<ReadonlyMap<string, FunctionBundle>>;
  readonly log?: (line: string) => void;
}

/**
 * The local gateway's `functions` option for this deployment: every function
 * isolated, with its deployed environment. Made once the gateway listens,
 * since the functions' callback URL names its port.
 */
export function isolatedFunctions(deployment: LocalDeployment): (gateway: GatewayEndpoints) => FunctionInvoker {
  return (gateway) =>
    new IsolatedFunctions({
      definitions: functionDefinitions(
        {
          tableName: deployment.tableName,
          callbackUrl: gateway.callbackUrl,
          // Only large rooms use the queue; without a local one their fan-out fails as with a wrong URL deployed.
          fanOutQueueUrl: deployment.fanOutQueue?.url ?? 'http://127.0.0.1:9/no-local-fan-out-queue',
          authorizerEnvironment: deployment.authorizerEnvironment,
          limitEnvironment: deployment.limitEnvironment ?? {},
          largeRooms: deployment.largeRooms ?? LARGE_ROOM_DEFAULTS,
          ...(deployment.eventsOut === undefined ? {} : { eventsOut: { busName: deployment.eventsOut.busName, source: deployment.eventsOut.source } }),
          logLevel: deployment.logLevel,
          // No X-Ray daemon here to take the segments.
          tracing: false,
        },
        gateway.routes,
      ),
      projectRoot: deployment.projectRoot,
      region: deployment.region,
      trustedCertificate: gateway.certificate,
      localVariables: {
        AWS_ENDPOINT_URL_DYNAMODB: deployment.dynamoDbEndpoint,
        ...(deployment.fanOutQueue === undefined ? {} : { AWS_ENDPOINT_URL_SQS: deployment.fanOutQueue.endpoint }),
        ...(deployment.eventsOut === undefined ? {} : { AWS_ENDPOINT_URL_EVENTBRIDGE: deployment.eventsOut.endpoint }),
        // Powertools metrics go to CloudWatch through the function's log; locally they would only flood the terminal.
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      ...(deployment.bundles === undefined ? {} : { bundles: deployment.bundles }),
      ...(deployment.log === undefined ? {} : { log: deployment.log }),
    });
}

/**
 * Starts building every function of the route table (as CDK deploys them)
 * into `outdir` at once, before the values that configure them are known:
 * the bundle does not depend on them. The build takes a second or two; the
 * local stack runs it while DynamoDB Local starts.
 */
export function bundleDefinedFunctions(projectRoot: string, outdir: string): Promise<ReadonlyMap<string, FunctionBundle>> {
  const placeholders = { tableName: '', callbackUrl: '', fanOutQueueUrl: '', authorizerEnvironment: {}, limitEnvironment: {}, largeRooms: LARGE_ROOM_DEFAULTS, logLevel: 'INFO', tracing: false } as const;
  return bundleDefinitions(functionDefinitions(placeholders), projectRoot, outdir);
}
