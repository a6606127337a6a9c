/**
 * The CDK app as `cdk synth` builds it with cdk.json's context and an HS256
 * secret in Secrets Manager: synthesized once, bundling included, then read.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../lambdas/core/table.js';
import { fanOutWorker, LARGE_ROOM_DEFAULTS } from '../../lib/fan-out-worker.js';
import { publishEventRule } from '../../lib/publish-event-rule.js';
import { MANAGEMENT_API_METHODS, PROJECT_ROOT, TABLE_ACTIONS } from '../../lib/realtime-stack.js';
import { adminApi, connectAuthorizer, ROUTE_SELECTION_EXPRESSION, routes } from '../../lib/routes.js';
import { SECRET_ARN, synthesize, type Synthesized } from './synth.js';
import {
  acknowledgements,
  actionsOf,
  allResources,
  environmentOf,
  nagViolations,
  props,
  rawNagViolations,
  referencedIdOfType,
  referencedIds,
  resourcesOf,
  resourcesOfType,
  statementsOfFunction,
  type Resource,
  type Statement,
} from './template-helpers.js';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ jwtSecretArn: SECRET_ARN }, { bundle: true });
  console.info(`infra: synthesized realtime-dev with ${routes.length + 4} bundled functions in ${synth.seconds.toFixed(1)} s`);
});

afterAll(() => synth?.cleanup());

const template = () => synth.template;
const resources = () => allResources(template());
const resource = (id: string): Resource => resources()[id] as Resource;

const WEBSOCKET_PROTOCOL = { ProtocolType: 'WEBSOCKET' };

function webSocketApiId(): string {
  const apis = resourcesOfType(template(), 'AWS::ApiGatewayV2::Api').filter(([, api]) => props(api).ProtocolType === 'WEBSOCKET');
  expect(apis).toHaveLength(1);
  return apis[0]?.[0] as string;
}

function httpApiId(): string {
  const apis = resourcesOfType(template(), 'AWS::ApiGatewayV2::Api').filter(([, api]) => props(api).ProtocolType === 'HTTP');
  expect(apis).toHaveLength(1);
  return apis[0]?.[0] as string;
}

/** The route resource of the WebSocket API with this key. */
function webSocketRoute(routeKey: string): [string, Resource] {
  const found = resourcesOfType(template(), 'AWS::ApiGatewayV2::Route').filter(
    ([, route]) => props(route).RouteKey === routeKey && referencedIds(props(route).ApiId).includes(webSocketApiId()),
  );
  if (found.length !== 1) throw new Error(`expected one WebSocket route ${routeKey}, found ${found.length}`);
  return found[0] as [string, Resource];
}

/** Route → its integration → the Lambda function the integration invokes. */
function functionBehindRoute(route: Resource): string {
  const integrationId = referencedIdOfType(template(), props(route).Target, 'AWS::ApiGatewayV2::Integration');
  return referencedIdOfType(template(), props(resource(integrationId)).IntegrationUri, 'AWS::Lambda::Function');
}

function functionIds(): string[] {
  return resourcesOfType(template(), 'AWS::Lambda::Function').map(([id]) => id);
}

/** `{ [functionLogicalId]: read(id) }` for every function: one assertion, a diff naming each function. */
function perFunction<T>(read: (id: string) => T, ids: readonly string[] = functionIds()): Record<string, T> {
  return Object.fromEntries(ids.map((id) => [id, read(id)]));
}

function logGroupOf(functionId: string): string {
  return referencedIdOfType(template(), (props(resource(functionId)).LoggingConfig as { LogGroup: unknown }).LogGroup, 'AWS::Logs::LogGroup');
}

/** The function whose bundle was built from this handler module (by its source map). */
function functionBuiltFrom(entry: string): string {
  const matching = functionIds().filter((id) => synth.bundleOf(id).sources.includes(entry));
  if (matching.length !== 1) throw new Error(`expected one function bundled from ${entry}, found ${matching.join(', ') || 'none'}`);
  return matching[0] as string;
}

/** The Management API ARNs of this API's `dev` stage, one per method the code calls. */
function connectionsArns() {
  return MANAGEMENT_API_METHODS.map((method) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':execute-api:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':',
        { Ref: webSocketApiId() },
        `/dev/${method}/@connections/*`,
      ],
    ],
  }));
}

