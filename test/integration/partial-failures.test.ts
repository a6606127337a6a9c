/**
 * One step of a multi-write operation fails — DynamoDB throttles, a call
 * never returns, a post gets no answer — while the other steps run for real
 * against DynamoDB Local. After each: the caller gets INTERNAL with a request
 * id (never a silent drop), no membership is half written, no `seq` is used
 * twice, a send retried with its `clientMsgId` reaches nobody twice, and the
 * table is sound (checked after every test here, not only at the end).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import { injectDynamoFault, keyOfCall, throttled } from '../support/dynamo-faults.js';
import { settledViolations } from '../support/invariants.js';
import { managementApi } from '../support/management-api.js';
import { connectionItems, getItem } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

// A post with no answer is abandoned after half a second (5 s deployed), so a stalled post is quick to test.
vi.hoisted(() => {
  process.env.POST_TIMEOUT_MS = '500';
});

const table = localDynamoDbClient(process.env.DYNAMODB_ENDPOINT as string);

afterEach(async () => {
  vi.restoreAllMocks();
  const violations = await settledViolations(table, process.env.TABLE_NAME as string, 5_000);
  if (violations.length > 0) throw new Error(`the table is not sound after this test:\n  ${violations.join('\n  ')}`);
});

const internalError = (extra: Record<string, unknown>) => ({
  type: 'error',
  code: 'INTERNAL',
  message: expect.stringMatching(/internal error; quote request/),
  requestId: expect.any(String),
  ...extra,
});

async function room(name: string, users: string[]): Promise<TestConnection[]> {
  const members: TestConnection[] = [];
  for (const user of users) {
    const member = await TestConnection.open(user);
    await member.send({ action: 'joinRoom', room: name });
    members.push(member);
  }
  for (const member of members) member.received();
  return members;
}

const messagesOf = (member: TestConnection) => member.received().filter((frame) => frame.type === 'message');

describe('joinRoom', () => {
  it('failing after the membership is written answers INTERNAL, leaves record and membership agreeing, and a retry joins', async () => {
    const conn = await TestConnection.open('half-joiner');
    injectDynamoFault((name, input) => name === 'GetCommand' && keyOfCall(input) === 'ROOM#half-join|SEQ', throttled());

    expect(await conn.send({ action: 'joinRoom', room: 'half-join' })).toEqual(internalError({ action: 'joinRoom', room: 'half-join' }));
    vi.restoreAllMocks();

    const { connection, memberships } = await connectionItems(conn.connectionId, 'half-joiner', ['half-join']);
    expect(connection?.rooms).toEqual(new Set(['half-join']));
    expect(memberships).toHaveLength(1);
    expect(await conn.send({ action: 'joinRoom', room: 'half-join' })).toMatchObject({
      type: 'joined',
      members: [{ userId: 'half-joiner' }],
    });
  });
});

describe('leaveRoom', () => {
  it('whose transaction fails answers INTERNAL and stays a member in both records; a retry leaves', async () => {
    const [leaver, stayer] = await room('half-leave', ['leaver', 'stayer']);
    injectDynamoFault((name, input) => name === 'TransactWriteCommand' && JSON.stringify(input).includes('DELETE rooms'), throttled());

    expect(await leaver?.send({ action: 'leaveRoom', room: 'half-leave' })).toEqual(internalError({ action: 'leaveRoom', room: 'half-leave' }));
    vi.restoreAllMocks();

    expect(await connectionItems(leaver?.connectionId ?? '', 'leaver', ['half-leave'])).toMatchObject({
      connection: { rooms: new Set(['half-leave']) },
      memberships: [expect.anything()],
    });
    expect(stayer?.received()).toEqual([]);
    expect(await leaver?.send({ action: 'leaveRoom', room: 'half-leave' })).toEqual({ type: 'left', room: 'half-leave' });
    expect(stayer?.received()).toEqual([expect.objectContaining({ type: 'user_left', user: { userId: 'leaver', name: 'leaver' } })]);
  });
});

describe('a purge of a gone connection', () => {
  it('that fails leaves all of its items and none half deleted, the send is still acked, and the next post purges it', async () => {
    const [sender, vanished] = await room('half-purge', ['purge-sender', 'vanished']);
    managementApi.markGone(vanished?.connectionId ?? '');
    injectDynamoFault((name, input) => name === 'TransactWriteCommand' && JSON.stringify(input).includes('"Delete"'), throttled());

    expect(await sender?.send({ action: 'sendMessage', room: 'half-purge', data: 'one' })).toMatchObject({ type: 'ack' });
    vi.restoreAllMocks();

    const left = await connectionItems(vanished?.connectionId ?? '', 'vanished', ['half-purge']);
    expect(left.connection).toBeDefined();
    expect(left.userLink).toBeDefined();
    expect(left.memberships).toHaveLength(1);

    expect(await sender?.send({ action: 'sendMessage', room: 'half-purge', data: 'two' })).toMatchObject({ type: 'ack' });
    expect(await connectionItems(vanished?.connectionId ?? '', 'vanished', ['half-purge'])).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
  });
});

describe('sendMessage', () => {
  it('failing after its seq is taken answers INTERNAL; the retry takes a new seq and is delivered once, the old one stays a gap', async () => {
    const [sender, reader] = await room('seq-gap', ['gap-sender', 'gap-reader']);
    injectDynamoFault((name, input) => name === 'PutCommand' && keyOfCall(input).startsWith('USER#gap-sender|SENT#'), throttled());
    const frame = { action: 'sendMessage', room: 'seq-gap', data: 'once', clientMsgId: 'k-gap' };

    expect(await sender?.send(frame)).toEqual(internalError({ action: 'sendMessage', room: 'seq-gap', clientMsgId: 'k-gap' }));
    vi.restoreAllMocks();
    expect(reader?.received()).toEqual([]);

    const ack = await sender?.send(frame);
    expect(ack).toMatchObject({ type: 'ack', clientMsgId: 'k-gap', seq: 2 });
    expect(messagesOf(reader as TestConnection)).toEqual([expect.objectContaining({ data: 'once', seq: 2 })]);
    expect(await getItem(keys.roomMessage('seq-gap', 1))).toBeUndefined();
    const history = await reader?.send({ action: 'history', room: 'seq-gap', afterSeq: 0 });
    expect(history).toMatchObject({ messages: [{ data: 'once', seq: 2 }] });
  });

  it('whose history write fails answers INTERNAL after delivering; the retry is acked with the same id and seq and delivered to nobody again', async () => {
    const [sender, reader] = await room('history-fails', ['hf-sender', 'hf-reader']);
    injectDynamoFault((name, input) => name === 'PutCommand' && keyOfCall(input).startsWith('ROOM#history-fails|MSG#'), throttled());
    const frame = { action: 'sendMessage', room: 'history-fails', data: 'stored late', clientMsgId: 'k-hf' };

    expect(await sender?.send(frame)).toEqual(internalError({ action: 'sendMessage', room: 'history-fails', clientMsgId: 'k-hf' }));
    vi.restoreAllMocks();
    const [delivered] = messagesOf(reader as TestConnection);
    expect(delivered).toMatchObject({ data: 'stored late', seq: 1 });

    expect(await sender?.send(frame)).toEqual({ type: 'ack', clientMsgId: 'k-hf', id: delivered?.id, seq: 1 });
    expect(reader?.received()).toEqual([]);
    expect(await reader?.send({ action: 'history', room: 'history-fails', afterSeq: 0 })).toMatchObject({
      messages: [{ id: delivered?.id, seq: 1 }],
    });
  });

  it('whose function dies halfway through the fan-out (no answer at all) is, once retried, acked with the same id and seq and delivered to nobody twice', async () => {
    const [sender, reached, missed] = await room('killed-fan-out', ['kf-sender', 'kf-reached', 'kf-missed']);
    // The posts to one member fail, and the history write never returns: the
    // function is stuck mid-operation, as one killed by its timeout would be.
    managementApi.fail(missed?.connectionId ?? '', { status: 500, errorType: 'InternalServerErrorException' }, 100);
    injectDynamoFault((name, input) => name === 'PutCommand' && keyOfCall(input).startsWith('ROOM#killed-fan-out|MSG#'), 'hang');
    const frame = { action: 'sendMessage', room: 'killed-fan-out', data: 'half delivered', clientMsgId: 'k-kill' };

    const abandoned = sender?.send(frame);
    await vi.waitFor(() => expect(managementApi.attemptsFor(missed?.connectionId ?? '')).toBe(4));
    const [first] = messagesOf(reached as TestConnection);
    expect(first).toMatchObject({ data: 'half delivered', seq: 1 });
    vi.restoreAllMocks();
    managementApi.reset();

    // The client, having no answer, sends again with the same clientMsgId.
    expect(await sender?.send(frame)).toEqual({ type: 'ack', clientMsgId: 'k-kill', id: first?.id, seq: 1 });
    expect(reached?.received()).toEqual([]);
    expect(missed?.received()).toEqual([]);
    // The member the dead function missed finds it in history (the SDK asks when it sees the next seq).
    expect(await missed?.send({ action: 'history', room: 'killed-fan-out', afterSeq: 0 })).toMatchObject({
      messages: [{ id: first?.id, seq: 1, data: 'half delivered' }],
    });
    void abandoned;
  });
});

describe('a post that gets no answer', () => {
  it('is abandoned after POST_TIMEOUT_MS and tried again, and the message is delivered', async () => {
    const [sender, slow] = await room('stalled-post', ['sp-sender', 'sp-slow']);
    managementApi.stall(slow?.connectionId ?? '', 1);

    expect(await sender?.send({ action: 'sendMessage', room: 'stalled-post', data: 'after a stall' })).toMatchObject({ type: 'ack' });

    expect(managementApi.attemptsFor(slow?.connectionId ?? '')).toBe(2);
    expect(messagesOf(slow as TestConnection)).toEqual([expect.objectContaining({ data: 'after a stall' })]);
  });
});
