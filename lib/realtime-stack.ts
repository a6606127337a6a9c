import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LargeRoomSettings } from './fan-out-worker.js';
import { RealtimeApi, type RealtimeApiAuth } from './realtime-api.js';
import type { AuthSettings, StackSettings } from './stack-config.js';

export { MANAGEMENT_API_METHODS, PROJECT_ROOT, TABLE_ACTIONS } from './realtime-api.js';

export interface RealtimeStackProps extends StackProps, Omit<StackSettings, 'account' | 'region'> {
  /** When a room is large and how its delivery is spread over fan-out workers. @default LARGE_ROOM_DEFAULTS */
  readonly largeRooms?: LargeRoomSettings;
}

/**
 * The stand-alone deployment (`npm run deploy`): the RealtimeApi construct,
 * configured from CDK context (lib/stack-config.ts), and its URLs and names
 * as stack outputs.
 */
export class RealtimeStack extends Stack {
  readonly realtime: RealtimeApi;

  constructor(scope: Construct, id: string, props: RealtimeStackProps) {
    super(scope, id, props);
    // `Default` is left out of logical ids: the resources keep the ids they
    // had before the construct existed, so an existing deployment updates in
    // place rather than replacing its table.
    this.realtime = new RealtimeApi(this, 'Default', {
      auth: constructAuth(props.auth),
      stage: props.stage,
      removalPolicy: props.removalPolicy,
      throttling: { burstLimit: props.throttlingBurstLimit, rateLimit: props.throttlingRateLimit },
      logLevel: props.logLevel,
      tracing: props.tracing,
      apiGatewayCloudWatchRole: props.apiGatewayCloudWatchRole,
      ...(props.largeRooms === undefined ? {} : { largeRooms: props.largeRooms }),
      ...(props.alarmEmail === undefined ? {} : { alarmEmail: props.alarmEmail }),
      ...(props.eventSource === undefined ? {} : { publishEventSource: props.eventSource }),
      ...(props.eventsOut ? { eventsOut: {} } : {}),
    });
    const realtime = this.realtime;

    new CfnOutput(this, 'WebSocketUrl', { value: realtime.webSocketUrl, description: 'Clients connect here: wss://…?token=<JWT>' });
    new CfnOutput(this, 'ManagementApiUrl', {
      value: realtime.callbackUrl,
      description: 'Management API (@connections) callback URL: MANAGEMENT_ENDPOINT',
    });
    new CfnOutput(this, 'PublishUrl', { value: realtime.publishUrl, description: 'POST a publish request, SigV4-signed (service execute-api)' });
    new CfnOutput(this, 'StatsUrl', { value: realtime.statsUrl, description: 'GET connection and room counts, SigV4-signed' });
    new CfnOutput(this, 'AdminApiInvokeArn', {
      value: realtime.publishApiInvokeArn,
      description: 'Resource for the execute-api:Invoke permission a caller of the admin API needs',
    });
    new CfnOutput(this, 'TableName', { value: realtime.table.tableName });
    new CfnOutput(this, 'PublishDeadLetterQueueUrl', { value: realtime.publishDeadLetterQueue.queueUrl, description: 'Publish events that failed' });
    if (realtime.alarms.topic !== undefined) new CfnOutput(this, 'AlarmTopicArn', { value: realtime.alarms.topic.topicArn });
  }
}

/** The context's key source, as the construct takes it (checked there again, by the same rules). */
function constructAuth(auth: AuthSettings | undefined): RealtimeApiAuth {
  if (auth === undefined) return undefined as unknown as RealtimeApiAuth;
  const { kind, ...settings } = auth;
  if (kind === 'jwks') return settings as RealtimeApiAuth;
  const { secretArn, ...claims } = settings as Omit<Extract<AuthSettings, { kind: 'secrets-manager' }>, 'kind'>;
  return { jwtSecretArn: secretArn, ...claims };
}
