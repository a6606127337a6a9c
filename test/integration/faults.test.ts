import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamo } from '../../lambdas/core/clients.js';
import { metrics } from '../../lambdas/core/observability.js';
import { keys } from '../../lambdas/core/table.js';
import { throttled } from '../support/dynamo-faults.js';
import { managementApi } from '../support/management-api.js';
import { connectionItems, getItem } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

const dynamoMock = mockClient(dynamo);

afterEach(() => {
  dynamoMock.reset();
});

async function joinAll(room: string, users: string[]): Promise<TestConnection[]> {
  const conns: TestConnection[] = [];
  for (const user of users) {
    const conn = await TestConnection.open(user);
    await conn.send({ action: 'joinRoom', room });
    conns.push(conn);
  }
  return conns;
}

describe('a post answered 410 Gone', () => {
  it('purges that connection and all its memberships, while the others still get the message', async () => {
    dynamoMock.restore();
    const [sender, alive, gone, alsoGone] = await joinAll('fanout-410', ['s1', 'a1', 'g1', 'g2']);
    await gone?.send({ action: 'joinRoom', room: 'second-room' });
    const goneIds = [gone?.connectionId, alsoGone?.connectionId];
    managementApi.reset();
    managementApi.markGone(gone?.connectionId ?? '');
    // Some gone answers arrive without the modelled name: the status alone must do.
    managementApi.markGone(alsoGone?.connectionId ?? '', { unnamed: true });

    const ack = await sender?.send({ action: 'sendMessage', room: 'fanout-410', data: 'hello' });

    expect(ack).toMatchObject({ type: 'ack', seq: 1 });
    const [message, ...departures] = managementApi.framesFor(alive?.connectionId ?? '');
    expect(message).toMatchObject({ type: 'message', data: 'hello' });
    // Both purged before either departure is announced, so both counts are 2;
    // their order follows the room's partition order, which is the ids'.
    expect(departures).toHaveLength(2);
    expect(departures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'user_left', user: { userId: 'g1', name: 'g1' }, count: 2 }),
        expect.objectContaining({ type: 'user_left', user: { userId: 'g2', name: 'g2' }, count: 2 }),
      ]),
    );
    expect(await connectionItems(gone?.connectionId ?? '', 'g1', ['fanout-410', 'second-room'])).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
    expect(await connectionItems(alsoGone?.connectionId ?? '', 'g2', ['fanout-410'])).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
    // Each gone connection was tried once and never again once purged.
    for (const id of goneIds) expect(managementApi.attemptsFor(id ?? '')).toBe(1);
    const members = await sender?.send({ action: 'members', room: 'fanout-410' });
    expect(members).toMatchObject({ members: [{ userId: 'a1' }, { userId: 's1' }] });
  });

  it("announces a user's departure once when both of their devices turn out gone", async () => {
    dynamoMock.restore();
    const [watcher, phone, laptop] = await joinAll('two-devices', ['w9', 'carol', 'carol']);
    managementApi.markGone(phone?.connectionId ?? '');
    managementApi.markGone(laptop?.connectionId ?? '');
    watcher?.received();

    await watcher?.send({ action: 'sendMessage', room: 'two-devices', data: 'anyone?' });
    // The watcher is the sender here; it hears the departures.
    const departures = (watcher?.received() ?? []).filter((frame) => frame.type === 'user_left');

    expect(departures).toEqual([{ type: 'user_left', room: 'two-devices', user: { userId: 'carol', name: 'carol' }, count: 1 }]);
  });
});

describe('a post answered 429', () => {
  it('is retried with backoff by the SDK and delivered when the gateway recovers (real HTTP)', async () => {
    dynamoMock.restore();
    const [sender, slow] = await joinAll('fanout-429', ['s2', 'slow']);
    managementApi.reset();
    managementApi.throttle(slow?.connectionId ?? '', 2);

    const ack = await sender?.send({ action: 'sendMessage', room: 'fanout-429', data: 'eventually' });

    expect(ack).toMatchObject({ type: 'ack' });
    expect(managementApi.attemptsFor(slow?.connectionId ?? '')).toBe(3);
    expect(slow?.received()).toEqual([expect.objectContaining({ type: 'message', data: 'eventually' })]);
  });

  it('that persists is given up on after POST_MAX_ATTEMPTS without purging the connection, and the others are served', async () => {
    dynamoMock.restore();
    const [sender, throttled, fine] = await joinAll('fanout-429-persist', ['s3', 't3', 'f3']);
    managementApi.reset();
    managementApi.throttle(throttled?.connectionId ?? '', 100);

    const ack = await sender?.send({ action: 'sendMessage', room: 'fanout-429-persist', data: 'busy' });

    expect(ack).toMatchObject({ type: 'ack' });
    expect(managementApi.attemptsFor(throttled?.connectionId ?? '')).toBe(4);
    expect(managementApi.framesFor(fine?.connectionId ?? '')).toEqual([expect.objectContaining({ data: 'busy' })]);
    expect(await getItem(keys.connection(throttled?.connectionId ?? ''))).toBeDefined();
    expect(await getItem(keys.membership('fanout-429-persist', throttled?.connectionId ?? ''))).toBeDefined();
  });
});

