import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamo } from '../../lambdas/core/clients.js';
import { logger, MAX_DATA_BYTES } from '../../lambdas/core/index.js';
import { keys } from '../../lambdas/core/table.js';
import { handler } from '../../lambdas/handlers/publish-event.js';
import { publishEventRule } from '../../lib/publish-event-rule.js';
import { lambdaContext } from '../support/events.js';
import { getItem } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

const SYSTEM = { userId: 'system', name: 'system' };

const opened: TestConnection[] = [];

afterEach(async () => {
  for (const conn of opened.splice(0)) await conn.disconnect();
  vi.restoreAllMocks();
});

async function open(userId: string): Promise<TestConnection> {
  const conn = await TestConnection.open(userId);
  opened.push(conn);
  return conn;
}

/** An event as EventBridge delivers it to the rule's target. */
function publishEvent(detail: unknown): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: `event-${Math.random().toString(36).slice(2)}`,
    'detail-type': publishEventRule.detailType,
    source: 'com.example.billing',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

describe('publish over EventBridge', () => {
  it('publishes a room message, numbered and stored like POST /publish', async () => {
    const member = await open('eve');
    await member.send({ action: 'joinRoom', room: 'events' });
    member.received();

    const outcome = await handler(publishEvent({ room: 'events', data: { invoice: 42 } }), lambdaContext);

    expect(outcome).toEqual({ status: 'published', result: { id: expect.any(String), seq: 1, delivered: 1, gone: 0, failed: 0 } });
    expect(member.received()).toEqual([
      expect.objectContaining({ type: 'message', room: 'events', seq: 1, from: SYSTEM, data: { invoice: 42 } }),
    ]);
    expect(await getItem(keys.roomMessage('events', 1))).toBeDefined();
  });

  it('publishes an event delivered twice (same id) once, answering the repeat with the first outcome', async () => {
    const member = await open('twice');
    await member.send({ action: 'joinRoom', room: 'once-only' });
    member.received();
    const event = publishEvent({ room: 'once-only', data: 'exactly once' });

    const first = await handler(event, lambdaContext);
    const again = await handler(event, lambdaContext);

    expect(again).toEqual(first);
    expect(member.received()).toHaveLength(1);
    expect(await getItem(keys.roomSequence('once-only'))).toMatchObject({ seq: 1 });
  });

  it('reaches every device of a user, and everyone with broadcast', async () => {
    const phone = await open('fay');
    const laptop = await open('fay');
    const other = await open('gus');

    const toUser = await handler(publishEvent({ userId: 'fay', data: 'for fay' }));
    const toAll = await handler(publishEvent({ broadcast: true, data: 'for all' }));

    expect(toUser).toMatchObject({ status: 'published', result: { delivered: 2 } });
    expect(toAll).toMatchObject({ status: 'published', result: { delivered: 3 } });
    for (const device of [phone, laptop]) expect(device.received().map((frame) => 'data' in frame && frame.data)).toEqual(['for fay', 'for all']);
    expect(other.received().map((frame) => 'data' in frame && frame.data)).toEqual(['for all']);
  });

  it.each([
    ['no detail', undefined, 'BAD_REQUEST', /expected object/],
    ['two targets', { room: 'dropped', userId: 'u', data: 1 }, 'BAD_REQUEST', /exactly one of room, userId or broadcast/],
    ['a bad room name', { room: 'no spaces', data: 1 }, 'BAD_REQUEST', /^room: /],
    ['no data', { room: 'dropped' }, 'BAD_REQUEST', /^data: is required$/],
    ['data over 16 KiB', { room: 'dropped', data: 'x'.repeat(MAX_DATA_BYTES) }, 'PAYLOAD_TOO_LARGE', /^data: /],
  ])('drops an event with %s: logged, not thrown, nothing stored', async (_what, detail, code, reason) => {
    const warned = vi.spyOn(logger, 'warn');

    const outcome = await handler(publishEvent(detail), lambdaContext);

    expect(outcome).toEqual({ status: 'dropped', code, reason: expect.stringMatching(reason) });
    expect(warned).toHaveBeenCalledWith('publish event dropped', { code, reason: expect.stringMatching(reason) });
    expect(await getItem(keys.roomSequence('dropped'))).toBeUndefined();
  });

  it('does not log the dropped detail itself, which may be large or private', async () => {
    const warned = vi.spyOn(logger, 'warn');
    await handler(publishEvent({ room: 'dropped', userId: 'u', data: 'secret-payload' }));
    expect(JSON.stringify(warned.mock.calls)).not.toContain('secret-payload');
  });

  it('throws when publishing fails for another reason, so Lambda retries and then dead-letters it', async () => {
    const dynamoMock = mockClient(dynamo);
    try {
      dynamoMock.on(UpdateCommand).rejects(new Error('table on fire'));
      await expect(handler(publishEvent({ room: 'burning', data: 1 }), lambdaContext)).rejects.toThrow('table on fire');
    } finally {
      dynamoMock.restore();
    }
  });
});
