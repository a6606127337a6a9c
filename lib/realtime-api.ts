import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENTS_OUT } from '../lambdas/core/events-out.js';
import { AUTH_SETTINGS } from '../lambdas/core/auth/auth-settings.js';
import { CONFIG_SETTINGS, type LimitSetting } from '../lambdas/core/config-settings.js';
import { settingsVariables } from '../lambdas/core/settings.js';
import { TABLE_SCHEMA } from '../lambdas/core/table.js';
import { fanOutWorker, LARGE_ROOM_DEFAULTS, type LargeRoomSettings } from './fan-out-worker.js';
import { acknowledgeWildcardResource } from './nag.js';
import { packageRoot } from './package-root.js';
import { publishEventRule } from './publish-event-rule.js';
import { RealtimeAlarms } from './realtime-alarms.js';
import { functionDefinitions } from './function-definitions.js';
import { RealtimeFunction } from './realtime-function.js';
import { adminApi, connectAuthorizer, ROUTE_SELECTION_EXPRESSION, routes } from './routes.js';
import { authSettings, CONTEXT_SETTINGS, StackConfigError, validEmail, validStageName, type AuthSettings, type LogLevel } from './stack-config.js';

/** The package root: handler entries in lib/routes.ts are relative to it. */
export const PROJECT_ROOT = packageRoot();

/**
 * The table actions the functions are granted: what the code under
 * lambdas/core sends (Get, BatchGet, Query, Put, Update, BatchWrite and
 * TransactWrite, whose items need Put/Update/Delete/ConditionCheck), and not
 * the rest of grantReadWriteData: no Scan (nothing scans; a Scan of this table
 * reads every connection), no DescribeTable, no stream reads.
 * test/infra/stack.test.ts fails when the code starts sending a command not
 * covered here.
 */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/**
 * The Management API calls lambdas/core makes: PostToConnection (POST) and
 * DeleteConnection (DELETE, closing a connection); never GetConnection.
 * test/infra/stack.test.ts fails when the code starts making another.
 */
export const MANAGEMENT_API_METHODS = ['POST', 'DELETE'] as const;

/**
 * How the `$connect` authorizer verifies tokens: exactly one key source.
 *
 * - `jwtSecretArn`: HS256, the shared secret in Secrets Manager (its complete
 *   ARN, with the six characters Secrets Manager appends);
 * - `jwksUrl` + `issuer`: RS256/ES256, an issuer's public keys (a Cognito user
 *   pool's, say); the issuer is required, since an issuer's keys sign tokens
 *   for all its clients.
 */
export type RealtimeApiAuth =
  | { readonly jwtSecretArn: string; readonly issuer?: string; readonly audience?: string }
  | { readonly jwksUrl: string; readonly issuer: string; readonly audience?: string };

/** Per-user and per-connection abuse limits and history retention; each left out keeps its default. */
export interface RealtimeLimits {
  /** Live connections per user; one more `$connect` is refused with 429. @default 5 */
  readonly maxConnectionsPerUser?: number;
  /** Rooms per connection; one more `joinRoom` gets FORBIDDEN. @default 50 */
  readonly maxRoomsPerConnection?: number;
  /** Frames per connection per window; more get RATE_LIMITED. @default 40 */
  readonly rateLimitFrames?: number;
  /** The rate limit's window. @default Duration.seconds(10) */
  readonly rateLimitWindow?: Duration;
  /** How long room messages stay readable through `history`. @default Duration.hours(24) */
  readonly historyRetention?: Duration;
}

/** Presence and occupancy events put on an EventBridge bus (docs/events.md). */
export interface RealtimeEventsOut {
  /** @default - the account's default event bus */
  readonly bus?: events.IEventBus;
  /** The events' `source`. @default 'realtime' */
  readonly source?: string;
}

