/**
 * RealtimeApi in someone else's app: each prop's effect on the template, the
 * props it refuses at synth, and what it exposes to wire to. Synths skip
 * esbuild (the code is the same whatever the props; test/e2e/package.test.ts
 * synthesizes the installed package's bundles).
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { CONFIG_SETTINGS } from '../../lambdas/core/config-settings.js';
import { RealtimeApi, type RealtimeApiProps } from '../../lib/realtime-api.js';
import { StackConfigError } from '../../lib/stack-config.js';
import { JWKS, SECRET_ARN } from './synth.js';
import { actionsOf, allResources, environmentOf, nagViolations, resourcesOf, resourcesOfType, statementsOfFunction } from './template-helpers.js';

interface Built {
  readonly stack: Stack;
  readonly realtime: RealtimeApi;
  readonly template: Template;
}

function build(props: Partial<RealtimeApiProps> = {}, extend?: (stack: Stack, realtime: RealtimeApi) => void): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TheirApp');
  const realtime = new RealtimeApi(stack, 'Realtime', { auth: { jwtSecretArn: SECRET_ARN }, ...props });
  extend?.(stack, realtime);
  return { stack, realtime, template: Template.fromStack(stack) };
}

/** The logical id of the function the construct holds under this name. */
function functionId(built: Built, name: string): string {
  const fn = built.realtime.functions.get(name);
  if (fn === undefined) throw new Error(`no function ${name}`);
  return built.stack.getLogicalId(fn.function.node.defaultChild as never);
}

const POSTING_FUNCTIONS = ['$disconnect', '$default', 'joinRoom', 'leaveRoom', 'sendMessage', 'admin', 'publish-event', 'fan-out-worker'];

describe('eventsOut', () => {
  it('is off by default: no bus variable and no PutEvents anywhere', () => {
    const built = build();
    for (const name of built.realtime.functions.keys()) {
      expect(environmentOf(built.template, functionId(built, name))).not.toHaveProperty('EVENT_BUS_NAME');
      expect(statementsOfFunction(built.template, functionId(built, name)).flatMap(actionsOf)).not.toContain('events:PutEvents');
    }
    expect(built.realtime.eventsOutBus).toBeUndefined();
    expect(built.realtime.eventsOutSource).toBeUndefined();
  });

  it('puts on the default bus, with source "realtime", from every function that joins, leaves or removes connections', () => {
    const built = build({ eventsOut: {} });
    for (const name of POSTING_FUNCTIONS) {
      const id = functionId(built, name);
      expect(environmentOf(built.template, id)).toMatchObject({ EVENT_SOURCE: 'realtime' });
      const busArn = JSON.stringify(environmentOf(built.template, id).EVENT_BUS_NAME);
      expect(busArn).toMatch(/event-bus\/default/);
      const putEvents = statementsOfFunction(built.template, id).filter((statement) => actionsOf(statement).includes('events:PutEvents'));
      expect(putEvents.flatMap(resourcesOf).map((resource) => JSON.stringify(resource))).toEqual([busArn]);
    }
    // $connect joins nothing, and the authorizer touches no data.
    for (const name of ['$connect', 'authorizer']) {
      expect(environmentOf(built.template, functionId(built, name))).not.toHaveProperty('EVENT_BUS_NAME');
      expect(statementsOfFunction(built.template, functionId(built, name)).flatMap(actionsOf)).not.toContain('events:PutEvents');
    }
    expect(nagViolations(built.stack)).toEqual([]);
  });

  it('puts on a bus of the app with its own source, and lets the app route the events', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TheirApp');
    const bus = new events.EventBus(stack, 'Bus');
    const realtime = new RealtimeApi(stack, 'Realtime', { auth: { jwtSecretArn: SECRET_ARN }, eventsOut: { bus, source: 'chat.prod' } });
    new events.Rule(stack, 'Presence', { eventBus: bus, eventPattern: { source: [realtime.eventsOutSource ?? ''], detailType: ['realtime.user.joined'] } });
    const template = Template.fromStack(stack);
    const joinRoom = stack.getLogicalId(realtime.functions.get('joinRoom')?.function.node.defaultChild as never);
    const busId = stack.getLogicalId(bus.node.defaultChild as never);
    expect(environmentOf(template, joinRoom)).toEqual(expect.objectContaining({ EVENT_BUS_NAME: { 'Fn::GetAtt': [busId, 'Arn'] }, EVENT_SOURCE: 'chat.prod' }));
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: busId }, EventPattern: { source: ['chat.prod'] } });
  });
});

describe('limits', () => {
  it('change only what they name, for every function, as the variables the code reads', () => {
    const built = build({ limits: { maxRoomsPerConnection: 10, historyRetention: Duration.hours(1), rateLimitWindow: Duration.minutes(1) } });
    for (const name of built.realtime.functions.keys()) {
      if (name === 'authorizer') continue;
      const environment = environmentOf(built.template, functionId(built, name));
      expect(environment).toMatchObject({ MAX_ROOMS_PER_CONNECTION: '10', HISTORY_TTL_SECONDS: '3600', RATE_LIMIT_WINDOW_SECONDS: '60' });
      // Left out: the code's own default applies (lambdas/core/config-settings.ts).
      expect(environment).not.toHaveProperty('MAX_CONNECTIONS_PER_USER');
      expect(environment).not.toHaveProperty('RATE_LIMIT_FRAMES');
    }
    expect(CONFIG_SETTINGS.maxConnectionsPerUser.default).toBe(5);
  });

  it.each([
    ['zero connections per user', { maxConnectionsPerUser: 0 }, /maxConnectionsPerUser must be a positive whole number, got 0/],
    ['a fraction of a frame', { rateLimitFrames: 2.5 }, /rateLimitFrames must be a positive whole number, got 2.5/],
    ['a history kept for no time', { historyRetention: Duration.seconds(0) }, /historyTtlSeconds must be a positive whole number, got 0/],
  ])('refuse %s', (_what, limits, message) => {
    expect(() => build({ limits })).toThrow(StackConfigError);
    expect(() => build({ limits })).toThrow(message);
  });
});