describe('a post answered 5xx or 413', () => {
  it('retries a 500 and delivers when the gateway recovers', async () => {
    dynamoMock.restore();
    const [sender, flaky] = await joinAll('fanout-500', ['s4', 'flaky']);
    managementApi.reset();
    managementApi.fail(flaky?.connectionId ?? '', { status: 500, errorType: 'InternalServerErrorException' }, 1);

    await sender?.send({ action: 'sendMessage', room: 'fanout-500', data: 'after a 500' });

    expect(managementApi.attemptsFor(flaky?.connectionId ?? '')).toBe(2);
    expect(managementApi.framesFor(flaky?.connectionId ?? '')).toEqual([expect.objectContaining({ data: 'after a 500' })]);
  });

  it('does not retry a 413 (the frame will not get smaller) and keeps the connection', async () => {
    dynamoMock.restore();
    const [sender, small] = await joinAll('fanout-413', ['s5', 'small']);
    managementApi.reset();
    managementApi.fail(small?.connectionId ?? '', { status: 413, errorType: 'PayloadTooLargeException' }, 100);

    const ack = await sender?.send({ action: 'sendMessage', room: 'fanout-413', data: 'too big for them' });

    expect(ack).toMatchObject({ type: 'ack' });
    expect(managementApi.attemptsFor(small?.connectionId ?? '')).toBe(1);
    expect(await getItem(keys.connection(small?.connectionId ?? ''))).toBeDefined();
  });
});

describe('DynamoDB throttling', () => {

  it('answers a message route with an INTERNAL error frame carrying the request id, and writes nothing', async () => {
    dynamoMock.restore();
    const conn = await TestConnection.open('throttled-user');
    const mock = mockClient(dynamo);
    mock.onAnyCommand().rejects(throttled());

    const reply = await conn.send({ action: 'joinRoom', room: 'throttled-room' });

    mock.restore();
    expect(reply).toEqual({
      type: 'error',
      code: 'INTERNAL',
      message: expect.stringMatching(/internal error/),
      requestId: expect.any(String),
      action: 'joinRoom',
      room: 'throttled-room',
    });
    expect(await getItem(keys.membership('throttled-room', conn.connectionId))).toBeUndefined();
  });

  it('refuses $connect with 500 and leaves $disconnect answering 200', async () => {
    dynamoMock.onAnyCommand().rejects(throttled());
    const conn = new TestConnection({ userId: 'throttled-2', name: 'x', allowedRooms: [], roles: [] });

    expect((await conn.connect()).statusCode).toBe(500);
    expect((await conn.disconnect()).statusCode).toBe(200);
    dynamoMock.restore();
    expect(await getItem(keys.connection(conn.connectionId))).toBeUndefined();
  });
});

describe('metrics', () => {
  it('counts messages, deliveries and purges of a fan-out that meets a gone connection', async () => {
    dynamoMock.restore();
    const recorded = vi.spyOn(metrics, 'addMetric');
    const [sender, alive, vanished] = await joinAll('metered', ['m1', 'm2', 'm3']);
    managementApi.markGone(vanished?.connectionId ?? '');
    alive?.received();
    recorded.mockClear();

    await sender?.send({ action: 'sendMessage', room: 'metered', data: 'counted' });

    const counts = recorded.mock.calls.map(([name, unit, value]) => [name, unit, value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['MessagesSent', 'Count', 1],
        ['FanOutRecipients', 'Count', 2],
        ['PostsDelivered', 'Count', 1],
        ['GoneConnectionsPurged', 'Count', 1],
      ]),
    );
    expect(alive?.received()).toEqual([
      expect.objectContaining({ data: 'counted' }),
      expect.objectContaining({ type: 'user_left', user: { userId: 'm3', name: 'm3' } }),
    ]);
    recorded.mockRestore();
  });
});