export interface RealtimeApiProps {
  /** How `$connect` verifies the `token` query parameter. */
  readonly auth: RealtimeApiAuth;
  /** The WebSocket API's stage name, part of its URL. @default 'dev' */
  readonly stage?: string;
  /** What happens to the table, queues and log groups when the construct is removed. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** The WebSocket stage's default route throttling. @default { burstLimit: 500, rateLimit: 1000 } */
  readonly throttling?: { readonly burstLimit?: number; readonly rateLimit?: number };
  readonly limits?: RealtimeLimits;
  /** When a room is large and how its delivery is spread over fan-out workers. @default LARGE_ROOM_DEFAULTS */
  readonly largeRooms?: LargeRoomSettings;
  /** Every function's POWERTOOLS_LOG_LEVEL. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** X-Ray active tracing on every function, their AWS calls and fan-outs captured (docs/operations.md). @default false */
  readonly tracing?: boolean;
  /** A topic every alarm, and its recovery, notifies. @default - alarms notify nobody, unless alarmEmail is given */
  readonly alarmTopic?: sns.ITopic;
  /** An email address subscribed to a new topic every alarm notifies (not with alarmTopic). @default - no topic */
  readonly alarmEmail?: string;
  /** The `source` the server-side publish rule requires of `realtime.publish` events. @default - any source */
  readonly publishEventSource?: string;
  /**
   * Set API Gateway's account-level CloudWatch Logs role (AWS::ApiGateway::Account,
   * one per account and region, retained). WebSocket stage access logging is
   * refused until the account has one; turn this off when another stack sets it.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** Put presence and occupancy events on an EventBridge bus. @default - off */
  readonly eventsOut?: RealtimeEventsOut;
}

/**
 * The whole product as one construct for any CDK app: API Gateway WebSocket
 * API → one Lambda function per route (lib/routes.ts) → one DynamoDB table,
 * messages fanned out through the Management API; an IAM-authorised HTTP API
 * and an EventBridge rule for server-side publish; alarms on everything that
 * should never fail; optionally, presence events out to an EventBridge bus.
 */
export class RealtimeApi extends Construct {
  /** Clients connect here: `wss://…/<stage>?token=<JWT>`. */
  readonly webSocketUrl: string;
  /** The Management API (`@connections`) endpoint of the stage. */
  readonly callbackUrl: string;
  /** `POST` a publish request here, SigV4-signed (service `execute-api`): see `grantPublish`. */
  readonly publishUrl: string;
  /** `GET` connection and room counts, SigV4-signed. */
  readonly statsUrl: string;
  /** The resource of the `execute-api:Invoke` permission a caller of the publish API needs. */
  readonly publishApiInvokeArn: string;
  readonly table: dynamodb.Table;
  readonly webSocketApi: apigw.WebSocketApi;
  readonly webSocketStage: apigw.WebSocketStage;
  /** The IAM-authorised HTTP API: `POST /publish`, `GET /stats`. */
  readonly publishApi: apigw.HttpApi;
  /** Events with detail-type `realtime.publish` on the default bus are published by this rule's target. */
  readonly publishRule: events.Rule;
  /** Publish events (and asynchronous invocations) that failed for good. */
  readonly publishDeadLetterQueue: sqs.Queue;
  /** Batches of large rooms' connection ids, for the fan-out worker. */
  readonly fanOutQueue: sqs.Queue;
  /** The bus presence and occupancy events go to, when `eventsOut` is on. */
  readonly eventsOutBus: events.IEventBus | undefined;
  /** The `source` of those events. */
  readonly eventsOutSource: string | undefined;
  readonly alarms: RealtimeAlarms;
  /** Every function, by its route key, or `authorizer`, `admin`, `publish-event`, `fan-out-worker`. */
  readonly functions = new Map<string, RealtimeFunction>();