describe('auth', () => {
  it('refuses both key sources and neither, naming the props', () => {
    const both = { jwtSecretArn: SECRET_ARN, ...JWKS } as unknown as RealtimeApiProps['auth'];
    expect(() => build({ auth: both })).toThrow(/RealtimeApi auth.jwtSecretArn and RealtimeApi auth.jwksUrl are both set[\s\S]*auth: \{ jwksUrl/);
    expect(() => build({ auth: {} as RealtimeApiProps['auth'] })).toThrow(/no JWT verification configured[\s\S]*auth: \{ jwtSecretArn/);
    expect(() => build({ auth: { jwtSecretArn: 'my-secret' } })).toThrow(/RealtimeApi auth.jwtSecretArn must be a secret's complete ARN/);
    expect(() => build({ auth: { jwksUrl: JWKS.jwksUrl } as RealtimeApiProps['auth'] })).toThrow(/RealtimeApi auth.issuer is required/);
  });

  it("takes a secret of the app by its ARN, known only at deploy time, and grants the authorizer that secret", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TheirApp');
    const secret = new secretsmanager.Secret(stack, 'JwtSecret');
    const realtime = new RealtimeApi(stack, 'Realtime', { auth: { jwtSecretArn: secret.secretArn } });
    const template = Template.fromStack(stack);
    const authorizer = stack.getLogicalId(realtime.functions.get('authorizer')?.function.node.defaultChild as never);
    const secretId = stack.getLogicalId(secret.node.defaultChild as never);
    expect(environmentOf(template, authorizer)).toMatchObject({ JWT_SECRET_ARN: { Ref: secretId } });
    const reads = statementsOfFunction(template, authorizer).filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(reads.flatMap(resourcesOf)).toEqual([{ Ref: secretId }]);
  });
});

describe('alarms', () => {
  it('notify a topic of the app, alarm and recovery', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TheirApp');
    const topic = new sns.Topic(stack, 'OnCall');
    const realtime = new RealtimeApi(stack, 'Realtime', { auth: { jwtSecretArn: SECRET_ARN }, alarmTopic: topic });
    const template = Template.fromStack(stack);
    const topicId = stack.getLogicalId(topic.node.defaultChild as never);
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(realtime.alarms.alarms.length);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] });
    }
    expect(resourcesOfType(template, 'AWS::SNS::Topic')).toHaveLength(1);
  });

  it('refuse a topic and an email address at once', () => {
    const app = new App();
    const stack = new Stack(app, 'TheirApp');
    expect(() => new RealtimeApi(stack, 'Realtime', { auth: { jwtSecretArn: SECRET_ARN }, alarmTopic: new sns.Topic(stack, 'T'), alarmEmail: 'ops@example.com' })).toThrow(
      /give alarmTopic or alarmEmail, not both/,
    );
  });
});

describe('what it exposes', () => {
  it('retains its data by default, unlike the dev stage of the stand-alone stack', () => {
    const built = build();
    const [, table] = resourcesOfType(built.template, 'AWS::DynamoDB::Table')[0] ?? [];
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', Properties: { DeletionProtectionEnabled: true } });
    const destroyed = build({ removalPolicy: RemovalPolicy.DESTROY });
    expect(resourcesOfType(destroyed.template, 'AWS::DynamoDB::Table')[0]?.[1]).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  it('grants another function publishing, and gives it the URL publish() reads', () => {
    const built = build({}, (stack, realtime) => {
      const role = new iam.Role(stack, 'Notifier', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      realtime.grantPublish(role);
    });
    const roleId = Object.entries(allResources(built.template)).find(([id, resource]) => resource.Type === 'AWS::IAM::Role' && id.startsWith('Notifier'))?.[0];
    const policy = resourcesOfType(built.template, 'AWS::IAM::Policy').find(([, resource]) => JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]));
    const statements = (policy?.[1].Properties?.PolicyDocument as { Statement: { Action: string; Resource: unknown }[] }).Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toBe('execute-api:Invoke');
    expect(built.stack.resolve(statements[0]?.Resource)).toEqual(built.stack.resolve(built.realtime.publishApiInvokeArn));
    expect(Object.keys(built.realtime.publisherEnvironment)).toEqual(['REALTIME_PUBLISH_URL']);
    expect(JSON.stringify(built.stack.resolve(built.realtime.publisherEnvironment.REALTIME_PUBLISH_URL))).toMatch(/publish/);
  });

  it('refuses a stage name API Gateway would not take, and an alarm address SNS could not subscribe', () => {
    expect(() => build({ stage: 'prod v2' })).toThrow(/RealtimeApi stage must be letters, digits/);
    expect(() => build({ alarmEmail: 'ops at example' })).toThrow(/RealtimeApi alarmEmail must be an email address, got "ops at example"/);
  });
});