function callbackUrl() {
  return {
    'Fn::Join': ['', ['https://', { Ref: webSocketApiId() }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/dev']],
  };
}

function managesConnections(functionId: string): boolean {
  return statementsOfFunction(template(), functionId).some((statement) => actionsOf(statement).includes('execute-api:ManageConnections'));
}

describe('WebSocket API', () => {
  it('routes on $request.body.action', () => {
    template().hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ...WEBSOCKET_PROTOCOL,
      RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
    expect(ROUTE_SELECTION_EXPRESSION).toBe('$request.body.action');
  });

  it('has exactly the routes of lib/routes.ts', () => {
    const keys = resourcesOfType(template(), 'AWS::ApiGatewayV2::Route')
      .filter(([, route]) => referencedIds(props(route).ApiId).includes(webSocketApiId()))
      .map(([, route]) => props(route).RouteKey);
    expect(keys.sort()).toEqual(routes.map((route) => route.routeKey).sort());
  });

  it.each(routes.map((route) => [route.routeKey, route.entry] as const))(
    'sends %s to a function bundled from %s, and to no other route’s',
    (routeKey, entry) => {
      const [, route] = webSocketRoute(routeKey);
      const functionId = functionBehindRoute(route);
      const { sources } = synth.bundleOf(functionId);
      expect(sources).toContain(entry);
      const otherEntries = [...routes.map((other) => other.entry), connectAuthorizer.entry, adminApi.entry, publishEventRule.entry].filter(
        (other) => other !== entry,
      );
      expect(sources.filter((source) => otherEntries.includes(source))).toEqual([]);
    },
  );

  it('gives every route its own integration and function', () => {
    const behind = routes.map((route) => functionBehindRoute(webSocketRoute(route.routeKey)[1]));
    expect(new Set(behind).size).toBe(routes.length);
    // Routes, the authorizer, the admin API, the EventBridge handler and the fan-out worker: nothing else.
    expect(functionIds()).toHaveLength(routes.length + 4);
  });

  it('authorizes $connect, and only $connect, with the token query parameter', () => {
    const authorizers = resourcesOfType(template(), 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0] as [string, Resource];
    expect(props(authorizer)).toMatchObject({ AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] });
    expect(props(authorizer).IdentitySource).toEqual([connectAuthorizer.identitySource]);
    const authorizerFunction = referencedIdOfType(template(), props(authorizer).AuthorizerUri, 'AWS::Lambda::Function');
    expect(authorizerFunction).toBe(functionBuiltFrom(connectAuthorizer.entry));

    const authorization = Object.fromEntries(
      routes.map((route) => {
        const { AuthorizationType, AuthorizerId } = props(webSocketRoute(route.routeKey)[1]);
        return [route.routeKey, { AuthorizationType, AuthorizerId }];
      }),
    );
    expect(authorization).toEqual(
      Object.fromEntries(
        routes.map((route) => [
          route.routeKey,
          route.routeKey === '$connect'
            ? { AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } }
            : { AuthorizationType: 'NONE', AuthorizerId: undefined },
        ]),
      ),
    );
  });

  it('lets API Gateway invoke the authorizer and every route function', () => {
    const invokable = resourcesOfType(template(), 'AWS::Lambda::Permission')
      .filter(([, permission]) => props(permission).Principal === 'apigateway.amazonaws.com')
      .map(([, permission]) => referencedIdOfType(template(), props(permission).FunctionName, 'AWS::Lambda::Function'));
    for (const route of routes) expect(invokable).toContain(functionBehindRoute(webSocketRoute(route.routeKey)[1]));
    expect(invokable).toContain(functionBuiltFrom(connectAuthorizer.entry));
  });

  it('has a route response for exactly the two-way routes', () => {
    const withResponse = resourcesOfType(template(), 'AWS::ApiGatewayV2::RouteResponse').map(([, response]) => {
      expect(props(response).RouteResponseKey).toBe('$default');
      const routeId = referencedIdOfType(template(), props(response).RouteId, 'AWS::ApiGatewayV2::Route');
      return props(resource(routeId)).RouteKey;
    });
    expect(withResponse.sort()).toEqual(routes.filter((route) => route.twoWay).map((route) => route.routeKey).sort());
    expect(withResponse).not.toContain('$connect');
  });

  it('deploys a stage named after the context, throttled and access-logged as JSON without the token', () => {
    const stages = resourcesOfType(template(), 'AWS::ApiGatewayV2::Stage').filter(([, stage]) =>
      referencedIds(props(stage).ApiId).includes(webSocketApiId()),
    );
    expect(stages).toHaveLength(1);
    const [, stage] = stages[0] as [string, Resource];
    expect(props(stage)).toMatchObject({
      StageName: 'dev',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 500, ThrottlingRateLimit: 1000 },
    });
    const { DestinationArn, Format } = props(stage).AccessLogSettings as { DestinationArn: unknown; Format: string };
    const logGroup = referencedIdOfType(template(), DestinationArn, 'AWS::Logs::LogGroup');
    expect(props(resource(logGroup)).RetentionInDays).toBe(30);
    const fields = JSON.parse(Format) as Record<string, string>;
    expect(fields).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
    expect(Format).not.toMatch(/querystring|token/i);
  });

  it('sets the account’s API Gateway logging role before the stage, which access logging needs, and keeps it', () => {
    const [accountId, account] = resourcesOfType(template(), 'AWS::ApiGateway::Account')[0] as [string, Resource];
    expect(account.DeletionPolicy).toBe('Retain');
    const roleId = referencedIdOfType(template(), props(account).CloudWatchRoleArn, 'AWS::IAM::Role');
    expect(resource(roleId).DeletionPolicy).toBe('Retain');
    expect(props(resource(roleId))).toMatchObject({
      AssumeRolePolicyDocument: { Statement: [expect.objectContaining({ Principal: { Service: 'apigateway.amazonaws.com' } })] },
    });
    const [, stage] = resourcesOfType(template(), 'AWS::ApiGatewayV2::Stage').find(([, candidate]) =>
      referencedIds(props(candidate).ApiId).includes(webSocketApiId()),
    ) as [string, Resource];
    expect(stage.DependsOn).toContain(accountId);
  });
});

