/**
 * X-Ray, as a traced deployment sends it: a function built as deployed, with
 * the variables CDK gives it when `tracing` is on and those Lambda sets for a
 * sampled invocation, sends its segments to a stand-in X-Ray daemon (a UDP
 * socket, as the daemon is). What arrives is what the X-Ray console would show.
 */
import { createSocket, type Socket } from 'node:dgram';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions, type DeploymentValues } from '../../lib/function-definitions.js';
import { LARGE_ROOM_DEFAULTS } from '../../lambdas/core/large-room-defaults.js';
import { PROJECT_ROOT } from '../../lib/realtime-stack.js';
import { IsolatedFunctions } from '../../local/lambda/function-invoker.js';
import { messageEvent } from '../support/events.js';

interface XRayDocument {
  readonly name: string;
  readonly trace_id: string;
  readonly namespace?: string;
  readonly aws?: { readonly operation?: string; readonly table_name?: string };
  readonly annotations?: Record<string, unknown>;
}

const TRACE_ROOT = '1-67890abc-0123456789abcdef01234567';

function deploymentValues(tracing: boolean): DeploymentValues {
  return {
    tableName: process.env.TABLE_NAME as string,
    callbackUrl: 'https://example.invalid/dev',
    fanOutQueueUrl: 'https://example.invalid/queue',
    authorizerEnvironment: {},
    limitEnvironment: {},
    largeRooms: LARGE_ROOM_DEFAULTS,
    logLevel: 'SILENT',
    tracing,
  };
}

/** Runs the deployed `ping` function once, as configured with `tracing`, and gives what the daemon received. */
async function pingTraced(tracing: boolean): Promise<XRayDocument[]> {
  const daemon: Socket = createSocket('udp4');
  const received: XRayDocument[] = [];
  // A daemon datagram is a header line, then the segment document.
  daemon.on('message', (datagram) => received.push(JSON.parse(datagram.toString('utf8').split('\n')[1] ?? '{}') as XRayDocument));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const functions = new IsolatedFunctions({
    definitions: functionDefinitions(deploymentValues(tracing)),
    projectRoot: PROJECT_ROOT,
    region: 'us-east-1',
    localVariables: {
      AWS_ENDPOINT_URL_DYNAMODB: process.env.DYNAMODB_ENDPOINT as string,
      POWERTOOLS_METRICS_DISABLED: 'true',
      // What Lambda sets in a traced function for a sampled invocation.
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=0123456789abcdef;Sampled=1`,
    },
  });
  try {
    const answer = await functions.invoke<{ body?: string }>('ping', 'lambdas/handlers/ping.ts', messageEvent('tracing-unknown', 'ping', '{"action":"ping"}'));
    // The connection is unknown: the frame is refused after the table was read, which is the call to see traced.
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ type: 'error' });
    // UDP: give the datagrams a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return received;
  } finally {
    await functions.stop();
    daemon.close();
  }
}

describe('X-Ray tracing', () => {
  let traced: XRayDocument[];
  let untraced: XRayDocument[];

  beforeAll(async () => {
    [traced, untraced] = [await pingTraced(true), await pingTraced(false)];
  }, 120_000);

  it('on: the handler is a subsegment of the invocation’s trace, annotated with its cold start', () => {
    const handler = traced.find((document) => document.name === '## index.handler');
    expect(handler).toMatchObject({ trace_id: TRACE_ROOT, annotations: { ColdStart: true, Service: 'realtime' } });
  });

  it('on: each DynamoDB call the function made is a subsegment naming its operation and table', () => {
    const dynamoCalls = traced.filter((document) => document.name === 'DynamoDB');
    expect(dynamoCalls.length).toBeGreaterThan(0);
    for (const call of dynamoCalls) {
      expect(call).toMatchObject({ trace_id: TRACE_ROOT, namespace: 'aws', aws: { table_name: process.env.TABLE_NAME } });
    }
  });

  it('off (the default): nothing is sent, though Lambda’s variables are the same', () => {
    expect(untraced).toEqual([]);
  });
});
