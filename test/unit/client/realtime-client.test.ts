/**
 * The client against a scripted server on real sockets: the orders, losses
 * and refusals the real backend produces only by chance, made to happen.
 */
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealtimeError} from '../../../client/index.js';
import { RealtimeClient, type RealtimeClientOptions, type StateChange } from '../../../client/index.js';
import type { MessageFrame } from '../../../lambdas/core/protocol.js';
import { roomMessage, ScriptedServer } from '../../support/scripted-server.js';

/** An unsigned JWT: the scripted server does not verify, the client only reads `exp`. */
function fakeToken(claims: Record<string, unknown> = {}): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ sub: 'tester', exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.signature`;
}

let server: ScriptedServer;
let client: RealtimeClient;
let delivered: MessageFrame[];
let states: StateChange[];
let errors: RealtimeError[];

function start(options: Partial<RealtimeClientOptions> = {}): RealtimeClient {
  client = new RealtimeClient({
    url: server.url,
    getToken: () => fakeToken(),
    reconnect: { baseMs: 50, capMs: 200 },
    gapWaitMs: 200,
    ...options,
  });
  client.on('message', (message) => delivered.push(message));
  client.on('state', (change) => states.push(change));
  client.on('error', (error) => errors.push(error));
  return client;
}

/** Connects and joins `room` at `lastSeq` on the scripted server's first connection. */
async function joinedClient(room: string, lastSeq = 0, options: Partial<RealtimeClientOptions> = {}) {
  start(options);
  await client.connect();
  const connection = await server.connection(0);
  const joined = client.join(room);
  await connection.acceptJoin(room, lastSeq);
  await joined;
  return connection;
}

const seqs = () => delivered.map((message) => message.seq);

beforeEach(async () => {
  server = await ScriptedServer.start();
  delivered = [];
  states = [];
  errors = [];
});
afterEach(async () => {
  client.close();
  await server.stop();
});

describe('RealtimeClient ordering', () => {
  it('holds a message that arrives ahead of a missing seq and delivers both in order when the missing one comes', async () => {
    const connection = await joinedClient('r', 1);

    connection.send(roomMessage('r', 3));
    connection.send(roomMessage('r', 2));

    await vi.waitFor(() => expect(seqs()).toEqual([2, 3]));
    expect(connection.received.filter((frame) => frame.action === 'history')).toEqual([]);
  });

  it('reads a gap that does not fill by itself from history, then delivers what waited', async () => {
    const connection = await joinedClient('r', 1);

    connection.send(roomMessage('r', 4));
    const request = await connection.next('history');
    expect(request).toEqual({ action: 'history', room: 'r', afterSeq: 1 });
    connection.send({ type: 'history', room: 'r', messages: [roomMessage('r', 2), roomMessage('r', 3), roomMessage('r', 4)] });
    const more = await connection.next('history');
    expect(more).toEqual({ action: 'history', room: 'r', afterSeq: 4 });
    connection.send({ type: 'history', room: 'r', messages: [] });

    await vi.waitFor(() => expect(seqs()).toEqual([2, 3, 4]));
  });

  it('skips a seq that history does not have, and still delivers it once should it turn up late', async () => {
    const connection = await joinedClient('r', 0);

    connection.send(roomMessage('r', 2));
    await connection.next('history');
    connection.send({ type: 'history', room: 'r', messages: [roomMessage('r', 2)] });
    await connection.next('history');
    connection.send({ type: 'history', room: 'r', messages: [] });
    await vi.waitFor(() => expect(seqs()).toEqual([2]));

    connection.send(roomMessage('r', 1));
    connection.send(roomMessage('r', 1));
    connection.send(roomMessage('r', 3));
    await vi.waitFor(() => expect(seqs()).toEqual([2, 1, 3]));
  });

  it('delivers a message sent twice only once', async () => {
    const connection = await joinedClient('r', 0);
    for (const seq of [1, 1, 2, 1, 2]) connection.send(roomMessage('r', seq));
    connection.send(roomMessage('r', 3));
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2, 3]));
  });

  it("moves past its own send's seq without fetching it, so a later message is not held up", async () => {
    const connection = await joinedClient('r', 0);

    const sent = client.send('r', 'mine');
    const frame = await connection.next('sendMessage');
    connection.send(roomMessage('r', 2)); // someone else's, numbered after mine
    connection.send({ type: 'ack', clientMsgId: frame.clientMsgId, id: 'r-1', seq: 1 });
    await sent;

    await vi.waitFor(() => expect(seqs()).toEqual([2]));
    expect(connection.received.filter((candidate) => candidate.action === 'history')).toEqual([]);
  });

  it('does not hand the client its own message when a copy comes before the ack (a renewal overlaps two connections)', async () => {
    const connection = await joinedClient('r', 0);
    const sent = client.send('r', 'mine');
    const frame = await connection.next('sendMessage');

    connection.send({ ...roomMessage('r', 1, 'mine'), id: 'mine-1', from: { userId: 'tester', name: 'Tester' } });
    connection.send(roomMessage('r', 2, 'theirs'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seqs()).toEqual([]);
    connection.send({ type: 'ack', clientMsgId: frame.clientMsgId, id: 'mine-1', seq: 1 });
    await sent;

    await vi.waitFor(() => expect(delivered.map((message) => message.data)).toEqual(['theirs']));
  });
});

describe('RealtimeClient sends', () => {
  it('resends a send whose ack was lost with the connection, with the same clientMsgId, and resolves with the ack', async () => {
    const first = await joinedClient('r', 0);
    const sent = client.send('r', { text: 'hello' });
    const original = await first.next('sendMessage');
    first.drop();

    const second = await server.connection(1);
    await second.acceptJoin('r', 1);
    const resent = await second.next('sendMessage');
    expect(resent).toEqual(original);
    second.send({ type: 'ack', clientMsgId: resent.clientMsgId, id: 'm-1', seq: 1 });

    expect(await sent).toEqual({ type: 'ack', clientMsgId: original.clientMsgId, id: 'm-1', seq: 1 });
    expect(original.clientMsgId).toEqual(expect.any(String));
  });

  it('sends in order, one at a time, each after the previous ack', async () => {
    const connection = await joinedClient('r', 0);
    const acks = ['a', 'b', 'c'].map((text) => client.send('r', text));

    for (let seq = 1; seq <= 3; seq += 1) {
      const frame = await connection.next('sendMessage');
      expect(connection.received.filter((candidate) => candidate.action === 'sendMessage')).toHaveLength(seq);
      connection.send({ type: 'ack', clientMsgId: frame.clientMsgId, id: `id-${seq}`, seq });
    }

    expect((await Promise.all(acks)).map((ack) => ack.seq)).toEqual([1, 2, 3]);
    expect(connection.received.filter((frame) => frame.action === 'sendMessage').map((frame) => frame.data)).toEqual(['a', 'b', 'c']);
  });

  it('waits retryAfterMs after RATE_LIMITED, then sends the same frame again', async () => {
    const connection = await joinedClient('r', 0);
    const sent = client.send('r', 'patient');
    const first = await connection.next('sendMessage');
    const refusedAt = Date.now();
    connection.send({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', requestId: 'q', action: 'sendMessage', room: 'r', clientMsgId: first.clientMsgId, retryAfterMs: 300 });

    const again = await connection.next('sendMessage');
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(290);
    expect(again).toEqual(first);
    connection.send({ type: 'ack', clientMsgId: first.clientMsgId, id: 'x', seq: 1 });
    await expect(sent).resolves.toMatchObject({ seq: 1 });
  });

  it('settles each of several requests in flight with its own reply, whatever order the replies come in', async () => {
    const connection = await joinedClient('r', 0);
    const [members, history] = [client.members('r'), client.history('r', 0)];
    await connection.next('members');
    await connection.next('history');

    connection.send({ type: 'history', room: 'r', messages: [] });
    connection.send({ type: 'error', code: 'FORBIDDEN', message: 'no', requestId: 'q', action: 'members', room: 'r' });

    await expect(history).resolves.toEqual([]);
    await expect(members).rejects.toMatchObject({ code: 'FORBIDDEN', room: 'r' });
  });

  it('sends a request refused with reconnect: true again on a new connection instead of failing it', async () => {
    const first = await joinedClient('r', 0);
    const members = client.members('r');
    await first.next('members');
    first.send({ type: 'error', code: 'FORBIDDEN', message: 'this connection is not registered', requestId: 'q', action: 'members', room: 'r', reconnect: true });

    const second = await server.connection(1);
    await second.acceptJoin('r', 0);
    await second.next('members');
    second.send({ type: 'members', room: 'r', members: [{ userId: 'tester', name: 'T', connections: 1 }] });

    await expect(members).resolves.toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('waits for a connection that is closing to end before sending on the next, rather than spinning on it', async () => {
    const sockets: WebSocket[] = [];
    let closingReads = 0;
    const readyState = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'readyState')?.get;
    class CountingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
        // A client that retries while the socket says CLOSING reads this in a loop that never yields;
        // past a bound it throws, so the test fails instead of hanging the worker.
        Object.defineProperty(this, 'readyState', {
          get: () => {
            const state = readyState?.call(this) as number;
            if (state === WebSocket.CLOSING && ++closingReads > 10_000) throw new Error('spinning on a closing connection');
            return state;
          },
        });
      }
    }
    await joinedClient('r', 0, { WebSocket: CountingWebSocket });

    // CLOSING at once, and its close event comes only on a later turn of the event loop
    // (as after the server's close frame, until the close handshake completes).
    sockets[0]?.terminate();
    const sent = client.send('r', 'sent while the connection closes');

    const second = await server.connection(1);
    await second.acceptJoin('r', 0);
    const frame = await second.next('sendMessage');
    second.send({ type: 'ack', clientMsgId: frame.clientMsgId, id: 'm-1', seq: 1 });
    await expect(sent).resolves.toMatchObject({ id: 'm-1', seq: 1 });
    expect(closingReads).toBeLessThan(100);
  });
});

describe('RealtimeClient connection', () => {
  it('replaces a connection whose pong does not come', async () => {
    const first = await joinedClient('r', 0, { heartbeat: { intervalMs: 100, timeoutMs: 100 } });
    await first.next('ping'); // never answered

    const second = await server.connection(1);
    await second.acceptJoin('r', 0);
    await vi.waitFor(() => expect(client.state).toBe('open'));
    expect(states.find((change) => change.state === 'reconnecting')?.reason).toMatch(/no pong/);
    await first.closed;
  });

  it('rejoins every room after a reconnect, and starts a room again when its counter went back', async () => {
    const first = await joinedClient('r', 0);
    first.send(roomMessage('r', 1));
    first.send(roomMessage('r', 2));
    await vi.waitFor(() => expect(seqs()).toEqual([1, 2]));
    first.drop();

    // A fresh backend: the room's counter stands at 1, below the 2 this client saw.
    const second = await server.connection(1);
    await second.acceptJoin('r', 1);
    expect(await second.next('history')).toEqual({ action: 'history', room: 'r', afterSeq: 0 });
    second.send({ type: 'history', room: 'r', messages: [{ ...roomMessage('r', 1, 'after restart'), id: 'new-1' }] });
    await second.next('history');
    second.send({ type: 'history', room: 'r', messages: [] });

    await vi.waitFor(() => expect(delivered.map((message) => message.data)).toEqual(['m1', 'm2', 'after restart']));
  });

  it('takes a fresh token for every attempt', async () => {
    let issued = 0;
    start({ getToken: () => fakeToken({ n: (issued += 1) }) });
    await client.connect();
    (await server.connection(0)).drop();
    const second = await server.connection(1);
    expect(issued).toBe(2);
    expect(JSON.parse(Buffer.from(second.token.split('.')[1] ?? '', 'base64url').toString())).toMatchObject({ n: 2 });
  });

  it('keeps backing off from refusals it may outlive, saying why in the state', async () => {
    server.refuse(500, 429);
    start();
    await client.connect();
    const reconnects = states.filter((change) => change.state === 'reconnecting');
    expect(reconnects.map((change) => change.reason)).toEqual([
      expect.stringMatching(/HTTP 500/),
      expect.stringMatching(/HTTP 429/),
    ]);
  });

  it('stops at a 401 and reports it', async () => {
    server.refuse(401);
    start();
    await expect(client.connect()).rejects.toMatchObject({ code: 'HANDSHAKE_REFUSED', status: 401 });
    expect(client.state).toBe('closed');
    expect(errors.map((error) => error.code)).toEqual(['HANDSHAKE_REFUSED']);
  });

  it('sends typing at most once per typingIntervalMs per room, however often it is called', async () => {
    const connection = await joinedClient('r', 0, { typingIntervalMs: 150 });
    for (let i = 0; i < 10; i += 1) client.typing('r');
    client.typing('not-joined');
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.typing('r');
    await vi.waitFor(() => expect(connection.received.filter((frame) => frame.action === 'typing')).toHaveLength(2));
    expect(connection.received.filter((frame) => frame.action === 'typing').map((frame) => frame.room)).toEqual(['r', 'r']);
  });

  it('gives up on a getToken that never answers and tries again, rather than stalling', async () => {
    let calls = 0;
    start({ connectTimeoutMs: 100, getToken: () => (++calls === 1 ? new Promise<string>(() => undefined) : fakeToken()) });
    await client.connect();
    expect(calls).toBe(2);
    expect(states.find((change) => change.state === 'reconnecting')?.reason).toMatch(/getToken took longer than 100 ms/);
  });

  it('reports a failure of API Gateway itself (a frame without a type) as an INTERNAL error', async () => {
    const connection = await joinedClient('r', 0);
    connection.send({ message: 'Internal server error', connectionId: 'c', requestId: 'req-9' });
    await vi.waitFor(() => expect(errors).toEqual([expect.objectContaining({ code: 'INTERNAL', requestId: 'req-9' })]));
  });

  it('answers calls made while closed with CLOSED, and bad input with BAD_REQUEST, without sending anything', async () => {
    start();
    await expect(client.join('r')).rejects.toMatchObject({ code: 'CLOSED' });
    await client.connect();
    await expect(client.join('has space')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.send('r', undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.send('r', 1, { clientMsgId: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.sendTo('', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.history('r', -1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(client.send('r', 'é'.repeat(8_192))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(client.leave('never-joined')).rejects.toMatchObject({ code: 'NOT_IN_ROOM' });
    expect((await server.connection(0)).received).toEqual([]);
  });

  it('gives up on a handshake that never completes (a silent server) and retries, without crashing the process', async () => {
    const silent = createServer(() => undefined); // accepts TCP, never answers the upgrade
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as { port: number };
    start({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 100, reconnect: { baseMs: 10, capMs: 20, maxAttempts: 2 } });

    await expect(client.connect()).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    expect(states.find((change) => change.state === 'reconnecting')?.reason).toMatch(/no answer to the handshake within 100 ms$/);
    silent.close();
  });

  it('closes a connection still being set up when close() comes, and nothing from it reaches the next session', async () => {
    const first = await joinedClient('r', 0);
    first.drop();
    const second = await server.connection(1);
    await second.next('joinRoom'); // never answered
    client.close();
    await second.closed;

    await client.connect();
    const third = await server.connection(2);
    const joined = client.join('r');
    await third.acceptJoin('r', 5);
    await joined;
    expect(client.lastSeq('r')).toBe(5);
  });

  it('joins again after a join, a leave and a join in quick succession', async () => {
    start();
    await client.connect();
    const connection = await server.connection(0);
    const first = client.join('r');
    const leaving = client.leave('r');
    const again = client.join('r');
    await connection.acceptJoin('r', 0);
    await connection.next('leaveRoom');
    connection.send({ type: 'left', room: 'r' });
    await connection.acceptJoin('r', 0);
    await expect(Promise.all([first, leaving, again])).resolves.toEqual([expect.objectContaining({ type: 'joined' }), undefined, expect.objectContaining({ type: 'joined' })]);
  });

  it('does not renew in a loop when the local clock is ahead of the issuer: it counts the token life from iat', async () => {
    const issuerNow = Math.floor(Date.now() / 1000) - 20 * 60; // the issuer's clock is 20 minutes behind
    start({ getToken: () => fakeToken({ iat: issuerNow, exp: issuerNow + 15 * 60 }) });
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(server.connections).toHaveLength(1);
  });
});

describe('RealtimeClient renewal', () => {
  /** A token that needs renewing about `lifetimeS` × 3/4 seconds in. */
  const shortToken = (lifetimeS: number) => () => fakeToken({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + lifetimeS });

  it('opens the next connection and joins every room on it before closing the old one, then reads each room from history once', async () => {
    const first = await joinedClient('r', 0, { getToken: shortToken(2) });
    const second = await server.connection(1);
    expect(first.socket.readyState).toBe(1); // still open: make before break
    await second.acceptJoin('r', 0);
    await first.closed;
    expect(await second.next('history')).toEqual({ action: 'history', room: 'r', afterSeq: 0 });
    expect(states.map((change) => change.state)).toEqual(['connecting', 'open']);
  });

  it('leaves a room on the connection being set up as well as on the current one', async () => {
    start({ getToken: shortToken(2) });
    await client.connect();
    const first = await server.connection(0);
    for (const room of ['r', 'r2']) {
      const joined = client.join(room);
      await first.acceptJoin(room, 0);
      await joined;
    }
    const second = await server.connection(1);
    await second.acceptJoin('r', 0);
    await second.next('joinRoom', (frame) => frame.room === 'r2'); // held: the renewal is not done

    const leaving = client.leave('r');
    await first.next('leaveRoom');
    first.send({ type: 'left', room: 'r' });
    await leaving;
    expect(await second.next('leaveRoom')).toEqual({ action: 'leaveRoom', room: 'r' });
  });
});

describe('RealtimeClient input', () => {
  it('refuses a URL that is not ws:// or wss://', () => {
    expect(() => new RealtimeClient({ url: 'http://example.com', getToken: () => 't' })).toThrow(/ws:\/\/ or wss:\/\//);
  });
});
