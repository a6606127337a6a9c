import { describe, expect, it } from 'vitest';
import { MAX_DATA_BYTES, serverFrameSchema, type ServerFrame } from '../../lambdas/core/index.js';
import { keys, roomPartition } from '../../lambdas/core/table.js';
import { managementApi } from '../support/management-api.js';
import { connectionItems, deleteItem, getItem, partitionItems } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

async function roomOf(room: string, ...users: string[]): Promise<TestConnection[]> {
  const conns: TestConnection[] = [];
  for (const user of users) {
    const conn = await TestConnection.open(user, { name: user.toUpperCase() });
    await conn.send({ action: 'joinRoom', room });
    conns.push(conn);
  }
  for (const conn of conns) conn.received();
  return conns;
}

function onlyMessages(frames: ServerFrame[]) {
  return frames.filter((frame) => frame.type === 'message');
}

describe('sendMessage to a room', () => {
  it('acks the sender with id and seq, and delivers a message frame to everyone else in the room', async () => {
    const [ann, ben, cy] = await roomOf('chat', 'ann', 'ben', 'cy');

    const ack = await ann?.send({ action: 'sendMessage', room: 'chat', data: { text: 'hi' }, clientMsgId: 'm-1' });

    expect(ack).toEqual({ type: 'ack', clientMsgId: 'm-1', id: expect.any(String), seq: 1 });
    for (const other of [ben, cy]) {
      const frames = other?.received() ?? [];
      expect(frames).toEqual([
        {
          type: 'message',
          room: 'chat',
          id: ack?.type === 'ack' ? ack.id : '',
          seq: 1,
          from: { userId: 'ann', name: 'ANN' },
          data: { text: 'hi' },
          sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      ]);
      expect(serverFrameSchema.safeParse(frames[0]).success).toBe(true);
    }
    expect(ann?.received()).toEqual([]);
  });

  it('numbers the room strictly increasing, stores it, and replays it through history after a seq', async () => {
    const [dee, eli] = await roomOf('numbered', 'dee', 'eli');
    const seqs: number[] = [];
    for (const text of ['one', 'two', 'three']) {
      const ack = await dee?.send({ action: 'sendMessage', room: 'numbered', data: text });
      seqs.push(ack?.type === 'ack' ? (ack.seq ?? -1) : -1);
    }
    expect(seqs).toEqual([1, 2, 3]);

    const history = await eli?.send({ action: 'history', room: 'numbered', afterSeq: 1 });

    expect(history?.type).toBe('history');
    expect(history?.type === 'history' && history.messages.map((m) => [m.seq, m.data])).toEqual([
      [2, 'two'],
      [3, 'three'],
    ]);
    expect(history?.type === 'history' && history.messages).toEqual(
      onlyMessages(eli?.received() ?? []).filter((m) => (m.seq ?? 0) > 1),
    );
    expect(await eli?.send({ action: 'joinRoom', room: 'numbered' })).toMatchObject({ lastSeq: 3 });
  });

  it('treats a resend with the same clientMsgId as the first send: same ack, nothing posted or stored again', async () => {
    const [kay, lou] = await roomOf('resend', 'kay', 'lou');

    const first = await kay?.send({ action: 'sendMessage', room: 'resend', data: 'once', clientMsgId: 'k-1' });
    const again = await kay?.send({ action: 'sendMessage', room: 'resend', data: 'once', clientMsgId: 'k-1' });
    const other = await kay?.send({ action: 'sendMessage', room: 'resend', data: 'twice', clientMsgId: 'k-2' });

    expect(again).toEqual(first);
    expect(other).toMatchObject({ type: 'ack', clientMsgId: 'k-2' });
    expect(onlyMessages(lou?.received() ?? []).map((m) => m.data)).toEqual(['once', 'twice']);
    const history = await lou?.send({ action: 'history', room: 'resend', afterSeq: 0 });
    expect(history?.type === 'history' && history.messages.map((m) => m.data)).toEqual(['once', 'twice']);
    // Another user may use the same clientMsgId.
    const fromLou = await lou?.send({ action: 'sendMessage', room: 'resend', data: 'mine', clientMsgId: 'k-1' });
    expect(fromLou).toMatchObject({ type: 'ack' });
    expect(fromLou?.type === 'ack' && fromLou.id).not.toBe(first?.type === 'ack' && first.id);
  });

  it('repairs history on a resend when the first send stopped between its claim and its history write', async () => {
    const [may, ned] = await roomOf('half-sent', 'may', 'ned');
    const first = await may?.send({ action: 'sendMessage', room: 'half-sent', data: 'lost?', clientMsgId: 'm-1' });
    const seq = first?.type === 'ack' ? (first.seq ?? 0) : 0;
    // As if the function had stopped after the claim: the history item was never written.
    await deleteItem(keys.roomMessage('half-sent', seq));

    const again = await may?.send({ action: 'sendMessage', room: 'half-sent', data: 'lost?', clientMsgId: 'm-1' });

    expect(again).toEqual(first);
    const history = await ned?.send({ action: 'history', room: 'half-sent', afterSeq: 0 });
    expect(history?.type === 'history' && history.messages).toEqual([expect.objectContaining({ data: 'lost?', seq, id: first?.type === 'ack' && first.id })]);
  });

  it('gives concurrent senders distinct seqs', async () => {
    const senders = await roomOf('busy', 'fay', 'gus', 'hal', 'ida');
    const acks = await Promise.all(
      senders.flatMap((s) => [1, 2, 3].map((n) => s.send({ action: 'sendMessage', room: 'busy', data: n }))),
    );
    const seqs = acks.map((ack) => (ack?.type === 'ack' ? ack.seq : undefined)).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('answers NOT_IN_ROOM to a connection that has not joined the room, and stores nothing', async () => {
    await roomOf('closed-circle', 'jo');
    const outsider = await TestConnection.open('kai');

    const reply = await outsider.send({ action: 'sendMessage', room: 'closed-circle', data: 'hello?' });

    expect(reply).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM', action: 'sendMessage' });
    expect(await getItem(keys.roomSequence('closed-circle'))).toBeUndefined();
  });

  it('answers PAYLOAD_TOO_LARGE for data over 16 KiB, and neither stores nor numbers it', async () => {
    const [liv, max] = await roomOf('big', 'liv', 'max');
    // JSON-serialised: two quotes around the string.
    const atLimit = 'x'.repeat(MAX_DATA_BYTES - 2);

    const accepted = await liv?.send({ action: 'sendMessage', room: 'big', data: atLimit });
    const refused = await liv?.send({ action: 'sendMessage', room: 'big', data: `${atLimit}x` });

    expect(accepted).toMatchObject({ type: 'ack', seq: 1 });
    expect(refused).toMatchObject({ type: 'error', code: 'PAYLOAD_TOO_LARGE', action: 'sendMessage' });
    expect(onlyMessages(max?.received() ?? [])).toHaveLength(1);
    expect(await getItem(keys.roomSequence('big'))).toMatchObject({ seq: 1 });
  });

  it.each([
    ['both room and to', { room: 'x', to: 'y', data: 1 }, /exactly one of room, to or broadcast/],
    ['neither room nor to', { data: 1 }, /exactly one of room, to or broadcast/],
    ['no data', { room: 'x' }, /data/],
    ['an empty clientMsgId', { room: 'x', data: 1, clientMsgId: '' }, /clientMsgId/],
  ])('answers BAD_REQUEST for %s', async (_description, fields, message) => {
    const conn = await TestConnection.open('ned');
    const reply = await conn.send({ action: 'sendMessage', ...fields });
    expect(reply).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'sendMessage', message });
    await conn.disconnect();
  });
});

describe('error frames name the request they answer', () => {
  it('echoes the room and clientMsgId of a refused send, so a client with several sends in flight settles the right one', async () => {
    await roomOf('echo-room', 'oz');
    const outsider = await TestConnection.open('pax');

    const first = await outsider.send({ action: 'sendMessage', room: 'echo-room', data: 1, clientMsgId: 'm-1' });
    const second = await outsider.send({ action: 'sendMessage', room: 'echo-room', data: 2, clientMsgId: 'm-2' });

    expect(first).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM', room: 'echo-room', clientMsgId: 'm-1' });
    expect(second).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM', room: 'echo-room', clientMsgId: 'm-2' });
  });

  it('echoes them even when another field is what is wrong', async () => {
    const conn = await TestConnection.open('qiu');
    const reply = await conn.send({ action: 'sendMessage', room: 'r1', to: 'both', data: 1, clientMsgId: 'm-3' });
    expect(reply).toMatchObject({ type: 'error', code: 'BAD_REQUEST', room: 'r1', clientMsgId: 'm-3' });
  });

  it('leaves out values that are not a valid room or clientMsgId rather than echo them', async () => {
    const conn = await TestConnection.open('ray');
    const reply = await conn.send({ action: 'joinRoom', room: `bad room ${'x'.repeat(500)}`, clientMsgId: 7 });
    expect(reply).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: 'joinRoom' });
    expect(reply).not.toHaveProperty('room');
    expect(reply).not.toHaveProperty('clientMsgId');
  });

  it('names the room of a refused join, members, history and typing request', async () => {
    const conn = await TestConnection.open('sol');
    for (const action of ['members', 'history', 'typing', 'leaveRoom']) {
      const room = action === 'typing' || action === 'leaveRoom' ? 'not-joined' : 'private-vault';
      expect(await conn.send({ action, room })).toMatchObject({ type: 'error', action, room });
    }
  });
});

