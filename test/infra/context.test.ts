/**
 * Every context key: refused when wrong, and what it changes in the template.
 * These synths skip esbuild (see synth.ts): the template is what is checked.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, RealtimeStack, type RealtimeStackProps } from '../../lib/realtime-stack.js';
import { CONTEXT_SETTINGS, EXAMPLE_SECRET_ARN, readStackSettings, StackConfigError } from '../../lib/stack-config.js';
import { cdkJsonContext, JWKS, SECRET_ARN, synthesize, type Synthesized } from './synth.js';
import {
  actionsOf,
  environmentOf,
  nagViolations,
  props,
  referencedIdOfType,
  resourcesOfType,
  statementsOfFunction,
  type Resource,
} from './template-helpers.js';

const synthesized: Synthesized[] = [];
afterAll(() => synthesized.forEach((synth) => synth.cleanup()));

function synth(context: Record<string, unknown>): Synthesized {
  const result = synthesize(context);
  synthesized.push(result);
  return result;
}

/** readStackSettings over cdk.json's context plus these keys, as the CLI would merge them. */
function settings(context: Record<string, unknown>) {
  const merged: Record<string, unknown> = { ...cdkJsonContext, ...context };
  return readStackSettings((key) => merged[key]);
}

function authorizerId(result: Synthesized): string {
  const authorizer = resourcesOfType(result.template, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1];
  return referencedIdOfType(result.template, props(authorizer).AuthorizerUri, 'AWS::Lambda::Function');
}

describe('JWT verification settings', () => {
  it('refuses to build a stack without any, naming both ways to give one', () => {
    expect(() => settings({})).toThrow(StackConfigError);
    expect(() => settings({})).toThrow(/no JWT verification configured[\s\S]*-c jwtSecretArn=[\s\S]*-c jwksUrl=.*-c issuer=/);
    expect(() => synthesize({})).toThrow(/no JWT verification configured/);
  });

  it('falls back to the example secret only for `npm run synth` (exampleAuth) and only when nothing is given', () => {
    expect(settings({ exampleAuth: 'true' }).auth).toEqual({ kind: 'secrets-manager', secretArn: EXAMPLE_SECRET_ARN });
    expect(settings({ exampleAuth: 'true', jwtSecretArn: SECRET_ARN }).auth).toMatchObject({ secretArn: SECRET_ARN });
    expect(settings({ exampleAuth: 'true', ...JWKS }).auth).toMatchObject({ kind: 'jwks', jwksUrl: JWKS.jwksUrl });
    expect(() => settings({ exampleAuth: 'false' })).toThrow(/no JWT verification configured/);
  });

  it('refuses both a secret and a JWKS', () => {
    expect(() => settings({ jwtSecretArn: SECRET_ARN, ...JWKS })).toThrow(/context "jwtSecretArn" and context "jwksUrl" are both set/);
  });

  it.each([
    ['a partial secret ARN (no suffix)', { jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:realtime-jwt' }, /complete ARN/],
    ['a secret name instead of an ARN', { jwtSecretArn: 'realtime-jwt' }, /complete ARN/],
    ['a JWKS without an issuer', { jwksUrl: JWKS.jwksUrl }, /context "issuer" is required with context "jwksUrl"/],
    ['a JWKS over plain http', { jwksUrl: 'http://issuer.example.com/jwks.json', issuer: JWKS.issuer }, /https URL/],
    ['a JWKS URL that is no URL', { jwksUrl: 'issuer.example.com', issuer: JWKS.issuer }, /https URL/],
  ])('refuses %s', (_what, context, message) => {
    expect(() => settings(context)).toThrow(message);
  });

  it('cannot be left out by building the stack in code either', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { auth: _auth, ...rest } = settings({ jwtSecretArn: SECRET_ARN });
    expect(() => new RealtimeStack(app, 'NoAuth', rest as RealtimeStackProps)).toThrow(/no JWT verification configured/);
  });

  it('passes a JWKS, its issuer and audience to the authorizer, with no Secrets Manager access', () => {
    const result = synth({ ...JWKS, audience: 'realtime-clients' });
    const authorizer = authorizerId(result);
    expect(environmentOf(result.template, authorizer)).toMatchObject({
      JWT_JWKS_URL: JWKS.jwksUrl,
      JWT_ISSUER: JWKS.issuer,
      JWT_AUDIENCE: 'realtime-clients',
    });
    expect(environmentOf(result.template, authorizer)).not.toHaveProperty('JWT_SECRET_ARN');
    const actions = statementsOfFunction(result.template, authorizer).flatMap(actionsOf);
    expect(actions.filter((action) => !action.startsWith('logs:'))).toEqual([]);
    // No secret to read, so no Parameters and Secrets extension either.
    expect(resourcesOfType(result.template, 'AWS::Lambda::Function').filter(([, fn]) => props(fn).Layers !== undefined)).toEqual([]);
  });

  it('passes an issuer and audience in secret mode too', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, issuer: 'https://auth.example.com/', audience: 'app' });
    expect(environmentOf(result.template, authorizerId(result))).toEqual(
      expect.objectContaining({ JWT_SECRET_ARN: SECRET_ARN, JWT_ISSUER: 'https://auth.example.com/', JWT_AUDIENCE: 'app' }),
    );
  });
});

