import { afterAll, describe, expect, it, vi } from 'vitest';
import { EVENTS_OUT } from '../../lambdas/core/events-out.js';
import { purgeGone } from '../../lambdas/core/departures.js';
import { keys } from '../../lambdas/core/table.js';
import type { ReceivedEvent } from '../../local/local-event-bus.js';
import { getItem } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

// Where the room hears no presence, events still go out. Rooms over 3
// connections go through the fan-out queue (and hear no user_joined or
// user_left); both started before any handler reads its configuration.
const { queue, bus } = await vi.hoisted(async () => {
  Object.assign(process.env, { LARGE_ROOM_THRESHOLD: '3', FANOUT_BATCH_SIZE: '3', FANOUT_WORKERS: '1', FANOUT_POST_RATE: '1000' });
  const { startFanOutQueue } = await import('../../local/fan-out-queue.js');
  const { startEventBus } = await import('../../local/event-bus.js');
  return { queue: await startFanOutQueue(), bus: await startEventBus() };
});
afterAll(async () => {
  await queue.stop();
  await bus.stop();
});

const { roomVacated, userJoined, userLeft } = EVENTS_OUT.detailTypes;
const eventsIn = (room: string): ReceivedEvent[] => bus.received.filter((event) => event.detail.room === room);

async function members(room: string, size: number): Promise<TestConnection[]> {
  const joined: TestConnection[] = [];
  for (let i = 0; i < size; i += 1) {
    const member = await TestConnection.open(`${room}-user-${i}`);
    await member.send({ action: 'joinRoom', room });
    joined.push(member);
  }
  await queue.idle();
  for (const member of joined) member.received();
  return joined;
}

describe('a large room, which hears no presence', () => {
  it('still gets user.joined for a newcomer and user.left when it leaves', async () => {
    const room = await members('big', 4);
    const newcomer = await TestConnection.open('big-newcomer', { name: 'Newcomer' });
    const before = eventsIn('big').length;

    await newcomer.send({ action: 'joinRoom', room: 'big' });
    await newcomer.send({ action: 'leaveRoom', room: 'big' });
    await queue.idle();

    for (const member of room) expect(member.received()).toEqual([]);
    expect(eventsIn('big').slice(before).map((event) => [event['detail-type'], event.detail.connections])).toEqual([
      [userJoined, 5],
      [userLeft, 4],
    ]);
  });
});

describe('a purge past the cascade limit, where no room hears user_left', () => {
  it('still puts the departures, from every room of the connection, in one call', async () => {
    const [stays, purged] = await members('deep', 2);
    await purged?.send({ action: 'joinRoom', room: 'deep-alone' });
    const callsBefore = bus.calls;

    // Three rounds of purges announcing departures is MAX_PURGE_CASCADE.
    await purgeGone([{ connectionId: purged?.connectionId ?? '', room: 'deep' }], 3);

    expect(await getItem(keys.connection(purged?.connectionId ?? ''))).toBeUndefined();
    expect(stays?.received()).toEqual([]);
    expect(eventsIn('deep').slice(-1)).toEqual([
      expect.objectContaining({ 'detail-type': userLeft, detail: expect.objectContaining({ user: { userId: 'deep-user-1', name: 'deep-user-1' }, users: 1, reason: 'gone' }) }),
    ]);
    expect(eventsIn('deep-alone').slice(-2).map((event) => event['detail-type'])).toEqual([userLeft, roomVacated]);
    expect(bus.calls - callsBefore).toBe(1);
  });
});
