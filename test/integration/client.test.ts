/**
 * The client SDK against the local stack: the real gateway, the real
 * handlers, DynamoDB Local and real sockets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RealtimeError, type StateChange } from '../../client/index.js';
import { mintDevToken } from '../../local/dev-token.js';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { startLocalGateway } from '../support/local-gateway.js';
import { dataIn, deleteConnection, sdkClient, type TestClient } from '../support/realtime-clients.js';
import { liveConnectionIds, testTable } from '../support/user-connections.js';
import { countAllItems } from '../support/table.js';

let gateway: LocalGateway;
const clients: TestClient[] = [];

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterEach(() => {
  for (const { client } of clients.splice(0)) client.close();
});
afterAll(() => gateway.stop());

function newClient(userId: string, options: Parameters<typeof sdkClient>[2] = {}): TestClient {
  const made = sdkClient(gateway.url, userId, options);
  clients.push(made);
  return made;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client whose first connection comes at once and whose next attempt
 * waits in getToken until the test calls release(): it stays down while the
 * test acts.
 */
function heldAfterFirstConnection(userId: string): TestClient & { release: () => void } {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  const made = newClient(userId, {
    getToken: async () => {
      if (!first) await released;
      first = false;
      return mintDevToken({ userId, name: userId.toUpperCase() });
    },
  });
  return { ...made, release };
}