describe('table', () => {
  it('is keyed, billed, expired and backed up as lambdas/core/table.ts expects', () => {
    const tables = resourcesOfType(template(), 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    expect(props(tables[0]?.[1])).toEqual(
      expect.objectContaining({
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    expect(props(tables[0]?.[1])).not.toHaveProperty('GlobalSecondaryIndexes');
  });

  it('is deleted with a dev stack (the default stage)', () => {
    const [, table] = resourcesOfType(template(), 'AWS::DynamoDB::Table')[0] as [string, Resource];
    expect(table.DeletionPolicy).toBe('Delete');
    expect(props(table).DeletionProtectionEnabled).toBe(false);
  });
});

describe('functions', () => {
  it('all run Node.js 24 on arm64 with 256 MB, source maps and the metrics namespace', () => {
    expect(perFunction((id) => props(resource(id)))).toEqual(
      perFunction(() =>
        expect.objectContaining({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 256, Handler: 'index.handler' }),
      ),
    );
    expect(perFunction((id) => environmentOf(template(), id))).toEqual(
      perFunction(() =>
        expect.objectContaining({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'realtime',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_METRICS_NAMESPACE: 'Realtime',
        }),
      ),
    );
  });

  it('are minified ES modules with a require shim for CommonJS dependencies and a source map', () => {
    const shape = (id: string) => {
      const { code, sources } = synth.bundleOf(id);
      return {
        requireShimFirst: code.startsWith("import { createRequire as __realtimeCreateRequire } from 'node:module';"),
        exportsHandler: /\bexport\s*\{[^}]*\bhandler\b[^}]*\}/.test(code),
        // Minified: thousands of characters a line, not one statement a line.
        minified: code.length / code.split('\n').length > 1000,
        // The AWS SDK is bundled, not taken from the runtime.
        bundlesAwsSdk: sources.some((source) => source.includes('node_modules/@aws-sdk/')),
      };
    };
    // The authorizer reads its secret through the Parameters and Secrets extension: it needs no SDK.
    const authorizer = functionBuiltFrom(connectAuthorizer.entry);
    expect(perFunction(shape)).toEqual(
      perFunction((id) => ({ requireShimFirst: true, exportsHandler: true, minified: true, bundlesAwsSdk: id !== authorizer })),
    );
  });

  it('stay within their bundle budgets: 575 KiB for each function, 150 KiB for the authorizer', () => {
    // Bundle size is cold-start time; bench/cold-start.ts measures both. A dependency that breaks a budget is a decision, not a drift.
    // 400 → 450 KiB: events out's EventBridge client (about 22 KiB in every function that can post, hence purge and announce
    // departures), measured at +1 to +2 ms of init over 30 interleaved cold imports.
    // 450 → 575 KiB: Powertools Tracer and the X-Ray SDK (about 125 KiB in every function but the authorizer), which
    // lambdas/core/tracing.ts evaluates only when tracing is on: an untraced cold start only compiles past it, measured
    // at +5 to +10 ms of init (medians of 25 alternating cold imports: ping 83.7 → 88.7 ms, send-message 87.0 → 97.0 ms).
    const authorizer = functionBuiltFrom(connectAuthorizer.entry);
    const size = (id: string) => {
      const kib = Buffer.byteLength(synth.bundleOf(id).code) / 1024;
      return { kib: Math.round(kib), withinBudget: kib < (id === authorizer ? 150 : 575) };
    };
    expect(perFunction(size)).toEqual(perFunction(() => ({ kib: expect.any(Number), withinBudget: true })));
  });

  it('take AWS credentials from the environment Lambda fills, without the SDK’s default chain and its STS and SSO clients', () => {
    const credentials = (id: string) => {
      const { sources } = synth.bundleOf(id);
      const has = (part: string) => sources.some((source) => source.includes(part));
      return {
        fromEnvironment: has('lambdas/core/lambda-credentials.ts'),
        defaultChain: has('node_modules/@aws-sdk/credential-provider-node/') || has('node_modules/@aws-sdk/nested-clients/'),
      };
    };
    // The authorizer has no AWS client at all.
    const authorizer = functionBuiltFrom(connectAuthorizer.entry);
    expect(perFunction(credentials)).toEqual(perFunction((id) => ({ fromEnvironment: id !== authorizer, defaultChain: false })));
  });

  it('leave the frame schemas (zod) out of the authorizer and the fan-out worker, which parse no frame', () => {
    const bundlesZod = (id: string) => synth.bundleOf(id).sources.some((source) => source.includes('node_modules/zod/'));
    const parseNoFrame = [functionBuiltFrom(connectAuthorizer.entry), functionBuiltFrom(fanOutWorker.entry)];
    expect(perFunction(bundlesZod)).toEqual(perFunction((id) => !parseNoFrame.includes(id)));
  });

  it('give the authorizer, and only it, the Parameters and Secrets extension (arm64) for its secret, uncached', () => {
    const authorizer = functionBuiltFrom(connectAuthorizer.entry);
    const extensionLayer = [{ 'Fn::FindInMap': [expect.any(String), { Ref: 'AWS::Region' }, expect.stringMatching(/arm64$/)] }];
    expect(perFunction((id) => props(resource(id)).Layers)).toEqual(perFunction((id) => (id === authorizer ? extensionLayer : undefined)));
    const [mapName, , layerKey] = (props(resource(authorizer)).Layers as [{ 'Fn::FindInMap': [string, unknown, string] }])[0]['Fn::FindInMap'];
    const layerArns = Object.values(template().toJSON().Mappings[mapName] as Record<string, Record<string, string>>).map((region) => region[layerKey]);
    expect(layerArns.length).toBeGreaterThan(0);
    for (const arn of layerArns) expect(arn).toMatch(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/);
    // lambdas/core/auth/verify-token.ts keeps the secret for the container's life and bounds its read at 4 s.
    expect(environmentOf(template(), authorizer)).toMatchObject({ PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'false', SECRETS_MANAGER_TIMEOUT_MILLIS: '3000' });
  });

  it('carry Powertools idempotency only in the EventBridge publish function, the one that uses it', () => {
    const bundlesIdempotency = (id: string) => synth.bundleOf(id).sources.some((source) => source.includes('node_modules/@aws-lambda-powertools/idempotency/'));
    expect(perFunction(bundlesIdempotency)).toEqual(perFunction((id) => id === functionBuiltFrom(publishEventRule.entry)));
  });

  it('keep the route timeout under API Gateway’s 29 s, the authorizer’s shorter', () => {
    const timeouts = Object.fromEntries(routes.map((route) => [route.routeKey, props(resource(functionBehindRoute(webSocketRoute(route.routeKey)[1]))).Timeout]));
    expect(timeouts).toEqual(Object.fromEntries(routes.map((route) => [route.routeKey, 29])));
    expect(props(resource(functionBuiltFrom(connectAuthorizer.entry))).Timeout).toBe(10);
  });

  it('each log to a log group of their own kept for a month, deleted with a dev stack', () => {
    expect(perFunction((id) => ({ retention: props(resource(logGroupOf(id))).RetentionInDays, deletion: resource(logGroupOf(id)).DeletionPolicy }))).toEqual(
      perFunction(() => ({ retention: 30, deletion: 'Delete' })),
    );
    expect(new Set(functionIds().map(logGroupOf)).size).toBe(functionIds().length);
  });

  it('have roles of their own, with no AWS-managed policy and log writes to their own group only', () => {
    const roles = perFunction((id) => referencedIdOfType(template(), props(resource(id)).Role, 'AWS::IAM::Role'));
    expect(new Set(Object.values(roles)).size).toBe(functionIds().length);
    expect(perFunction((id) => props(resource(roles[id] as string)).ManagedPolicyArns)).toEqual(perFunction(() => undefined));
    const logStatements = (id: string) =>
      statementsOfFunction(template(), id)
        .filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:')))
        .map((statement) => statement.Resource);
    expect(perFunction(logStatements)).toEqual(perFunction((id) => [{ 'Fn::GetAtt': [logGroupOf(id), 'Arn'] }]));
  });

  it('that import the core config get TABLE_NAME; the authorizer imports neither it nor the table', () => {
    // lambdas/core/config.ts throws at cold start without TABLE_NAME.
    const tableId = resourcesOfType(template(), 'AWS::DynamoDB::Table')[0]?.[0];
    const usesConfig = (id: string) => synth.bundleOf(id).sources.includes('lambdas/core/config.ts');
    expect(perFunction((id) => environmentOf(template(), id).TABLE_NAME)).toEqual(perFunction((id) => (usesConfig(id) ? { Ref: tableId } : undefined)));
    expect(usesConfig(functionBuiltFrom(connectAuthorizer.entry))).toBe(false);
    expect(functionIds().filter(usesConfig)).toHaveLength(functionIds().length - 1);
  });
});

/** The `…Command` classes instantiated by files under lambdas/ that import one of these packages. */
function commandsSentBy(...packages: string[]): Set<string> {
  const used = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(file, 'utf8');
        if (!packages.some((name) => source.includes(`'${name}'`))) continue;
        for (const match of source.matchAll(/\bnew\s+(\w+Command)\s*\(/g)) used.add(match[1] as string);
      }
    }
  };
  walk(path.join(PROJECT_ROOT, 'lambdas'));
  return used;
}