describe('sendMessage to a user', () => {
  it("reaches every device of the recipient, not the sender's, and is not stored", async () => {
    const sender = await TestConnection.open('oli', { name: 'Oli' });
    const phone = await TestConnection.open('pia');
    const laptop = await TestConnection.open('pia');

    const ack = await sender.send({ action: 'sendMessage', to: 'pia', data: { text: 'psst' }, clientMsgId: 'p-1' });

    expect(ack).toEqual({ type: 'ack', clientMsgId: 'p-1', id: expect.any(String) });
    const expected = {
      type: 'message',
      id: ack?.type === 'ack' ? ack.id : '',
      from: { userId: 'oli', name: 'Oli' },
      data: { text: 'psst' },
      sentAt: expect.any(String),
    };
    expect(phone.received()).toEqual([expected]);
    expect(laptop.received()).toEqual([expected]);
    expect(sender.received()).toEqual([]);
  });

  it('gives a resend with the same clientMsgId the same id, so the receiver can drop the copy', async () => {
    const sender = await TestConnection.open('val');
    const receiver = await TestConnection.open('wyn');

    const first = await sender.send({ action: 'sendMessage', to: 'wyn', data: 'once', clientMsgId: 'dm-1' });
    const again = await sender.send({ action: 'sendMessage', to: 'wyn', data: 'once', clientMsgId: 'dm-1' });
    const other = await sender.send({ action: 'sendMessage', to: 'wyn', data: 'twice', clientMsgId: 'dm-2' });
    const anonymous = await sender.send({ action: 'sendMessage', to: 'wyn', data: 'no id' });

    const ids = onlyMessages(receiver.received()).map((message) => message.id);
    expect(ids).toHaveLength(4);
    expect(ids[0]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(3);
    expect([first, again, other, anonymous].map((ack) => (ack?.type === 'ack' ? ack.id : undefined))).toEqual(ids);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers BAD_REQUEST when the user has no open connection', async () => {
    const sender = await TestConnection.open('quin');
    expect(await sender.send({ action: 'sendMessage', to: 'nobody-home', data: 1 })).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/nobody-home has no open connection/),
    });
  });

  it('purges a device that answers 410 and still delivers to the others', async () => {
    const sender = await TestConnection.open('rex');
    const live = await TestConnection.open('sue');
    const vanished = await TestConnection.open('sue');
    managementApi.markGone(vanished.connectionId);

    expect(await sender.send({ action: 'sendMessage', to: 'sue', data: 'still there?' })).toMatchObject({ type: 'ack' });

    expect(onlyMessages(live.received())).toHaveLength(1);
    expect(await connectionItems(vanished.connectionId, 'sue')).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
  });
});

