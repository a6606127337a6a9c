/**
 * DynamoDB unreachable, through the local gateway with real sockets: a
 * stalled DynamoDB (the process frozen, its port still accepting) and a
 * stopped one (the port closed). Every frame is answered with INTERNAL and
 * its request id well within API Gateway's 29 s, a handshake is refused, the
 * log line names the DynamoDB call that failed, and once DynamoDB is back
 * the same sockets carry on.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lambdas/core/observability.js';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { afterTableCheck } from '../support/after-table-check.js';
import { connectAs, startLocalGateway, type SignedInClient } from '../support/local-gateway.js';
import { HandshakeRefused } from '../support/ws-client.js';

// A DynamoDB Local of this file's own, kept on disk so it can be stopped and
// started again with its data; short request timeouts so the test is quick.
const dynamoDb = await vi.hoisted(async () => {
  const { startDynamoDbLocal } = await import('../../local/dynamodb-local.js');
  const { freePort } = await import('../../local/ports.js');
  const { mkdtempSync: makeDir } = await import('node:fs');
  const { tmpdir: temp } = await import('node:os');
  const { join: joinPath } = await import('node:path');
  const dataDir = makeDir(joinPath(temp(), 'outage-'));
  const port = await freePort();
  const options = { port, persistDir: dataDir };
  let running = await startDynamoDbLocal(options);
  process.env.DYNAMODB_ENDPOINT = running.endpoint;
  process.env.DYNAMODB_TIMEOUT_MS = '500';
  return {
    dataDir,
    current: () => running,
    restart: async () => {
      running = await startDynamoDbLocal(options);
    },
  };
});
afterTableCheck(async () => {
  await dynamoDb.current().stop();
  rmSync(dynamoDb.dataDir, { recursive: true, force: true });
});

/** Answered well before API Gateway's 29 s integration timeout, or the test fails. */
const WELL_WITHIN_INTEGRATION_TIMEOUT_MS = 15_000;

let gateway: LocalGateway;
let alice: SignedInClient;
let bob: SignedInClient;

beforeAll(async () => {
  gateway = await startLocalGateway({ log: () => undefined });
  alice = await connectAs(gateway, 'alice');
  bob = await connectAs(gateway, 'bob');
  for (const { client } of [alice, bob]) await client.request({ action: 'joinRoom', room: 'outage' }, 'joined');
  await alice.client.nextOfType('user_joined');
});

afterAll(async () => {
  await Promise.all([alice.client.close(), bob.client.close()]);
  await gateway.stop();
});

const frames = [
  { action: 'sendMessage', room: 'outage', data: 'lost?', clientMsgId: 'during-outage' },
  { action: 'joinRoom', room: 'elsewhere' },
  { action: 'members', room: 'outage' },
  { action: 'ping' },
];

async function expectInternalForEveryFrame(client: SignedInClient): Promise<void> {
  const failures = vi.spyOn(logger, 'error');
  for (const frame of frames) {
    client.client.send(frame);
    const reply = await client.client.next((candidate) => candidate.type === 'error', WELL_WITHIN_INTEGRATION_TIMEOUT_MS);
    expect(reply).toEqual({
      type: 'error',
      code: 'INTERNAL',
      message: expect.stringMatching(/internal error/),
      requestId: expect.any(String),
      action: frame.action,
      ...('room' in frame ? { room: frame.room } : {}),
      ...('clientMsgId' in frame ? { clientMsgId: frame.clientMsgId } : {}),
    });
  }
  // Each failure is logged with the DynamoDB operation that failed.
  const logged = failures.mock.calls.filter(([line]) => line === 'request failed');
  expect(logged).toHaveLength(frames.length);
  for (const [, details] of logged) {
    expect(String((details as { error: Error }).error.message)).toMatch(/^DynamoDB \w+Command failed: /);
  }
  failures.mockRestore();
}

async function expectBackToWork(clientMsgId: string): Promise<void> {
  expect(await alice.client.request({ action: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
  const ack = await alice.client.request({ action: 'sendMessage', room: 'outage', data: clientMsgId, clientMsgId }, 'ack');
  expect(ack).toMatchObject({ type: 'ack', clientMsgId });
  expect(await bob.client.nextOfType('message')).toMatchObject({ data: clientMsgId, seq: (ack as { seq: number }).seq });
}

describe('DynamoDB stalled (the port accepts, nothing answers)', () => {
  it('answers every frame with INTERNAL and its request id, refuses a handshake with 500, and recovers', async () => {
    dynamoDb.current().pause();
    try {
      await expectInternalForEveryFrame(alice);
      await expect(connectAs(gateway, 'carol')).rejects.toEqual(new HandshakeRefused(500));
    } finally {
      dynamoDb.current().resume();
    }
    await expectBackToWork('after-the-stall');
    // Nothing the outage interrupted was delivered or stored: bob has only what came after.
    expect(bob.client.pending()).toEqual([]);
  });
});

describe('DynamoDB stopped (the port closed)', () => {
  it('answers every frame with INTERNAL and its request id, and the same sockets carry on once it is back', async () => {
    await dynamoDb.current().stop();
    try {
      await expectInternalForEveryFrame(alice);
      await expect(connectAs(gateway, 'dave')).rejects.toEqual(new HandshakeRefused(500));
    } finally {
      await dynamoDb.restart();
    }
    await expectBackToWork('after-the-restart');
  });
});