describe('permissions', () => {
  const allStatements = () => functionIds().flatMap((id) => statementsOfFunction(template(), id));

  it('never grant table or Management API actions on "*"', () => {
    const sensitive = allStatements().filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('dynamodb:') || action.startsWith('execute-api:')),
    );
    expect(sensitive.length).toBeGreaterThan(0);
    for (const statement of sensitive) {
      expect(resourcesOf(statement)).not.toContain('*');
      expect(actionsOf(statement)).not.toContain('dynamodb:*');
      expect(actionsOf(statement)).not.toContain('execute-api:*');
    }
  });

  it('grant the table actions the code needs on this table, and no Scan', () => {
    const tableId = resourcesOfType(template(), 'AWS::DynamoDB::Table')[0]?.[0];
    const tableStatements = allStatements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    for (const statement of tableStatements) {
      expect(actionsOf(statement).sort()).toEqual([...TABLE_ACTIONS].sort());
      expect(resourcesOf(statement)).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
    }
    expect(TABLE_ACTIONS).not.toContain('dynamodb:Scan');
  });

  it('cover every DynamoDB command the Lambda code sends', () => {
    // Each command's IAM actions; transactions are authorised per item action.
    const needs: Record<string, string[]> = {
      GetCommand: ['dynamodb:GetItem'],
      BatchGetCommand: ['dynamodb:BatchGetItem'],
      QueryCommand: ['dynamodb:Query'],
      PutCommand: ['dynamodb:PutItem'],
      UpdateCommand: ['dynamodb:UpdateItem'],
      DeleteCommand: ['dynamodb:DeleteItem'],
      BatchWriteCommand: ['dynamodb:BatchWriteItem'],
      TransactWriteCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
      TransactGetCommand: ['dynamodb:GetItem'],
      ScanCommand: ['dynamodb:Scan'],
    };
    const used = commandsSentBy('@aws-sdk/lib-dynamodb', '@aws-sdk/client-dynamodb');
    expect(used.size).toBeGreaterThan(0);
    // Each command with the actions it needs that are not granted ("unknown" for a command this test
    // does not know): all empty, or the diff names the gap.
    const missing = Object.fromEntries(
      [...used].map((command) => [
        command,
        command in needs ? (needs[command] ?? []).filter((action) => !(TABLE_ACTIONS as readonly string[]).includes(action)) : ['unknown'],
      ]),
    );
    expect(missing).toEqual(Object.fromEntries([...used].map((command) => [command, []])));
  });

  it('cover every Management API command the Lambda code sends', () => {
    const methods: Record<string, string> = {
      PostToConnectionCommand: 'POST',
      DeleteConnectionCommand: 'DELETE',
      GetConnectionCommand: 'GET',
    };
    const used = commandsSentBy('@aws-sdk/client-apigatewaymanagementapi');
    // PostToConnection goes through the lean poster, a signed POST to /@connections/{id}.
    const poster = readFileSync(path.join(PROJECT_ROOT, 'lambdas/core/connection-poster.ts'), 'utf8');
    expect(poster).toContain("method: 'POST'");
    expect(poster).toContain('/@connections/${encodeURIComponent(connectionId)}');
    used.add('PostToConnectionCommand');
    // Each command with the method it needs, unknown commands as "unknown": the diff names any gap.
    const needed = Object.fromEntries([...used].map((command) => [command, methods[command] ?? 'unknown']));
    expect(needed).toEqual(
      Object.fromEntries([...used].map((command) => [command, expect.toSatisfy((method: string) => (MANAGEMENT_API_METHODS as readonly string[]).includes(method))])),
    );
  });

  it('let every function that posts manage this stage’s connections, and nothing else', () => {
    const connect = functionBehindRoute(webSocketRoute('$connect')[1]);
    const authorizer = functionBuiltFrom(connectAuthorizer.entry);
    const posting = functionIds().filter((id) => id !== connect && id !== authorizer);
    expect(posting).toHaveLength(routes.length - 1 + 3);
    const grants = (id: string) =>
      statementsOfFunction(template(), id)
        .filter((statement) => actionsOf(statement).includes('execute-api:ManageConnections'))
        .map((statement) => ({ actions: actionsOf(statement), resources: resourcesOf(statement) }));
    const arns = connectionsArns();
    expect(perFunction(grants, posting)).toEqual(
      perFunction(() => [{ actions: ['execute-api:ManageConnections'], resources: expect.toSatisfy((found: unknown[]) => found.length === arns.length) }], posting),
    );
    expect(perFunction((id) => grants(id)[0]?.resources, posting)).toEqual(perFunction(() => expect.arrayContaining(arns), posting));
    expect(perFunction((id) => environmentOf(template(), id).MANAGEMENT_ENDPOINT, posting)).toEqual(perFunction(() => callbackUrl(), posting));
  });

  it('give $connect no Management API access and no endpoint to post to', () => {
    const connect = functionBehindRoute(webSocketRoute('$connect')[1]);
    expect(managesConnections(connect)).toBe(false);
    expect(environmentOf(template(), connect)).not.toHaveProperty('MANAGEMENT_ENDPOINT');
    expect(managesConnections(functionBehindRoute(webSocketRoute('$disconnect')[1]))).toBe(true);
  });

  it('give the authorizer its secret and nothing else: no table, no connections', () => {
    const authorizer = functionBuiltFrom(connectAuthorizer.entry);
    expect(managesConnections(authorizer)).toBe(false);
    const statements = statementsOfFunction(template(), authorizer).filter((statement) => !actionsOf(statement).every((action) => action.startsWith('logs:')));
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Resource).toBe(SECRET_ARN);
    expect(actionsOf(statements[0] as Statement).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(environmentOf(template(), authorizer)).toMatchObject({ JWT_SECRET_ARN: SECRET_ARN });
    for (const name of ['JWT_JWKS_URL', 'JWT_SECRET', 'MANAGEMENT_ENDPOINT', 'TABLE_NAME']) {
      expect(environmentOf(template(), authorizer)).not.toHaveProperty(name);
    }
  });
});