describe('typing', () => {
  it('tells the others in the room, stores nothing and replies nothing', async () => {
    const [tom, uli] = await roomOf('typing-room', 'tom', 'uli');

    const reply = await tom?.send({ action: 'typing', room: 'typing-room' });

    expect(reply).toBeUndefined();
    expect(uli?.received()).toEqual([{ type: 'typing', room: 'typing-room', user: { userId: 'tom', name: 'TOM' } }]);
    expect(tom?.received()).toEqual([]);
    expect((await partitionItems(roomPartition('typing-room'))).map((item) => String(item.sk))).not.toContainEqual(
      expect.stringMatching(/^MSG#|^SEQ$/),
    );
  });

  it('answers NOT_IN_ROOM outside the room', async () => {
    const conn = await TestConnection.open('vic');
    expect(await conn.send({ action: 'typing', room: 'elsewhere' })).toMatchObject({ type: 'error', code: 'NOT_IN_ROOM' });
  });
});

describe('history', () => {
  it('fills one reply up to 120 KiB and lets the client page on after the last seq', async () => {
    const [writer, reader] = await roomOf('heavy', 'hal', 'ivy');
    for (let n = 1; n <= 12; n += 1) {
      await writer?.send({ action: 'sendMessage', room: 'heavy', data: { n, text: 'h'.repeat(15_000) } });
    }

    const first = await reader?.send({ action: 'history', room: 'heavy', afterSeq: 0 });
    const firstSeqs = first?.type === 'history' ? first.messages.map((m) => m.seq) : [];
    const last = firstSeqs.at(-1) ?? 0;
    const rest = await reader?.send({ action: 'history', room: 'heavy', afterSeq: last });
    const restSeqs = rest?.type === 'history' ? rest.messages.map((m) => m.seq) : [];

    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThanOrEqual(128 * 1024);
    expect(firstSeqs.length).toBeGreaterThan(0);
    expect(firstSeqs.length).toBeLessThan(12);
    expect([...firstSeqs, ...restSeqs]).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('is empty for a room without messages, and answers BAD_REQUEST for a bad afterSeq', async () => {
    const conn = await TestConnection.open('wes');
    expect(await conn.send({ action: 'history', room: 'quiet', afterSeq: 0 })).toEqual({
      type: 'history',
      room: 'quiet',
      messages: [],
    });
    expect(await conn.send({ action: 'history', room: 'quiet', afterSeq: -1 })).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^afterSeq: /),
    });
  });
});

describe('ping', () => {
  it('answers pong with the time', async () => {
    const conn = await TestConnection.open('xia');
    const before = Date.now();
    const reply = await conn.send({ action: 'ping' });
    expect(reply?.type).toBe('pong');
    expect(Date.parse(reply?.type === 'pong' ? reply.at : '')).toBeGreaterThanOrEqual(before - 1000);
  });
});
