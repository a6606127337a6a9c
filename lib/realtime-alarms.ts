import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface RealtimeAlarmsProps {
  /** Every function, by a short name used in the alarm's id and description. */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  readonly table: dynamodb.ITable;
  /** The WebSocket API's id and stage name: the dimensions of its AWS/ApiGateway metrics. */
  readonly webSocket: { readonly apiId: string; readonly stageName: string };
  /** The admin HTTP API's server-error (5xx) metric. */
  readonly adminServerErrors: cloudwatch.IMetric;
  /** The publish events' dead-letter queue: anything in it is a lost publish. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The fan-out queue's dead letters: batches of a large room that workers could not deliver. */
  readonly fanOutDeadLetterQueue: sqs.IQueue;
  /** Notified by every alarm and its recovery. @default - alarms only, no notification, unless alarmEmail is given */
  readonly alarmTopic?: sns.ITopic;
  /** Subscribed to a new topic every alarm notifies (not with alarmTopic). @default - no topic */
  readonly alarmEmail?: string;
}

/** How long a window every alarm looks at. */
const PERIOD = Duration.minutes(5);

/**
 * The DynamoDB operations the functions perform (see the table grant,
 * TABLE_ACTIONS in realtime-api.ts). A metric-math alarm takes at most 10
 * metrics, and CDK's default list of every operation is longer, so the list
 * is explicit.
 */
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.BATCH_GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
];

/**
 * Alarms that page on anything that is never supposed to happen: one error
 * or throttle in five minutes is already worth a look at this scale.
 * Missing data (no traffic) is not breaching.
 */
export class RealtimeAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The topic alarms notify: the one given, or the one made for alarmEmail. */
  readonly topic: sns.ITopic | undefined;

  constructor(scope: Construct, id: string, props: RealtimeAlarmsProps) {
    super(scope, id);

    for (const [name, fn] of props.functions) {
      this.atLeastOne(`${name}-errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), `${name}: invocations that threw or timed out`);
      this.atLeastOne(`${name}-throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), `${name}: invocations throttled (account or function concurrency exhausted)`);
    }

    this.atLeastOne(
      'table-system-errors',
      props.table.metricSystemErrorsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }),
      'DynamoDB answered 500 to requests on the table',
    );
    this.atLeastOne(
      'table-throttled-requests',
      props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD }),
      'DynamoDB throttled requests on the table (on-demand limits or a hot partition)',
    );

    const webSocketMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.webSocket.apiId, Stage: props.webSocket.stageName },
        statistic: 'Sum',
        period: PERIOD,
      });
    // WebSocket APIs publish no 5xx metric: these two are their server-side failures.
    this.atLeastOne('websocket-integration-errors', webSocketMetric('IntegrationError'), 'WebSocket API: a route function failed or answered an error');
    this.atLeastOne('websocket-execution-errors', webSocketMetric('ExecutionError'), 'WebSocket API: API Gateway failed to run a route');
    this.atLeastOne('admin-api-5xx', props.adminServerErrors, 'Admin API (POST /publish, GET /stats) answered 5xx');
    this.atLeastOne(
      'publish-dead-letters',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      'Publish events that could not be delivered to or processed by the publish-event function',
    );
    this.atLeastOne(
      'fan-out-dead-letters',
      props.fanOutDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      'Large-room fan-out batches that the fan-out worker failed on maxReceiveCount times',
    );

    if (props.alarmEmail !== undefined) {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'Realtime alarms', enforceSSL: true });
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      this.topic = topic;
    } else {
      this.topic = props.alarmTopic;
    }
    if (this.topic !== undefined) {
      const action = new SnsAction(this.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  private atLeastOne(id: string, metric: cloudwatch.IMetric, description: string): void {
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }),
    );
  }
}