describe('admin API', () => {
  it('serves exactly the routes of lib/routes.ts adminApi, IAM-authorised, from the admin handler', () => {
    const adminFunction = functionBuiltFrom(adminApi.entry);
    const httpRoutes = resourcesOfType(template(), 'AWS::ApiGatewayV2::Route').filter(([, route]) =>
      referencedIds(props(route).ApiId).includes(httpApiId()),
    );
    expect(httpRoutes.map(([, route]) => props(route).RouteKey).sort()).toEqual(
      adminApi.routes.map((route) => `${route.method} ${route.path}`).sort(),
    );
    for (const [, route] of httpRoutes) {
      expect(props(route).AuthorizationType).toBe('AWS_IAM');
      expect(functionBehindRoute(route)).toBe(adminFunction);
    }
    expect(managesConnections(adminFunction)).toBe(true);
  });

  it('has a throttled, access-logged default stage', () => {
    const stages = resourcesOfType(template(), 'AWS::ApiGatewayV2::Stage').filter(([, stage]) =>
      referencedIds(props(stage).ApiId).includes(httpApiId()),
    );
    expect(stages).toHaveLength(1);
    expect(props(stages[0]?.[1])).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: expect.any(Number), ThrottlingRateLimit: expect.any(Number) },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] }, Format: expect.stringContaining('$context.requestId') },
    });
  });
});

