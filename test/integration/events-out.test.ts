import { afterAll, describe, expect, it, vi } from 'vitest';
import { EVENTS_OUT, isEventOutDetailType } from '../../lambdas/core/events-out.js';
import { eventOutDetailSchemas } from '../../lambdas/core/events-out-schema.js';
import { logger, metrics } from '../../lambdas/core/observability.js';
import { keys } from '../../lambdas/core/table.js';
import type { ReceivedEvent } from '../../local/local-event-bus.js';
import { connectAs, type SignedInClient } from '../support/local-gateway.js';
import { interleaveDynamoCalls, isMembershipWrite, isRoomRead } from '../support/dynamo-interleaving.js';
import { getItem } from '../support/table.js';

// Events out on, against the local EventBridge endpoint, and the gateway's
// Management API, before any module reads the handlers' configuration (the
// DynamoDB spies import it); a short timeout so a bus that never answers is
// given up on in a test's time.
const { bus, gateway } = await vi.hoisted(async () => {
  process.env.EVENT_BUS_TIMEOUT_MS = '400';
  const { startEventBus } = await import('../../local/event-bus.js');
  const { startLocalGateway } = await import('../support/local-gateway.js');
  return { bus: await startEventBus(), gateway: await startLocalGateway() };
});

const { roomOccupied, roomVacated, userJoined, userLeft } = EVENTS_OUT.detailTypes;

afterAll(async () => {
  // Closing the sockets runs their `$disconnect`s, which put events: the bus goes last.
  await gateway.stop();
  await bus.stop();
});

const eventsIn = (room: string): ReceivedEvent[] => bus.received.filter((event) => event.detail.room === room);
const typesIn = (room: string): string[] => eventsIn(room).map((event) => event['detail-type']);

async function join(client: SignedInClient, room: string): Promise<void> {
  expect(await client.client.request({ action: 'joinRoom', room }, 'joined')).toMatchObject({ type: 'joined', room });
}