describe('stage and removal policy', () => {
  it('default to dev, which is deleted with the stack', () => {
    const defaults = settings({ jwtSecretArn: SECRET_ARN });
    expect(defaults).toMatchObject({ stage: 'dev', removalPolicy: RemovalPolicy.DESTROY });
    expect(readStackSettings((key) => (key === 'jwtSecretArn' ? SECRET_ARN : undefined))).toMatchObject({
      stage: CONTEXT_SETTINGS.stage.default,
      throttlingBurstLimit: CONTEXT_SETTINGS.throttlingBurstLimit.default,
      throttlingRateLimit: CONTEXT_SETTINGS.throttlingRateLimit.default,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  it('keep the data of any other stage: table and log groups retained, the table deletion-protected', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, stage: 'prod' });
    expect(result.stack.stackName).toBe('realtime-prod');
    const [, table] = resourcesOfType(result.template, 'AWS::DynamoDB::Table')[0] as [string, Resource];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(props(table).DeletionProtectionEnabled).toBe(true);
    const groups = resourcesOfType(result.template, 'AWS::Logs::LogGroup');
    expect(Object.fromEntries(groups.map(([id, group]) => [id, group.DeletionPolicy]))).toEqual(Object.fromEntries(groups.map(([id]) => [id, 'Retain'])));
    const [, stage] = resourcesOfType(result.template, 'AWS::ApiGatewayV2::Stage').find(([, candidate]) => props(candidate).StageName === 'prod') as [
      string,
      Resource,
    ];
    expect(stage).toBeDefined();
    const grants = resourcesOfType(result.template, 'AWS::IAM::Policy').flatMap(([, policy]) =>
      (props(policy).PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement.filter(
        (statement) => statement.Action === 'execute-api:ManageConnections',
      ),
    );
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) {
      expect(JSON.stringify(grant.Resource)).toContain('"/prod/POST/@connections/*"');
      expect(JSON.stringify(grant.Resource)).toContain('"/prod/DELETE/@connections/*"');
    }
  });

  it('follow removalPolicy when given', () => {
    expect(settings({ jwtSecretArn: SECRET_ARN, stage: 'prod', removalPolicy: 'destroy' }).removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(settings({ jwtSecretArn: SECRET_ARN, removalPolicy: 'retain' }).removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(() => settings({ jwtSecretArn: SECRET_ARN, removalPolicy: 'snapshot' })).toThrow(/"removalPolicy" must be "destroy" or "retain"/);
  });

  it('refuse a stage name API Gateway or CloudFormation would not take', () => {
    expect(() => settings({ jwtSecretArn: SECRET_ARN, stage: 'my stage' })).toThrow(/"stage" must be/);
    expect(() => settings({ jwtSecretArn: SECRET_ARN, stage: '$default' })).toThrow(/"stage" must be/);
  });
});

describe('other settings', () => {
  it('read throttling from -c strings as well as cdk.json numbers, and refuse non-numbers', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, throttlingBurstLimit: '50', throttlingRateLimit: '75' });
    result.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'dev',
      DefaultRouteSettings: { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 75 },
    });
    expect(() => settings({ jwtSecretArn: SECRET_ARN, throttlingRateLimit: 'lots' })).toThrow(/"throttlingRateLimit" must be a positive integer/);
    expect(() => settings({ jwtSecretArn: SECRET_ARN, throttlingBurstLimit: 0 })).toThrow(/positive integer/);
  });

  it('restrict the publish rule to eventSource when given', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, eventSource: 'com.example.billing' });
    const rules = resourcesOfType(result.template, 'AWS::Events::Rule');
    expect(rules.map(([, rule]) => props(rule).EventPattern)).toEqual([{ 'detail-type': ['realtime.publish'], source: ['com.example.billing'] }]);
  });

  it('put presence events on the default bus with eventsOut=true, and refuse anything but a boolean', () => {
    const functions = (result: Synthesized) => resourcesOfType(result.template, 'AWS::Lambda::Function').map(([id]) => id);
    const off = synth({ jwtSecretArn: SECRET_ARN });
    expect(functions(off).filter((id) => 'EVENT_BUS_NAME' in environmentOf(off.template, id))).toEqual([]);
    const on = synth({ jwtSecretArn: SECRET_ARN, eventsOut: 'true' });
    const putting = functions(on).filter((id) => 'EVENT_BUS_NAME' in environmentOf(on.template, id));
    // Every function but $connect and the authorizer (test/infra/construct.test.ts names them).
    expect(putting).toHaveLength(functions(on).length - 2);
    expect(() => settings({ jwtSecretArn: SECRET_ARN, eventsOut: 'yes' })).toThrow(/"eventsOut" must be true or false/);
  });

  it('send every alarm, and its recovery, to an email topic that only takes TLS when alarmEmail is given', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, alarmEmail: 'ops@example.com' });
    const topics = resourcesOfType(result.template, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const topicId = topics[0]?.[0] as string;
    result.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
    result.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    const alarms = resourcesOfType(result.template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    const actions = Object.fromEntries(alarms.map(([id, alarm]) => [id, { alarm: props(alarm).AlarmActions, ok: props(alarm).OKActions }]));
    expect(actions).toEqual(Object.fromEntries(alarms.map(([id]) => [id, { alarm: [{ Ref: topicId }], ok: [{ Ref: topicId }] }])));
    expect(() => settings({ jwtSecretArn: SECRET_ARN, alarmEmail: 'not-an-address' })).toThrow(/"alarmEmail" must be an email address/);
  });

  it('turn on X-Ray for every function with tracing, and their tracer (the authorizer has none)', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, tracing: 'true' });
    const functions = resourcesOfType(result.template, 'AWS::Lambda::Function');
    expect(Object.fromEntries(functions.map(([id, fn]) => [id, props(fn).TracingConfig]))).toEqual(
      Object.fromEntries(functions.map(([id]) => [id, { Mode: 'Active' }])),
    );
    const tracerOn = (template: typeof result.template) =>
      Object.fromEntries(functions.map(([id]) => [id, environmentOf(template, id).POWERTOOLS_TRACE_ENABLED]));
    const authorizer = functions.map(([id]) => id).find((id) => id.startsWith('AuthorizerFunction'));
    expect(tracerOn(result.template)).toEqual(Object.fromEntries(functions.map(([id]) => [id, id === authorizer ? undefined : 'true'])));
    // Off by default: Lambda still sets its trace variables, and the tracer must not act on them.
    expect(tracerOn(synth({ jwtSecretArn: SECRET_ARN }).template)).toEqual(
      Object.fromEntries(functions.map(([id]) => [id, id === authorizer ? undefined : 'false'])),
    );
    expect(nagViolations(result.app)).toEqual([]);
  });

  it('leave the account-level API Gateway role to someone else with apiGatewayCloudWatchRole=false', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, apiGatewayCloudWatchRole: 'false' });
    expect(resourcesOfType(result.template, 'AWS::ApiGateway::Account')).toEqual([]);
    expect(resourcesOfType(result.template, 'AWS::ApiGatewayV2::Stage').every(([, stage]) => stage.DependsOn === undefined)).toBe(true);
  });

  it('set the log level of every function, and refuse an unknown one', () => {
    const result = synth({ jwtSecretArn: SECRET_ARN, logLevel: 'debug' });
    const functions = resourcesOfType(result.template, 'AWS::Lambda::Function').map(([id]) => id);
    expect(Object.fromEntries(functions.map((id) => [id, environmentOf(result.template, id).POWERTOOLS_LOG_LEVEL]))).toEqual(
      Object.fromEntries(functions.map((id) => [id, 'DEBUG'])),
    );
    expect(() => settings({ jwtSecretArn: SECRET_ARN, logLevel: 'chatty' })).toThrow(/"logLevel" must be one of/);
  });

  it('pin the stack to an account and region only when both… or either is given', () => {
    expect(synth({ jwtSecretArn: SECRET_ARN }).stack.environment).toBe('aws://unknown-account/unknown-region');
    const pinned = synth({ jwtSecretArn: SECRET_ARN, account: '123456789012', region: 'eu-west-1' });
    expect(pinned.stack.environment).toBe('aws://123456789012/eu-west-1');
    expect(() => settings({ jwtSecretArn: SECRET_ARN, account: '1234' })).toThrow(/12-digit/);
  });

  it('keep every variant free of unacknowledged cdk-nag findings', () => {
    const result = synth({ ...JWKS, stage: 'prod', alarmEmail: 'ops@example.com', tracing: true, eventSource: 'com.example' });
    expect(nagViolations(result.app)).toEqual([]);
  });
});

describe('bin/app.ts', () => {
  it('exits 1 with the configuration message, not a stack trace, when JWT settings are missing', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bin/app.ts')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      // What the CDK CLI passes; cdk.json has no JWT setting.
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(cdkJsonContext), CDK_OUTDIR: path.join(tmpdir(), 'realtime-infra-bin-app') },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/realtime: no JWT verification configured/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