describe('EventBridge publish', () => {
  function rule(): Resource {
    const rules = resourcesOfType(template(), 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    return rules[0]?.[1] as Resource;
  }

  it('matches the detail-type on the default bus, from any source unless configured', () => {
    expect(props(rule()).EventPattern).toEqual({ 'detail-type': [publishEventRule.detailType] });
    expect(props(rule())).not.toHaveProperty('EventBusName');
  });

  it('targets the publish-event handler with retries and an encrypted, TLS-only dead-letter queue', () => {
    const targets = props(rule()).Targets as { Arn: unknown; DeadLetterConfig: { Arn: unknown }; RetryPolicy: Record<string, number> }[];
    expect(targets).toHaveLength(1);
    const target = targets[0] as (typeof targets)[number];
    expect(referencedIdOfType(template(), target.Arn, 'AWS::Lambda::Function')).toBe(functionBuiltFrom(publishEventRule.entry));
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    const queue = referencedIdOfType(template(), target.DeadLetterConfig.Arn, 'AWS::SQS::Queue');
    expect(props(resource(queue))).toMatchObject({ SqsManagedSseEnabled: true });
    template().hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('parks events whose processing still fails after Lambda’s retries in the same queue', () => {
    const target = (props(rule()).Targets as { DeadLetterConfig: { Arn: unknown } }[])[0];
    const queue = referencedIdOfType(template(), target?.DeadLetterConfig.Arn, 'AWS::SQS::Queue');
    const handler = functionBuiltFrom(publishEventRule.entry);
    template().hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: handler },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    expect(
      statementsOfFunction(template(), handler).some(
        (statement) => actionsOf(statement).includes('sqs:SendMessage') && JSON.stringify(statement.Resource).includes(queue),
      ),
    ).toBe(true);
  });
});

describe('large rooms', () => {
  const queues = () => resourcesOfType(template(), 'AWS::SQS::Queue');
  const fanOutQueue = (): [string, Resource] => {
    const found = queues().filter(([, queue]) => props(queue).RedrivePolicy !== undefined);
    expect(found).toHaveLength(1);
    return found[0] as [string, Resource];
  };
  const worker = () => functionBuiltFrom(fanOutWorker.entry);

  it('feed the worker from an encrypted, TLS-only queue, with partial batch failures and a bounded concurrency', () => {
    const [queueId, queue] = fanOutQueue();
    expect(props(queue)).toMatchObject({ SqsManagedSseEnabled: true, VisibilityTimeout: 6 * fanOutWorker.timeoutSeconds });
    template().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: worker() },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: fanOutWorker.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: LARGE_ROOM_DEFAULTS.workers },
    });
    template().hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    expect(props(resource(worker())).Timeout).toBe(fanOutWorker.timeoutSeconds);
  });

  it('move a batch that fails maxReceiveCount times to a dead-letter queue, with an alarm on it', () => {
    const [, queue] = fanOutQueue();
    const redrive = props(queue).RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
    expect(redrive.maxReceiveCount).toBe(fanOutWorker.maxReceiveCount);
    const deadLetterId = referencedIdOfType(template(), redrive.deadLetterTargetArn, 'AWS::SQS::Queue');
    const watching = resourcesOfType(template(), 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => props(alarm).MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(props(alarm).Dimensions).includes(deadLetterId),
    );
    expect(watching).toHaveLength(1);
  });

  it('let every function that posts queue batches, give them the queue and the large-room settings, and let only the worker consume', () => {
    const [queueId] = fanOutQueue();
    const posting = functionIds().filter(managesConnections);
    const sends = (id: string) =>
      statementsOfFunction(template(), id).some((statement) => actionsOf(statement).includes('sqs:SendMessage') && JSON.stringify(statement.Resource).includes(queueId));
    const receives = (id: string) =>
      statementsOfFunction(template(), id).some((statement) => actionsOf(statement).includes('sqs:ReceiveMessage') && JSON.stringify(statement.Resource).includes(queueId));
    expect(perFunction(sends, posting)).toEqual(perFunction(() => true, posting));
    expect(functionIds().filter(receives)).toEqual([worker()]);
    expect(perFunction((id) => environmentOf(template(), id), posting)).toEqual(
      perFunction(
        () =>
          expect.objectContaining({
            FANOUT_QUEUE_URL: { Ref: queueId },
            LARGE_ROOM_THRESHOLD: String(LARGE_ROOM_DEFAULTS.threshold),
            FANOUT_BATCH_SIZE: String(LARGE_ROOM_DEFAULTS.batchSize),
            FANOUT_POST_RATE: String(LARGE_ROOM_DEFAULTS.postRate),
            FANOUT_WORKERS: String(LARGE_ROOM_DEFAULTS.workers),
          }),
        posting,
      ),
    );
  });
});