async function leave(client: SignedInClient, room: string): Promise<void> {
  expect(await client.client.request({ action: 'leaveRoom', room }, 'left')).toMatchObject({ type: 'left', room });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Resolves once `count` events of the room have been received. */
async function eventsOf(room: string, count: number): Promise<ReceivedEvent[]> {
  await vi.waitFor(() => expect(eventsIn(room).length).toBeGreaterThanOrEqual(count), { timeout: 10_000, interval: 50 });
  return eventsIn(room);
}

describe('joins', () => {
  it('put room.occupied and user.joined for the first member, in one call, with the counts', async () => {
    const before = Date.now();
    const alice = await connectAs(gateway, 'alice', { name: 'Alice' });

    await join(alice, 'first');

    const [occupied, joined, ...more] = eventsIn('first');
    expect(more).toEqual([]);
    expect(occupied).toMatchObject({
      'detail-type': roomOccupied,
      source: 'realtime',
      eventBusName: 'realtime-local',
      detail: { room: 'first', users: 1, connections: 1, time: expect.any(String) },
    });
    expect(joined).toMatchObject({
      'detail-type': userJoined,
      source: 'realtime',
      detail: { room: 'first', users: 1, connections: 1, user: { userId: 'alice', name: 'Alice' }, connectionId: alice.connectionId },
    });
    expect(joined?.call).toBe(occupied?.call);
    const time = Date.parse(String(joined?.detail.time));
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it("put nothing for a user's second device, and only user.joined for another user", async () => {
    const phone = await connectAs(gateway, 'bea');
    const laptop = await connectAs(gateway, 'bea');
    const carl = await connectAs(gateway, 'carl', { name: 'Carl' });
    await join(phone, 'devices');

    await join(laptop, 'devices');
    expect(typesIn('devices')).toEqual([roomOccupied, userJoined]);

    await join(carl, 'devices');
    expect(typesIn('devices')).toEqual([roomOccupied, userJoined, userJoined]);
    expect(eventsIn('devices')[2]?.detail).toMatchObject({ user: { userId: 'carl', name: 'Carl' }, users: 2, connections: 3, connectionId: carl.connectionId });
  });

  it('put nothing again for a join retried on the same connection', async () => {
    const dora = await connectAs(gateway, 'dora');
    await join(dora, 'retried');
    const callsBefore = bus.calls;

    await join(dora, 'retried');

    expect(typesIn('retried')).toEqual([roomOccupied, userJoined]);
    expect(bus.calls).toBe(callsBefore);
  });

  it('racing into an empty room where each join reads the others, put exactly one room.occupied, and one user.joined per user', async () => {
    // Each round: two users, one on two devices, join at once; every join's
    // read of the room waits until all three memberships are written, so each
    // sees the others, the case where "am I alone?" would emit nothing.
    for (let round = 0; round < 5; round += 1) {
      const room = `race-${round}`;
      const clients = [
        await connectAs(gateway, `racer-a-${round}`),
        await connectAs(gateway, `racer-b-${round}`),
        await connectAs(gateway, `racer-a-${round}`),
      ];
      let written = 0;
      const allWritten = deferred();
      const interleaving = interleaveDynamoCalls(isRoomRead(room), allWritten.promise, (name, input) => {
        if (isMembershipWrite(room)(name, input) && (written += 1) === clients.length) allWritten.resolve();
      });

      // A different one first each round.
      const order = clients.map((_, index) => clients[(index + round) % clients.length] as SignedInClient);
      const joins = await Promise.all(order.map((client) => client.client.request({ action: 'joinRoom', room }, 'joined')));
      interleaving.restore();

      expect(joins).toEqual(order.map(() => expect.objectContaining({ type: 'joined', room, members: expect.arrayContaining([expect.anything(), expect.anything()]) })));
      expect(typesIn(room).filter((type) => type === roomOccupied)).toHaveLength(1);
      expect(eventsIn(room).find((event) => event['detail-type'] === roomOccupied)?.detail).toMatchObject({ users: 2, connections: 3 });
      const joinedUsers = eventsIn(room).flatMap((event) => (event['detail-type'] === userJoined ? [(event.detail.user as { userId: string }).userId] : []));
      expect(joinedUsers.toSorted()).toEqual([`racer-a-${round}`, `racer-b-${round}`]);
    }
  });

  it('racing where one join reads before the other writes, put room.occupied at least once: twice when the later write sorts first', async () => {
    // The limit of telling "first" from one read (docs/events.md): the join
    // that reads alone emits; the other, written after that read but with the
    // earlier joinedAt, finds itself first among what it read, and emits too.
    const early = await connectAs(gateway, 'kit');
    const late = await connectAs(gateway, 'lou');
    const readDone = deferred();
    const lateWriting = deferred();
    const interleaving = interleaveDynamoCalls(
      (name, input) => {
        if (!isMembershipWrite('inverted', late.connectionId)(name, input)) return false;
        lateWriting.resolve();
        return true;
      },
      readDone.promise,
      (name, input) => {
        if (isRoomRead('inverted')(name, input)) readDone.resolve();
      },
    );

    // lou's join takes its joinedAt first, then waits to write until kit's join has written and read.
    const lateJoin = late.client.request({ action: 'joinRoom', room: 'inverted' }, 'joined');
    await lateWriting.promise;
    await join(early, 'inverted');
    await lateJoin;
    interleaving.restore();

    const occupied = eventsIn('inverted').filter((event) => event['detail-type'] === roomOccupied);
    expect(occupied.map((event) => event.detail.connections).toSorted()).toEqual([1, 2]);
  });
});

describe('departures', () => {
  it('put nothing when one device of two leaves, user.left when the last does, room.vacated with the last member', async () => {
    const phone = await connectAs(gateway, 'emil', { name: 'Emil' });
    const laptop = await connectAs(gateway, 'emil', { name: 'Emil' });
    const fay = await connectAs(gateway, 'fay');
    for (const client of [phone, laptop, fay]) await join(client, 'leaving');
    const joinEvents = eventsIn('leaving').length;

    await leave(phone, 'leaving');
    expect(eventsIn('leaving')).toHaveLength(joinEvents);

    await leave(laptop, 'leaving');
    expect(eventsIn('leaving').slice(joinEvents)).toEqual([
      expect.objectContaining({
        'detail-type': userLeft,
        detail: {
          room: 'leaving',
          users: 1,
          connections: 1,
          time: expect.any(String),
          user: { userId: 'emil', name: 'Emil' },
          connectionId: laptop.connectionId,
          reason: 'left',
        },
      }),
    ]);

    await leave(fay, 'leaving');
    const last = eventsIn('leaving').slice(joinEvents + 1);
    expect(last.map((event) => event['detail-type'])).toEqual([userLeft, roomVacated]);
    expect(last[1]?.detail).toEqual({ room: 'leaving', users: 0, connections: 0, time: expect.any(String), reason: 'left' });
    expect(last[0]?.call).toBe(last[1]?.call);
  });

  it('put user.left and room.vacated when the last member closes its socket ($disconnect)', async () => {
    const gus = await connectAs(gateway, 'gus');
    await join(gus, 'closing');

    await gus.client.close();

    const [, , left, vacated] = await eventsOf('closing', 4);
    expect(left).toMatchObject({ 'detail-type': userLeft, detail: { user: { userId: 'gus' }, users: 0, connectionId: gus.connectionId, reason: 'disconnected' } });
    expect(vacated).toMatchObject({ 'detail-type': roomVacated, detail: { users: 0, connections: 0, reason: 'disconnected' } });
  });

  it('put the departures of a connection purged after a 410 (no $disconnect), from every room, in one call', async () => {
    const speaker = await connectAs(gateway, 'hal');
    const vanishing = await connectAs(gateway, 'ida', { name: 'Ida' });
    await join(speaker, 'lossy');
    await join(vanishing, 'lossy');
    const alone = ['lossy-1', 'lossy-2', 'lossy-3', 'lossy-4'];
    for (const room of alone) await join(vanishing, room);
    gateway.losesDisconnects = true;
    await vanishing.client.close();
    gateway.losesDisconnects = false;
    expect(await getItem(keys.membership('lossy', vanishing.connectionId))).toBeDefined();
    const callsBefore = bus.calls;

    await speaker.client.request({ action: 'sendMessage', room: 'lossy', data: 'anyone?' }, 'ack');

    const [left] = (await eventsOf('lossy', 4)).slice(3);
    expect(left).toMatchObject({ 'detail-type': userLeft, detail: { user: { userId: 'ida', name: 'Ida' }, users: 1, connections: 1, reason: 'gone' } });
    for (const room of alone) {
      expect(eventsIn(room).slice(2).map((event) => [event['detail-type'], event.detail.reason])).toEqual([
        [userLeft, 'gone'],
        [roomVacated, 'gone'],
      ]);
    }
    // Nine events, one PutEvents call.
    expect(bus.calls - callsBefore).toBe(1);
  });
});

describe('a bus that fails', () => {
  it.each([
    ['answers 500 on every attempt', { kind: 'error', status: 500, errorType: 'InternalException' }, 3, 'events out could not be put'],
    ['refuses the entries (FailedEntryCount)', { kind: 'refuse-entries', errorCode: 'InternalFailure' }, 1, 'events out refused by the bus'],
    ['never answers', { kind: 'stall' }, 3, 'events out could not be put'],
  ] as const)('fails no join when it %s: the failure is logged with the entries, and counted', async (_, fault, times, logged) => {
    const user = `jo-${fault.kind}`;
    const room = `failing-${fault.kind}`;
    const client = await connectAs(gateway, user);
    const errors = vi.spyOn(logger, 'error');
    const recorded = vi.spyOn(metrics, 'addMetric');
    bus.fail(fault, times);

    const started = Date.now();
    await join(client, room);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(eventsIn(room)).toEqual([]);
    expect(errors).toHaveBeenCalledWith(
      logged,
      expect.objectContaining({
        entries: [
          expect.objectContaining({ DetailType: roomOccupied, EventBusName: 'realtime-local', Source: 'realtime' }),
          expect.objectContaining({ DetailType: userJoined, Detail: expect.stringContaining(`"userId":"${user}"`) }),
        ],
      }),
    );
    expect(recorded).toHaveBeenCalledWith('EventsOutFailed', 'Count', 2);
    errors.mockRestore();
    recorded.mockRestore();
  });
});

describe('what arrives', () => {
  it('is, for every event put in this file, a detail that parses against its detail-type schema', () => {
    expect(bus.received.length).toBeGreaterThan(20);
    for (const event of bus.received) {
      const type = event['detail-type'];
      if (!isEventOutDetailType(type)) throw new Error(`unknown detail-type ${type}`);
      expect(eventOutDetailSchemas[type].parse(event.detail)).toEqual(event.detail);
    }
  });
});
