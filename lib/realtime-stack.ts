import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
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
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/core/table.js';
import { fanOutWorker, LARGE_ROOM_DEFAULTS, largeRoomEnvironment, type LargeRoomSettings } from './fan-out-worker.js';
import { acknowledgeWildcardResource } from './nag.js';
import { publishEventRule } from './publish-event-rule.js';
import { RealtimeAlarms } from './realtime-alarms.js';
import { RealtimeFunction, type RealtimeFunctionProps } from './realtime-function.js';
import { adminApi, connectAuthorizer, ROUTE_SELECTION_EXPRESSION, routes, type RouteDefinition } from './routes.js';
import { authSettings, type AuthSettings, type StackSettings } from './stack-config.js';

/** The repository root: handler entries in lib/routes.ts are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

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
 * Routes whose function posts to connections (fan-out, `user_left` from
 * `$disconnect`'s cleanup, closing a connection). `$connect` is the
 * exception: it answers through its status code and never calls the
 * Management API, so it gets neither the grant nor the endpoint, and cannot
 * post even by mistake. `$default` posts nothing today (it answers through
 * its route response) but is a message route like the others: it keeps their
 * grants, so a change in lambdas/core (say, counting its frames against the
 * rate limit) cannot become an AccessDenied that only shows in AWS.
 */
function postsToConnections(route: RouteDefinition): boolean {
  return route.routeKey !== '$connect';
}

export interface RealtimeStackProps extends StackProps, Omit<StackSettings, 'account' | 'region'> {
  /** When a room is large and how its delivery is spread over fan-out workers. @default LARGE_ROOM_DEFAULTS */
  readonly largeRooms?: LargeRoomSettings;
}

/**
 * The whole product: API Gateway WebSocket API → one Lambda function per
 * route (lib/routes.ts) → one DynamoDB table, messages fanned out through the
 * Management API; an IAM-authorised HTTP API and an EventBridge rule for
 * server-side publish; alarms on everything that should never fail.
 */
export class RealtimeStack extends Stack {
  readonly table: dynamodb.Table;
  readonly webSocketApi: apigw.WebSocketApi;
  readonly webSocketStage: apigw.WebSocketStage;
  readonly adminHttpApi: apigw.HttpApi;
  /** Batches of large rooms' connection ids, for the fan-out worker. */
  readonly fanOutQueue: sqs.Queue;
  /** Every function, by its route key, or `authorizer`, `admin`, `publish-event`, `fan-out-worker`. */
  readonly functions = new Map<string, RealtimeFunction>();