describe('alarms', () => {
  const alarms = () => resourcesOfType(template(), 'AWS::CloudWatch::Alarm').map(([, alarm]) => props(alarm));

  it('fire on one error or throttle of any function in five minutes', () => {
    const alarmsOn = (id: string, metricName: string) =>
      alarms().filter(
        (alarm) =>
          alarm.Namespace === 'AWS/Lambda' &&
          alarm.MetricName === metricName &&
          JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]),
      );
    const oneInFiveMinutes = expect.objectContaining({
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(perFunction((id) => ({ errors: alarmsOn(id, 'Errors'), throttles: alarmsOn(id, 'Throttles') }))).toEqual(
      perFunction(() => ({ errors: [oneInFiveMinutes], throttles: [oneInFiveMinutes] })),
    );
  });

  it('watch the table for system errors and throttling', () => {
    const tableId = resourcesOfType(template(), 'AWS::DynamoDB::Table')[0]?.[0] as string;
    const metricsOf = (metricName: string) =>
      alarms()
        .filter((alarm) =>
          ((alarm.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[] | undefined) ?? []).some(
            (metric) => metric.MetricStat?.Metric.MetricName === metricName && JSON.stringify(metric.MetricStat.Metric.Dimensions).includes(tableId),
          ),
        )
        .map((alarm) => (alarm.Metrics as unknown[]).length);
    // One alarm each; a metric-math alarm takes at most 10 metrics (plus the expression).
    expect({ SystemErrors: metricsOf('SystemErrors'), ThrottledRequests: metricsOf('ThrottledRequests') }).toEqual({
      SystemErrors: [expect.toSatisfy((count: number) => count >= 2 && count <= 11)],
      ThrottledRequests: [expect.toSatisfy((count: number) => count >= 2 && count <= 11)],
    });
  });

  it('watch the WebSocket stage for integration and execution errors', () => {
    const count = (metricName: string) =>
      alarms().filter(
        (alarm) =>
          alarm.Namespace === 'AWS/ApiGateway' &&
          alarm.MetricName === metricName &&
          JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'ApiId', Value: { Ref: webSocketApiId() } }, { Name: 'Stage', Value: 'dev' }]),
      ).length;
    expect({ IntegrationError: count('IntegrationError'), ExecutionError: count('ExecutionError') }).toEqual({ IntegrationError: 1, ExecutionError: 1 });
  });

  it('watch the admin API for 5xx and the dead-letter queue for anything', () => {
    expect(alarms().filter((alarm) => alarm.MetricName === '5xx' && JSON.stringify(alarm.Dimensions).includes(httpApiId()))).toHaveLength(1);
    // The publish dead-letter queue and the fan-out one.
    expect(alarms().filter((alarm) => alarm.Namespace === 'AWS/SQS' && alarm.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
  });

  it('notify nobody unless alarmEmail is given', () => {
    expect(resourcesOfType(template(), 'AWS::SNS::Topic')).toEqual([]);
    for (const alarm of alarms()) expect(alarm).not.toHaveProperty('AlarmActions');
  });
});

