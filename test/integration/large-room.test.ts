import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { publish } from '../../lambdas/core/index.js';
import { keys } from '../../lambdas/core/table.js';
import { managementApi } from '../support/management-api.js';
import { getItem } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

// Small numbers, the same code: rooms over 4 connections go through the queue,
// 3 ids per batch, 2 workers. Started before any handler module reads its configuration.
const { queue } = await vi.hoisted(async () => {
  Object.assign(process.env, { LARGE_ROOM_THRESHOLD: '4', FANOUT_BATCH_SIZE: '3', FANOUT_WORKERS: '2', FANOUT_POST_RATE: '1000' });
  const { startFanOutQueue } = await import('../../local/fan-out-queue.js');
  return { queue: await startFanOutQueue() };
});
afterAll(() => queue.stop());

async function roomOf(room: string, size: number): Promise<TestConnection[]> {
  const members: TestConnection[] = [];
  for (let i = 0; i < size; i += 1) {
    const member = await TestConnection.open(`${room}-user-${i}`);
    await member.send({ action: 'joinRoom', room });
    members.push(member);
  }
  await queue.idle();
  for (const member of members) member.received();
  return members;
}

const messagesIn = (member: TestConnection | undefined) => (member?.received() ?? []).filter((frame) => frame.type === 'message');

describe('a room over LARGE_ROOM_THRESHOLD', () => {
  it('is delivered through the queue in batches: every other member once, the sender acked, history stored', async () => {
    const [sender, ...others] = await roomOf('big', 10);
    const sentBefore = queue.sent;

    const ack = await sender?.send({ action: 'sendMessage', room: 'big', data: 'to all', clientMsgId: 'b-1' });
    await queue.idle();

    expect(ack).toMatchObject({ type: 'ack', clientMsgId: 'b-1', seq: 1 });
    // 9 recipients in batches of 3.
    expect(queue.sent - sentBefore).toBe(3);
    for (const member of others) expect(messagesIn(member)).toEqual([expect.objectContaining({ data: 'to all', seq: 1, room: 'big' })]);
    expect(messagesIn(sender)).toEqual([]);
    expect(await getItem(keys.roomMessage('big', 1))).toBeDefined();
  });

  it('announces no presence: a join, a typing notice and a leave post nothing to the room', async () => {
    const members = await roomOf('quiet', 6);
    const newcomer = await TestConnection.open('quiet-newcomer');
    const sentBefore = queue.sent;

    await newcomer.send({ action: 'joinRoom', room: 'quiet' });
    await newcomer.send({ action: 'typing', room: 'quiet' });
    await newcomer.send({ action: 'leaveRoom', room: 'quiet' });
    await queue.idle();

    expect(queue.sent).toBe(sentBefore);
    for (const member of members) expect(member.received()).toEqual([]);
  });

  it('purges a connection that answers 410 from a worker, and delivers to the rest', async () => {
    const [sender, gone, ...others] = await roomOf('big-gone', 7);
    managementApi.markGone(gone?.connectionId ?? '');

    await sender?.send({ action: 'sendMessage', room: 'big-gone', data: 'still here?' });
    await queue.idle();

    for (const member of others) expect(messagesIn(member)).toHaveLength(1);
    expect(await getItem(keys.connection(gone?.connectionId ?? ''))).toBeUndefined();
    expect(await getItem(keys.membership('big-gone', gone?.connectionId ?? ''))).toBeUndefined();
  });

  it('queues again only the posts that failed after their retries, so nobody gets the message twice', async () => {
    const [sender, throttled, ...others] = await roomOf('big-busy', 7);
    // Four 429s use up one batch attempt's retries (POST_MAX_ATTEMPTS); the fifth attempt, re-queued, succeeds.
    managementApi.throttle(throttled?.connectionId ?? '', 4);
    const attemptsBefore = managementApi.attemptsFor(throttled?.connectionId ?? '');

    await sender?.send({ action: 'sendMessage', room: 'big-busy', data: 'eventually' });
    await queue.idle();

    expect(messagesIn(throttled)).toEqual([expect.objectContaining({ data: 'eventually' })]);
    expect(managementApi.attemptsFor(throttled?.connectionId ?? '') - attemptsBefore).toBe(5);
    for (const member of others) expect(messagesIn(member)).toHaveLength(1);
    expect(queue.deadLetters).toEqual([]);
  });

  it('publishes to a large room through the queue too, and says how', async () => {
    const members = await roomOf('big-publish', 8);

    const result = await publish({ room: 'big-publish', data: 'from the backend' });
    await queue.idle();

    expect(result).toMatchObject({ delivered: 0, queued: { connections: 8, batches: 3 } });
    for (const member of members) expect(messagesIn(member)).toEqual([expect.objectContaining({ data: 'from the backend' })]);
  });
});

describe('the fan-out queue', () => {
  it('moves a message that is not a batch to the dead letters after maxReceiveCount deliveries', async () => {
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: queue.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const before = queue.invocations;

    await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: '{"not":"a batch"}' }));
    await queue.idle();

    expect(queue.deadLetters).toEqual([expect.objectContaining({ body: '{"not":"a batch"}' })]);
    expect(queue.invocations - before).toBe(3);
    sqs.destroy();
  });

  it('refuses a queue URL it does not serve with QueueDoesNotExist', async () => {
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: queue.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

    const error = await sqs
      .send(new SendMessageCommand({ QueueUrl: `${queue.endpoint}/000000000000/other`, MessageBody: 'x' }))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'QueueDoesNotExist' });
    sqs.destroy();
  });
});