describe('RealtimeClient', () => {
  it('connects, joins, and exchanges room messages, presence and typing', async () => {
    const ann = newClient('ann');
    const bob = newClient('bob');
    await Promise.all([ann.client.connect(), bob.client.connect()]);
    expect(ann.client.state).toBe('open');

    await ann.client.join('lobby');
    const joinedUsers: string[] = [];
    const typing: string[] = [];
    ann.client.on('user_joined', (event) => joinedUsers.push(event.user.userId));
    ann.client.on('typing', (event) => typing.push(event.user.userId));
    const joined = await bob.client.join('lobby');
    expect(joined.members.map((member) => member.userId).sort()).toEqual(['ann', 'bob']);

    const ack = await bob.client.send('lobby', { text: 'hi ann' });
    expect(ack).toMatchObject({ type: 'ack', seq: 1, clientMsgId: expect.any(String) });
    bob.client.typing('lobby');

    await vi.waitFor(() => expect(dataIn(ann.messages, 'lobby')).toEqual([{ text: 'hi ann' }]));
    await vi.waitFor(() => expect(typing).toEqual(['bob']));
    expect(joinedUsers).toEqual(['bob']);
    expect(ann.messages[0]).toMatchObject({ id: ack.id, seq: 1, from: { userId: 'bob', name: 'BOB' } });
    expect(bob.messages).toEqual([]); // the sender gets the ack, not its own message

    expect(await ann.client.members('lobby')).toEqual([
      { userId: 'ann', name: 'ANN', connections: 1 },
      { userId: 'bob', name: 'BOB', connections: 1 },
    ]);
    expect((await ann.client.history('lobby', 0)).map((message) => message.data)).toEqual([{ text: 'hi ann' }]);
  });

  it('delivers private messages and says who left', async () => {
    const cat = newClient('cat');
    const dan = newClient('dan');
    await Promise.all([cat.client.connect(), dan.client.connect()]);
    await cat.client.join('den');
    await dan.client.join('den');
    const left = new Promise((resolve) => cat.client.on('user_left', resolve));

    await dan.client.sendTo('cat', 'psst');
    await dan.client.leave('den');

    expect(await left).toMatchObject({ room: 'den', user: { userId: 'dan' }, count: 1 });
    expect(cat.messages).toEqual([expect.objectContaining({ data: 'psst', from: { userId: 'dan', name: 'DAN' } })]);
    expect(cat.messages[0]).not.toHaveProperty('room');
  });

  it('rejects a send with the server code, naming the request', async () => {
    const eve = newClient('eve');
    await eve.client.connect();

    const refused = await eve.client.send('never-joined', 'hello?').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RealtimeError);
    expect(refused).toMatchObject({ code: 'NOT_IN_ROOM', room: 'never-joined', requestId: expect.any(String) });

    await expect(eve.client.join('private-vault')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(eve.client.join('no spaces')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(eve.client.send('lobby', 'x'.repeat(17_000))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(eve.client.state).toBe('open');
  });

  it('after the server drops its connection, reconnects and has exactly the messages sent meanwhile, once, in order', async () => {
    // After the drop, fay stays away until gus has sent.
    const fay = heldAfterFirstConnection('fay');
    const gus = newClient('gus');
    await Promise.all([fay.client.connect(), gus.client.connect()]);
    await fay.client.join('drop-room');
    await gus.client.join('drop-room');
    await gus.client.send('drop-room', 'before');
    await vi.waitFor(() => expect(dataIn(fay.messages, 'drop-room')).toEqual(['before']));
    const states: StateChange[] = [];
    fay.client.on('state', (change) => states.push(change));

    const [faysConnection] = await liveConnectionIds(testTable(), 'fay');
    await deleteConnection(gateway.managementEndpoint, faysConnection ?? '');
    await vi.waitFor(() => expect(fay.client.state).toBe('reconnecting'));
    for (let i = 1; i <= 5; i += 1) await gus.client.send('drop-room', `missed ${i}`);
    fay.release();

    await vi.waitFor(() => expect(dataIn(fay.messages, 'drop-room')).toHaveLength(6));
    await sleep(300); // nothing more turns up
    expect(dataIn(fay.messages, 'drop-room')).toEqual(['before', 'missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5']);
    expect(fay.messages.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(states.map((change) => change.state)).toEqual(['reconnecting', 'open']);
    expect(states[0]).toMatchObject({ attempt: 1, retryInMs: expect.any(Number) });
    expect(states[0]?.reason).toMatch(/connection lost/);
    expect(await liveConnectionIds(testTable(), 'fay')).not.toContain(faysConnection);
  });

  it('queues a send made while disconnected, and delivers it once after the reconnect', async () => {
    const hal = heldAfterFirstConnection('hal');
    const ivy = newClient('ivy');
    await Promise.all([hal.client.connect(), ivy.client.connect()]);
    await hal.client.join('queue-room');
    await ivy.client.join('queue-room');

    await deleteConnection(gateway.managementEndpoint, (await liveConnectionIds(testTable(), 'hal'))[0] ?? '');
    await vi.waitFor(() => expect(hal.client.state).toBe('reconnecting'));
    let settled = false;
    const first = hal.client.send('queue-room', 'sent while down 1').finally(() => (settled = true));
    const second = hal.client.send('queue-room', 'sent while down 2');
    await sleep(200);
    expect(settled).toBe(false);
    hal.release();

    const acks = await Promise.all([first, second]);
    expect(acks.map((ack) => ack.seq)).toEqual([1, 2]);
    await vi.waitFor(() => expect(dataIn(ivy.messages, 'queue-room')).toHaveLength(2));
    await sleep(300);
    expect(dataIn(ivy.messages, 'queue-room')).toEqual(['sent while down 1', 'sent while down 2']);
  });

  it('replaces a connection whose token expires in seconds before it expires, without losing a message', async () => {
    const joe = newClient('joe', { token: { expiresIn: '4s' } });
    const kim = newClient('kim');
    const errors: RealtimeError[] = [];
    const states: string[] = [];
    joe.client.on('error', (error) => errors.push(error));
    joe.client.on('state', (change) => states.push(change.state));
    await Promise.all([joe.client.connect(), kim.client.connect()]);
    await joe.client.join('renewal-room');
    await kim.client.join('renewal-room');
    const presence: string[] = [];
    kim.client.on('user_joined', (event) => presence.push(`joined ${event.user.userId}`));
    kim.client.on('user_left', (event) => presence.push(`left ${event.user.userId}`));

    // Eight seconds of chat across at least two token lifetimes, in both directions.
    const sent: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      sent.push(`m${i}`);
      await kim.client.send('renewal-room', `m${i}`);
      await joe.client.send('renewal-room', `r${i}`);
      await sleep(300);
    }

    await vi.waitFor(() => expect(dataIn(joe.messages, 'renewal-room')).toHaveLength(sent.length));
    await vi.waitFor(() => expect(dataIn(kim.messages, 'renewal-room')).toHaveLength(sent.length));
    await sleep(500); // nothing more turns up
    expect(dataIn(joe.messages, 'renewal-room')).toEqual(sent);
    expect(dataIn(kim.messages, 'renewal-room')).toEqual(sent.map((text) => text.replace('m', 'r')));
    expect(joe.tokensIssued()).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
    expect(states).toEqual(['connecting', 'open']); // renewals never showed as a reconnect
    expect(presence).toEqual([]); // nor did the room see joe leave and come back
    expect(await liveConnectionIds(testTable(), 'joe')).toHaveLength(1);
  });

  it('close() leaves no connection behind and never reconnects', async () => {
    const lea = newClient('lea');
    await lea.client.connect();
    await lea.client.join('closing-room');
    const before = gateway.openConnectionIds.length;
    const pending = lea.client.send('closing-room', 'x');
    lea.client.close();

    expect(lea.client.state).toBe('closed');
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    await vi.waitFor(() => expect(gateway.openConnectionIds).toHaveLength(before - 1));
    await vi.waitFor(async () => expect(await liveConnectionIds(testTable(), 'lea')).toEqual([]));
    await sleep(1_000); // several backoff periods
    expect(gateway.openConnectionIds).toHaveLength(before - 1);
    expect(lea.tokensIssued()).toBe(1);
    await expect(lea.client.send('closing-room', 'y')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('stops and reports when the server refuses the token (HTTP 403), instead of retrying', async () => {
    const mal = newClient('mal', { token: { expiresIn: '-1h' } });
    const errors: RealtimeError[] = [];
    mal.client.on('error', (error) => errors.push(error));

    await expect(mal.client.connect()).rejects.toMatchObject({ code: 'HANDSHAKE_REFUSED', status: 403 });

    expect(mal.client.state).toBe('closed');
    expect(errors).toEqual([expect.objectContaining({ code: 'HANDSHAKE_REFUSED', status: 403 })]);
    await sleep(500);
    expect(mal.tokensIssued()).toBe(1);
  });

  it('keeps retrying a refusal it may outlive (HTTP 429, too many connections) and gives up after maxAttempts', async () => {
    const devices = await Promise.all(Array.from({ length: 5 }, () => newClient('ned')).map(async (device) => (await device.client.connect(), device)));
    const sixth = newClient('ned', { reconnect: { baseMs: 50, capMs: 100, maxAttempts: 3 } });
    const states: StateChange[] = [];
    sixth.client.on('state', (change) => states.push(change));

    await expect(sixth.client.connect()).rejects.toMatchObject({ code: 'CONNECT_FAILED', message: expect.stringMatching(/HTTP 429/) });

    expect(sixth.tokensIssued()).toBe(3);
    expect(states.filter((change) => change.state === 'reconnecting').map((change) => change.attempt)).toEqual([2, 3]);
    expect(states.at(-1)).toMatchObject({ state: 'closed' });
    for (const device of devices) expect(device.client.state).toBe('open');
    expect(await countAllItems()).toBeGreaterThan(0);
  });
});