describe('outputs', () => {
  it('give the wss:// URL, the callback URL, the publish and stats URLs and the table name', () => {
    const outputs = template().toJSON().Outputs as Record<string, { Value: unknown }>;
    const joined = (name: string) => JSON.stringify(outputs[name]?.Value);
    expect(outputs.WebSocketUrl?.Value).toEqual({
      'Fn::Join': ['', ['wss://', { Ref: webSocketApiId() }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/dev']],
    });
    expect(outputs.ManagementApiUrl?.Value).toEqual(callbackUrl());
    expect(joined('PublishUrl')).toContain(`{"Ref":"${httpApiId()}"}`);
    expect(joined('PublishUrl')).toMatch(/"\/publish"\]\]\}$/);
    expect(joined('StatsUrl')).toMatch(/"\/stats"\]\]\}$/);
    expect(outputs.TableName?.Value).toEqual({ Ref: resourcesOfType(template(), 'AWS::DynamoDB::Table')[0]?.[0] });
    expect(outputs).toHaveProperty('AdminApiInvokeArn');
    expect(outputs).toHaveProperty('PublishDeadLetterQueueUrl');
  });
});

describe('cdk-nag AWS Solutions', () => {
  it('reports nothing unacknowledged, errors or warnings', () => {
    const violations = nagViolations(synth.app).map((violation) => ({
      rule: violation.ruleName,
      severity: violation.severity,
      at: violation.violatingResources.map((where) => where.constructPath),
    }));
    expect(violations).toEqual([]);
  });

  it('acknowledges only findings that occur, each with a reason', () => {
    const raw = rawNagViolations(synth.app);
    const acks = acknowledgements(synth.app);
    expect(raw.length).toBeGreaterThan(0);
    const hides = (ack: (typeof acks)[number]) =>
      raw
        .filter((violation) => violation.ruleName === ack.id)
        .flatMap((violation) => violation.violatingResources)
        .some((where) => where.constructPath === ack.path || where.constructPath?.startsWith(`${ack.path}/`) === true);
    const audit = acks.map((ack) => ({ at: `${ack.path} ${ack.id}`, hidesAFinding: hides(ack), reasoned: ack.reason.length > 40 }));
    expect(audit).toEqual(acks.map((ack) => ({ at: `${ack.path} ${ack.id}`, hidesAFinding: true, reasoned: true })));
    const acknowledgedRules = new Set(acks.map((ack) => ack.id.replace(/\[.*$/, '')));
    expect([...acknowledgedRules].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SQS3']);
  });
});