  constructor(scope: Construct, id: string, props: RealtimeStackProps) {
    super(scope, id, props);
    // Checked again here, not only when read from context: a stack built from
    // code must not synthesize an authorizer without a key either.
    const auth = validatedAuth(props.auth);

    const functionDefaults: Omit<RealtimeFunctionProps, 'entry'> = {
      projectRoot: PROJECT_ROOT,
      logLevel: props.logLevel,
      tracing: props.tracing,
      logRemovalPolicy: props.removalPolicy,
    };

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
      // A retained table should not be one console click from gone either.
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
    });

    this.webSocketApi = new apigw.WebSocketApi(this, 'WebSocketApi', {
      description: 'Realtime messaging: chat rooms, presence, private messages, notifications',
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });

    const accessLogs = new logs.LogGroup(this, 'WebSocketAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    this.webSocketStage = new apigw.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: props.stage,
      autoDeploy: true,
      throttle: { burstLimit: props.throttlingBurstLimit, rateLimit: props.throttlingRateLimit },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs), format: webSocketAccessLogFormat() },
    });
    if (props.apiGatewayCloudWatchRole) {
      // WebSocket stages refuse access logging ("CloudWatch Logs role ARN must
      // be set in account settings") until the account has this role.
      this.webSocketStage.node.addDependency(apiGatewayCloudWatchRole(this));
    }

    // This API's stage only, and only the methods the code calls. The
    // connection id is part of the path and exists only at runtime: hence `*`.
    const apiArn = this.formatArn({ service: 'execute-api', resource: this.webSocketApi.apiId });
    const connectionArns = MANAGEMENT_API_METHODS.map((method) => `${apiArn}/${props.stage}/${method}/@connections/*`);
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
    const largeRooms = validatedLargeRooms(props.largeRooms);
    const fanOutDeadLetters = new sqs.Queue(this, 'FanOutDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.fanOutQueue = new sqs.Queue(this, 'FanOutQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * fanOutWorker.timeoutSeconds),
      // A batch older than this is news nobody waits for any more.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: fanOutDeadLetters, maxReceiveCount: fanOutWorker.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });

    // lambdas/core/config.ts reads these; MANAGEMENT_ENDPOINT only goes with the grant to use it.
    const tableEnvironment = { TABLE_NAME: this.table.tableName };
    const postingEnvironment = {
      ...tableEnvironment,
      MANAGEMENT_ENDPOINT: this.webSocketStage.callbackUrl,
      FANOUT_QUEUE_URL: this.fanOutQueue.queueUrl,
      ...largeRoomEnvironment(largeRooms),
    };

    const authorizerFunction = new RealtimeFunction(this, 'AuthorizerFunction', {
      ...functionDefaults,
      entry: connectAuthorizer.entry,
      description: '$connect authorizer: verifies the token query parameter',
      // A handshake that waits longer than this is broken anyway; fail it fast.
      timeout: Duration.seconds(10),
      environment: authorizerEnvironment(auth),
      ...(auth.kind === 'secrets-manager' ? { paramsAndSecrets: secretsExtension() } : {}),
    });
    if (auth.kind === 'secrets-manager') {
      secretsmanager.Secret.fromSecretCompleteArn(this, 'JwtSecret', auth.secretArn).grantRead(authorizerFunction);
    }
    this.functions.set(connectAuthorizer.name, authorizerFunction);
    const authorizer = new WebSocketLambdaAuthorizer('ConnectAuthorizer', authorizerFunction.function, {
      identitySource: [connectAuthorizer.identitySource],
    });

    for (const route of routes) {
      const fn = new RealtimeFunction(this, `${pascal(route.name)}Function`, {
        ...functionDefaults,
        entry: route.entry,
        description: `WebSocket route ${route.routeKey}`,
        environment: postsToConnections(route) ? postingEnvironment : tableEnvironment,
      });
      this.table.grant(fn, ...TABLE_ACTIONS);
      if (postsToConnections(route)) {
        grantPosting(fn);
        this.fanOutQueue.grantSendMessages(fn);
      }
      const apiRoute = this.webSocketApi.addRoute(route.routeKey, {
        integration: new WebSocketLambdaIntegration(`${pascal(route.name)}Integration`, fn.function),
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
      this.functions.set(route.routeKey, fn);
    }

    const adminFunction = new RealtimeFunction(this, 'AdminFunction', {
      ...functionDefaults,
      entry: adminApi.entry,
      description: 'Admin API: POST /publish, GET /stats',
      environment: postingEnvironment,
    });
    this.table.grant(adminFunction, ...TABLE_ACTIONS);
    grantPosting(adminFunction);
    this.fanOutQueue.grantSendMessages(adminFunction);
    this.functions.set(adminApi.name, adminFunction);

    this.adminHttpApi = new apigw.HttpApi(this, 'AdminApi', {
      description: 'Server-side publish and stats for other services (IAM-authorised)',
      // The stage is created below, with access logs and throttling.
      createDefaultStage: false,
    });
    const adminLogs = new logs.LogGroup(this, 'AdminAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    const adminStage = new apigw.HttpStage(this, 'AdminStage', {
      httpApi: this.adminHttpApi,
      stageName: '$default',
      autoDeploy: true,
      // Well above a backend's notification rate, well below what would let a
      // caller in a loop run up the bill (a broadcast reads every connection).
      throttle: { burstLimit: 200, rateLimit: 100 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(adminLogs), format: adminAccessLogFormat() },
    });
    const adminIntegration = new HttpLambdaIntegration('AdminIntegration', adminFunction.function);
    for (const route of adminApi.routes) {
      this.adminHttpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: adminIntegration,
        authorizer: new HttpIamAuthorizer(),
      });
    }

    const deadLetters = new sqs.Queue(this, 'PublishDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself the dead-letter queue (of the publish rule's target and of the function's asynchronous invocations).",
    });
    const publishEventFunction = new RealtimeFunction(this, 'PublishEventFunction', {
      ...functionDefaults,
      entry: publishEventRule.entry,
      description: `EventBridge ${publishEventRule.detailType} → publish`,
      environment: postingEnvironment,
      // Not behind API Gateway: a broadcast to every connection gets longer than 29 s.
      timeout: Duration.minutes(2),
    });
    this.table.grant(publishEventFunction, ...TABLE_ACTIONS);
    grantPosting(publishEventFunction);
    this.fanOutQueue.grantSendMessages(publishEventFunction);
    // Invalid detail is dropped by the handler; what throws is a failure
    // (DynamoDB, say) that a retry may cure. After the retries the event is
    // kept in the queue rather than lost.
    publishEventFunction.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(deadLetters),
    });
    new events.Rule(this, 'PublishRule', {
      description: `Server-side publish: detail-type ${publishEventRule.detailType}, detail = a POST /publish body`,
      eventPattern: {
        detailType: [publishEventRule.detailType],
        ...(props.eventSource === undefined ? {} : { source: [props.eventSource] }),
      },
      targets: [
        new targets.LambdaFunction(publishEventFunction.function, {
          deadLetterQueue: deadLetters,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    this.functions.set(publishEventRule.name, publishEventFunction);

    const workerFunction = new RealtimeFunction(this, 'FanOutWorkerFunction', {
      ...functionDefaults,
      entry: fanOutWorker.entry,
      description: 'Delivers large rooms: posts the batches of connection ids on the fan-out queue',
      environment: postingEnvironment,
      timeout: Duration.seconds(fanOutWorker.timeoutSeconds),
    });
    this.table.grant(workerFunction, ...TABLE_ACTIONS);
    grantPosting(workerFunction);
    // The worker queues again what it could not post.
    this.fanOutQueue.grantSendMessages(workerFunction);
    workerFunction.function.addEventSource(
      new SqsEventSource(this.fanOutQueue, {
        batchSize: fanOutWorker.batchSize,
        reportBatchItemFailures: true,
        // Each worker paces itself to FANOUT_POST_RATE / FANOUT_WORKERS: this many run at once, no more.
        maxConcurrency: largeRooms.workers,
      }),
    );
    this.functions.set(fanOutWorker.name, workerFunction);

    const alarms = new RealtimeAlarms(this, 'Alarms', {
      functions: new Map([...this.functions].map(([name, fn]) => [name, fn.function])),
      table: this.table,
      webSocket: { apiId: this.webSocketApi.apiId, stageName: this.webSocketStage.stageName },
      adminServerErrors: adminStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      deadLetterQueue: deadLetters,
      fanOutDeadLetterQueue: fanOutDeadLetters,
      ...(props.alarmEmail === undefined ? {} : { alarmEmail: props.alarmEmail }),
    });

    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketStage.url, description: 'Clients connect here: wss://…?token=<JWT>' });
    new CfnOutput(this, 'ManagementApiUrl', {
      value: this.webSocketStage.callbackUrl,
      description: 'Management API (@connections) callback URL: MANAGEMENT_ENDPOINT',
    });
    new CfnOutput(this, 'PublishUrl', { value: `${adminStage.url}publish`, description: 'POST a publish request, SigV4-signed (service execute-api)' });
    new CfnOutput(this, 'StatsUrl', { value: `${adminStage.url}stats`, description: 'GET connection and room counts, SigV4-signed' });
    new CfnOutput(this, 'AdminApiInvokeArn', {
      value: this.adminHttpApi.arnForExecuteApi('*', '/*', '$default'),
      description: 'Resource for the execute-api:Invoke permission a caller of the admin API needs',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'PublishDeadLetterQueueUrl', { value: deadLetters.queueUrl, description: 'Publish events that failed' });
    if (alarms.topic !== undefined) new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
  }
}

function validatedAuth(auth: AuthSettings | undefined): AuthSettings {
  // Re-read through the context parser so code and context share one set of rules.
  const source: Record<string, string | undefined> =
    auth === undefined
      ? {}
      : auth.kind === 'secrets-manager'
        ? { jwtSecretArn: auth.secretArn, issuer: auth.issuer, audience: auth.audience }
        : { jwksUrl: auth.jwksUrl, issuer: auth.issuer, audience: auth.audience };
  return authSettings((key) => source[key]);
}

/** The large-room settings with their defaults, refused at synth when SQS or the rate cannot take them. */
function validatedLargeRooms(settings: LargeRoomSettings = {}): Required<LargeRoomSettings> {
  const value = { ...LARGE_ROOM_DEFAULTS, ...settings };
  for (const [name, number] of Object.entries(value)) {
    if (!Number.isInteger(number) || number <= 0) throw new Error(`largeRooms.${name} must be a positive integer, got ${number}`);
  }
  if (value.workers < 2 || value.workers > 1000) {
    throw new Error(`largeRooms.workers must be between 2 and 1000 (an SQS event source's maximum concurrency), got ${value.workers}`);
  }
  if (value.postRate < value.workers) {
    throw new Error(`largeRooms.postRate (${value.postRate}/s) must be at least largeRooms.workers (${value.workers}): each worker gets an equal share`);
  }
  return value;
}

/** The authorizer's environment: which key source, and the claims it must check. */
function authorizerEnvironment(auth: AuthSettings): Record<string, string> {
  const claims = {
    ...(auth.issuer === undefined ? {} : { JWT_ISSUER: auth.issuer }),
    ...(auth.audience === undefined ? {} : { JWT_AUDIENCE: auth.audience }),
  };
  return auth.kind === 'secrets-manager' ? { JWT_SECRET_ARN: auth.secretArn, ...claims } : { JWT_JWKS_URL: auth.jwksUrl, ...claims };
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
function apiGatewayCloudWatchRole(stack: Stack): CfnAccount {
  const role = new iam.Role(stack, 'ApiGatewayCloudWatchRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
  });
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account-level API Gateway logging role; API Gateway names its own log groups, so no narrower policy can be written ahead.',
  });
  const account = new CfnAccount(stack, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
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

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