  constructor(scope: Construct, id: string, props: RealtimeApiProps) {
    super(scope, id);
    const auth = validatedAuth(props.auth);
    const stage = props.stage ?? CONTEXT_SETTINGS.stage.default;
    validStageName(stage, 'RealtimeApi stage');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const largeRooms = validatedLargeRooms(props.largeRooms);
    if (props.alarmTopic !== undefined && props.alarmEmail !== undefined) {
      throw new StackConfigError('RealtimeApi: give alarmTopic or alarmEmail, not both (subscribe the address to your topic instead)');
    }
    if (props.alarmEmail !== undefined) validEmail(props.alarmEmail, 'RealtimeApi alarmEmail');

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
      // A retained table should not be one console click from gone either.
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    });

    this.webSocketApi = new apigw.WebSocketApi(this, 'WebSocketApi', {
      description: 'Realtime messaging: chat rooms, presence, private messages, notifications',
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });

    const accessLogs = new logs.LogGroup(this, 'WebSocketAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.webSocketStage = new apigw.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: stage,
      autoDeploy: true,
      throttle: {
        burstLimit: props.throttling?.burstLimit ?? CONTEXT_SETTINGS.throttlingBurstLimit.default,
        rateLimit: props.throttling?.rateLimit ?? CONTEXT_SETTINGS.throttlingRateLimit.default,
      },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs), format: webSocketAccessLogFormat() },
    });
    if (props.apiGatewayCloudWatchRole ?? CONTEXT_SETTINGS.apiGatewayCloudWatchRole.default) {
      // WebSocket stages refuse access logging ("CloudWatch Logs role ARN must
      // be set in account settings") until the account has this role.
      this.webSocketStage.node.addDependency(apiGatewayCloudWatchRole(this));
    }
    this.webSocketUrl = this.webSocketStage.url;
    this.callbackUrl = this.webSocketStage.callbackUrl;

    // This API's stage only, and only the methods the code calls. The
    // connection id is part of the path and exists only at runtime: hence `*`.
    const apiArn = Stack.of(this).formatArn({ service: 'execute-api', resource: this.webSocketApi.apiId });
    const connectionArns = MANAGEMENT_API_METHODS.map((method) => `${apiArn}/${stage}/${method}/@connections/*`);
    const grantPosting = (fn: RealtimeFunction): void => {
      iam.Grant.addToPrincipal({ grantee: fn, actions: ['execute-api:ManageConnections'], resourceArns: connectionArns });
      for (const arn of connectionArns) {
        acknowledgeWildcardResource(
          fn.role,
          arn,
          'Connection ids are created at runtime, so the Management API grant ends in "@connections/*"; it is scoped to this API, this stage and the methods the code calls.',
        );
      }
    };

    // Large rooms: the sender queues batches of connection ids, the worker posts them.
    const fanOutDeadLetters = new sqs.Queue(this, 'FanOutDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.fanOutQueue = new sqs.Queue(this, 'FanOutQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * fanOutWorker.timeoutSeconds),
      // A batch older than this is news nobody waits for any more.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: fanOutDeadLetters, maxReceiveCount: fanOutWorker.maxReceiveCount },
      removalPolicy,
    });

    const eventsOut =
      props.eventsOut === undefined
        ? undefined
        : {
            bus: props.eventsOut.bus ?? events.EventBus.fromEventBusName(this, 'EventsOutBus', 'default'),
            source: props.eventsOut.source ?? EVENTS_OUT.defaultSource,
          };
    this.eventsOutBus = eventsOut?.bus;
    this.eventsOutSource = eventsOut?.source;
    const eventsOutBus = this.eventsOutBus;

    const tracing = props.tracing ?? CONTEXT_SETTINGS.tracing.default;
    const definitions = functionDefinitions({
      tableName: this.table.tableName,
      callbackUrl: this.callbackUrl,
      fanOutQueueUrl: this.fanOutQueue.queueUrl,
      authorizerEnvironment: authorizerEnvironment(auth),
      limitEnvironment: limitEnvironment(props.limits),
      largeRooms,
      ...(eventsOut === undefined ? {} : { eventsOut: { busName: eventsOut.bus.eventBusArn, source: eventsOut.source } }),
      logLevel: props.logLevel ?? CONTEXT_SETTINGS.logLevel.default,
      tracing,
    });
    for (const definition of definitions) {
      const fn = new RealtimeFunction(this, definition.id, {
        projectRoot: PROJECT_ROOT,
        entry: definition.entry,
        description: definition.description,
        timeout: Duration.seconds(definition.timeoutSeconds),
        memorySize: definition.memoryMb,
        environment: definition.environment,
        tracing,
        logRemovalPolicy: removalPolicy,
        ...(definition.access === 'authorizer' && auth.kind === 'secrets-manager' ? { paramsAndSecrets: secretsExtension() } : {}),
      });
      if (definition.access !== 'authorizer') this.table.grant(fn, ...TABLE_ACTIONS);
      if (definition.access === 'messaging') {
        grantPosting(fn);
        // The fan-out worker, too: it queues again what it could not post.
        this.fanOutQueue.grantSendMessages(fn);
        eventsOutBus?.grantPutEventsTo(fn);
      }
      this.functions.set(definition.name, fn);
    }
    const functionNamed = (name: string): RealtimeFunction => {
      const fn = this.functions.get(name);
      if (fn === undefined) throw new Error(`lib/function-definitions.ts defines no function ${name}`);
      return fn;
    };

    const authorizerFunction = functionNamed(connectAuthorizer.name);
    if (auth.kind === 'secrets-manager') {
      secretsmanager.Secret.fromSecretCompleteArn(this, 'JwtSecret', auth.secretArn).grantRead(authorizerFunction);
    }
    const authorizer = new WebSocketLambdaAuthorizer('ConnectAuthorizer', authorizerFunction.function, {
      identitySource: [connectAuthorizer.identitySource],
    });

    for (const route of routes) {
      const fn = functionNamed(route.routeKey);
      const integrationId = `${fn.node.id.replace(/Function$/, '')}Integration`;
      const apiRoute = this.webSocketApi.addRoute(route.routeKey, {
        integration: new WebSocketLambdaIntegration(integrationId, fn.function),
        returnResponse: route.twoWay,
        ...(route.routeKey === '$connect' ? { authorizer } : {}),
      });
      if (route.routeKey !== '$connect') {
        Validations.of(apiRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'API Gateway WebSocket APIs authorize at $connect only (authorizers on other routes are not supported); every later frame arrives on the connection the $connect authorizer admitted.',
        });
      }
    }

    const adminFunction = functionNamed(adminApi.name);
    this.publishApi = new apigw.HttpApi(this, 'AdminApi', {
      description: 'Server-side publish and stats for other services (IAM-authorised)',
      // The stage is created below, with access logs and throttling.
      createDefaultStage: false,
    });
    const adminLogs = new logs.LogGroup(this, 'AdminAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const adminStage = new apigw.HttpStage(this, 'AdminStage', {
      httpApi: this.publishApi,
      stageName: '$default',
      autoDeploy: true,
      // Well above a backend's notification rate, well below what would let a
      // caller in a loop run up the bill (a broadcast reads every connection).
      throttle: { burstLimit: 200, rateLimit: 100 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(adminLogs), format: adminAccessLogFormat() },
    });
    const adminIntegration = new HttpLambdaIntegration('AdminIntegration', adminFunction.function);
    for (const route of adminApi.routes) {
      this.publishApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: adminIntegration,
        authorizer: new HttpIamAuthorizer(),
      });
    }
    this.publishUrl = `${adminStage.url}publish`;
    this.statsUrl = `${adminStage.url}stats`;
    this.publishApiInvokeArn = this.publishApi.arnForExecuteApi('*', '/*', '$default');

    this.publishDeadLetterQueue = new sqs.Queue(this, 'PublishDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.publishDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself the dead-letter queue (of the publish rule's target and of the function's asynchronous invocations).",
    });
    const publishEventFunction = functionNamed(publishEventRule.name);
    // Invalid detail is dropped by the handler; what throws is a failure
    // (DynamoDB, say) that a retry may cure. After the retries the event is
    // kept in the queue rather than lost.
    publishEventFunction.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.publishDeadLetterQueue),
    });
    this.publishRule = new events.Rule(this, 'PublishRule', {
      description: `Server-side publish: detail-type ${publishEventRule.detailType}, detail = a POST /publish body`,
      eventPattern: {
        detailType: [publishEventRule.detailType],
        ...(props.publishEventSource === undefined ? {} : { source: [props.publishEventSource] }),
      },
      targets: [
        new targets.LambdaFunction(publishEventFunction.function, {
          deadLetterQueue: this.publishDeadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    const workerFunction = functionNamed(fanOutWorker.name);
    workerFunction.function.addEventSource(
      new SqsEventSource(this.fanOutQueue, {
        batchSize: fanOutWorker.batchSize,
        reportBatchItemFailures: true,
        // Each worker paces itself to FANOUT_POST_RATE / FANOUT_WORKERS: this many run at once, no more.
        maxConcurrency: largeRooms.workers,
      }),
    );

    this.alarms = new RealtimeAlarms(this, 'Alarms', {
      functions: new Map([...this.functions].map(([name, fn]) => [name, fn.function])),
      table: this.table,
      webSocket: { apiId: this.webSocketApi.apiId, stageName: this.webSocketStage.stageName },
      adminServerErrors: adminStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      deadLetterQueue: this.publishDeadLetterQueue,
      fanOutDeadLetterQueue: fanOutDeadLetters,
      ...(props.alarmTopic === undefined ? {} : { alarmTopic: props.alarmTopic }),
      ...(props.alarmEmail === undefined ? {} : { alarmEmail: props.alarmEmail }),
    });
  }

  /**
   * Lets a principal (another service's function, say) call the publish API:
   * `execute-api:Invoke` on `POST /publish` and `GET /stats`. Give it
   * `publisherEnvironment` too, for `publish()` of `<package>/server`.
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.publishApiInvokeArn] });
  }

  /** The variables `<package>/server` reads: where to publish. */
  get publisherEnvironment(): Record<string, string> {
    return { REALTIME_PUBLISH_URL: this.publishUrl };
  }
}

/** The props' key source, checked by the same rules as the CDK context's. */
function validatedAuth(auth: RealtimeApiAuth | undefined): AuthSettings {
  const props: Readonly<Record<string, string | undefined>> = { ...auth };
  return authSettings({
    // The example secret is the CLI's (`npm run synth`), never the construct's.
    get: (key) => (key === 'exampleAuth' ? undefined : props[key]),
    name: (key) => `RealtimeApi auth.${key}`,
    example: "  auth: { jwtSecretArn: 'arn:aws:secretsmanager:…:secret:<name>-<6 chars>' }   (HS256)\n  auth: { jwksUrl: 'https://<issuer>/.well-known/jwks.json', issuer: 'https://<issuer>' }   (RS256/ES256)",
  });
}

/** The limits the props change, as the variables lambdas/core/config.ts reads; each must be a positive whole number. */
function limitEnvironment(limits: RealtimeLimits = {}): Record<string, string> {
  const given: { readonly [Name in LimitSetting]: number | undefined } = {
    maxConnectionsPerUser: limits.maxConnectionsPerUser,
    maxRoomsPerConnection: limits.maxRoomsPerConnection,
    rateLimitFrames: limits.rateLimitFrames,
    rateLimitWindowSeconds: limits.rateLimitWindow?.toSeconds(),
    historyTtlSeconds: limits.historyRetention?.toSeconds(),
  };
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new StackConfigError(`RealtimeApi limits: ${name} must be a positive whole number, got ${value}`);
    }
  }
  return settingsVariables(CONFIG_SETTINGS, given);
}

/** The large-room settings with their defaults, refused at synth when SQS or the rate cannot take them. */
function validatedLargeRooms(settings: LargeRoomSettings = {}): Required<LargeRoomSettings> {
  const value = { ...LARGE_ROOM_DEFAULTS, ...settings };
  for (const [name, number] of Object.entries(value)) {
    if (!Number.isInteger(number) || number <= 0) throw new StackConfigError(`largeRooms.${name} must be a positive integer, got ${number}`);
  }
  if (value.workers < 2 || value.workers > 1000) {
    throw new StackConfigError(`largeRooms.workers must be between 2 and 1000 (an SQS event source's maximum concurrency), got ${value.workers}`);
  }
  if (value.postRate < value.workers) {
    throw new StackConfigError(`largeRooms.postRate (${value.postRate}/s) must be at least largeRooms.workers (${value.workers}): each worker gets an equal share`);
  }
  return value;
}

/** The authorizer's environment: which key source, and the claims it must check. */
function authorizerEnvironment(auth: AuthSettings): Record<string, string> {
  const keySource = auth.kind === 'secrets-manager' ? { secretArn: auth.secretArn } : { jwksUrl: auth.jwksUrl };
  return settingsVariables(AUTH_SETTINGS, { ...keySource, issuer: auth.issuer, audience: auth.audience });
}

/**
 * The AWS Parameters and Secrets Lambda Extension, through which the
 * authorizer reads its HS256 secret (lambdas/core/auth/secrets-extension.ts)
 * with its own role, so that its bundle carries no AWS SDK.
 *
 * - Cache off: the authorizer reads the secret once per container and keeps
 *   it (verify-token.ts), and a failed read is retried, never cached; a
 *   second copy in the extension would only answer requests that never come.
 * - A timeout for Secrets Manager (none by default) under the authorizer's
 *   own bound for the read (4 s), so a slow Secrets Manager is reported as
 *   such, and within the function's 10 s.
 */
function secretsExtension(): lambda.ParamsAndSecretsLayerVersion {
  return lambda.ParamsAndSecretsLayerVersion.fromVersion(lambda.ParamsAndSecretsVersions.V1_0_103, {
    cacheEnabled: false,
    secretsManagerTimeout: Duration.seconds(3),
  });
}

/**
 * API Gateway's regional, account-wide CloudWatch Logs role. One per account
 * and region, whoever sets it: retained when this stack goes, because another
 * API in the account may log through it by then.
 */
function apiGatewayCloudWatchRole(scope: Construct): CfnAccount {
  const role = new iam.Role(scope, 'ApiGatewayCloudWatchRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
  });
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account-level API Gateway logging role; API Gateway names its own log groups, so no narrower policy can be written ahead.',
  });
  const account = new CfnAccount(scope, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
  account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return account;
}

function webSocketAccessLogFormat(): AccessLogFormat {
  // JSON, one object per line, for Logs Insights. Never the query string:
  // on $connect it carries the token.
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      time: '$context.requestTime',
      eventType: '$context.eventType',
      routeKey: '$context.routeKey',
      status: '$context.status',
      connectionId: '$context.connectionId',
      sourceIp: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      principalId: '$context.authorizer.principalId',
      authorizerError: '$context.authorizer.error',
      integrationStatus: '$context.integration.status',
      integrationError: '$context.integration.error',
      integrationLatency: '$context.integration.latency',
      error: '$context.error.message',
    }),
  );
}

function adminAccessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      time: '$context.requestTime',
      method: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
      caller: '$context.identity.caller',
      userArn: '$context.identity.userArn',
      sourceIp: '$context.identity.sourceIp',
      integrationStatus: '$context.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
      latency: '$context.responseLatency',
      error: '$context.error.message',
    }),
  );
}
