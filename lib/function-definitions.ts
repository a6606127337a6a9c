/**
 * Every Lambda function of the product: its handler, timeout, memory and the
 * exact environment it gets, from the values of one deployment. The
 * construct (lib/realtime-api.ts) calls this with CloudFormation tokens; the
 * local gateway with local values, so a function locally sees exactly the
 * variables CDK gives it deployed, no more. No aws-cdk-lib here: the local
 * stack reads this without loading CDK.
 */
import { API_GATEWAY_QUOTAS } from '../lambdas/core/api-gateway-quotas.js';
import { CONFIG_SETTINGS } from '../lambdas/core/config-settings.js';
import { OBSERVABILITY_SETTINGS } from '../lambdas/core/observability-settings.js';
import { settingsVariables } from '../lambdas/core/settings.js';
import { fanOutWorker, largeRoomEnvironment, type LargeRoomSettings } from './fan-out-worker.js';
import { publishEventRule } from './publish-event-rule.js';
import { adminApi, connectAuthorizer, routes, type RouteDefinition } from './routes.js';
import type { LogLevel } from './stack-config.js';

/**
 * What a function may touch, and so which grants and variables go with it:
 *
 * - `authorizer`: verifies tokens, reads no data (and its secret, when HS256);
 * - `table`: the table only (`$connect`: it answers through its status code
 *   and never calls the Management API, so it cannot post even by mistake);
 * - `messaging`: the table, posting to connections, the fan-out queue and,
 *   with events out, the bus. `$default` answers through its route response,
 *   but may close a connection (which posts) and is a message route like the
 *   others: it keeps their grants, so a change in lambdas/core cannot become
 *   an AccessDenied that only shows in AWS.
 */
export type FunctionAccess = 'authorizer' | 'table' | 'messaging';

export interface FunctionDefinition {
  /** The function's key in `RealtimeApi.functions`: a route key, or `authorizer`, `admin`, `publish-event`, `fan-out-worker`. */
  readonly name: string;
  /** Its construct id, hence its logical id: never change one (a renamed function is replaced). */
  readonly id: string;
  /** The handler module (exports `handler`), relative to the package root. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly access: FunctionAccess;
  /** Every variable the function gets. */
  readonly environment: Readonly<Record<string, string>>;
  /** The WebSocket route it serves, if any. */
  readonly route?: RouteDefinition;
}

/** One deployment's values: tokens in the construct, strings locally. */
export interface DeploymentValues {
  readonly tableName: string;
  /** The stage's callback URL (Management API). */
  readonly callbackUrl: string;
  readonly fanOutQueueUrl: string;
  /** The authorizer's variables: its key source and the claims it checks. */
  readonly authorizerEnvironment: Readonly<Record<string, string>>;
  /** Limit variables the deployment changes (lib/realtime-api.ts `limits`). */
  readonly limitEnvironment: Readonly<Record<string, string>>;
  readonly largeRooms: Required<LargeRoomSettings>;
  readonly eventsOut?: { readonly busName: string; readonly source: string };
  readonly logLevel: LogLevel;
  /** X-Ray: the functions' tracer captures their AWS calls only when this is on (lambdas/core/tracing.ts). */
  readonly tracing: boolean;
}

/** API Gateway gives up on an integration after 29 s, so a route function given longer only burns money. */
const ROUTE_TIMEOUT_SECONDS = API_GATEWAY_QUOTAS.integrationTimeoutSeconds;
const MEMORY_MB = 256;

/** `routeTable`: lib/routes.ts, or a local gateway's own table (a test's); a route added there gets what the others get. */
export function functionDefinitions(values: DeploymentValues, routeTable: readonly RouteDefinition[] = routes): FunctionDefinition[] {
  const common = {
    // Source maps (bundled beside each handler) for stack traces.
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_LOG_LEVEL: values.logLevel,
    ...settingsVariables(OBSERVABILITY_SETTINGS, { serviceName: OBSERVABILITY_SETTINGS.serviceName.default, metricsNamespace: OBSERVABILITY_SETTINGS.metricsNamespace.default }),
  };
  // lambdas/core/config.ts reads these; MANAGEMENT_ENDPOINT only goes with the grant to use it.
  // The authorizer carries no tracer (lambdas/core/tracing.ts), so only these say whether to trace.
  const table = { ...common, ...settingsVariables(OBSERVABILITY_SETTINGS, { tracing: values.tracing }), ...settingsVariables(CONFIG_SETTINGS, { tableName: values.tableName }), ...values.limitEnvironment };
  const messaging = {
    ...table,
    ...settingsVariables(CONFIG_SETTINGS, { managementEndpoint: values.callbackUrl, fanOutQueueUrl: values.fanOutQueueUrl }),
    ...largeRoomEnvironment(values.largeRooms),
    ...settingsVariables(CONFIG_SETTINGS, { eventBusName: values.eventsOut?.busName, eventSource: values.eventsOut?.source }),
  };
  const base = { memoryMb: MEMORY_MB, timeoutSeconds: ROUTE_TIMEOUT_SECONDS };

  return [
    {
      ...base,
      name: connectAuthorizer.name,
      id: 'AuthorizerFunction',
      entry: connectAuthorizer.entry,
      description: '$connect authorizer: verifies the token query parameter',
      // A handshake that waits longer than this is broken anyway; fail it fast.
      timeoutSeconds: 10,
      access: 'authorizer',
      environment: { ...common, ...values.authorizerEnvironment },
    },
    ...routeTable.map((route): FunctionDefinition => {
      const access = route.routeKey === '$connect' ? 'table' : 'messaging';
      return {
        ...base,
        name: route.routeKey,
        id: `${pascal(route.name)}Function`,
        entry: route.entry,
        description: `WebSocket route ${route.routeKey}`,
        access,
        environment: access === 'table' ? table : messaging,
        route,
      };
    }),
    {
      ...base,
      name: adminApi.name,
      id: 'AdminFunction',
      entry: adminApi.entry,
      description: 'Admin API: POST /publish, GET /stats',
      access: 'messaging',
      environment: messaging,
    },
    {
      ...base,
      name: publishEventRule.name,
      id: 'PublishEventFunction',
      entry: publishEventRule.entry,
      description: `EventBridge ${publishEventRule.detailType} → publish`,
      // Not behind API Gateway: a broadcast to every connection gets longer than 29 s.
      timeoutSeconds: 120,
      access: 'messaging',
      environment: messaging,
    },
    {
      ...base,
      name: fanOutWorker.name,
      id: 'FanOutWorkerFunction',
      entry: fanOutWorker.entry,
      description: 'Delivers large rooms: posts the batches of connection ids on the fan-out queue',
      timeoutSeconds: fanOutWorker.timeoutSeconds,
      access: 'messaging',
      environment: messaging,
    },
  ];
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
