import { afterAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import { connectAs } from '../support/local-gateway.js';
import { getItem } from '../support/table.js';

// A local EventBridge endpoint the SDK would reach, but no EVENT_BUS_NAME:
// events out are off, and nothing may arrive there.
const { bus, gateway } = await vi.hoisted(async () => {
  delete process.env.EVENT_BUS_NAME;
  const { LocalEventBus } = await import('../../local/local-event-bus.js');
  const bus = new LocalEventBus();
  await bus.start();
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  const { startLocalGateway } = await import('../support/local-gateway.js');
  return { bus, gateway: await startLocalGateway() };
});

afterAll(async () => {
  await gateway.stop();
  await bus.stop();
});

describe('without EVENT_BUS_NAME', () => {
  it('puts nothing for joins, leaves, closed sockets and purges, while the room still hears presence', async () => {
    const alice = await connectAs(gateway, 'alice');
    const bob = await connectAs(gateway, 'bob');
    const carol = await connectAs(gateway, 'carol');
    const dave = await connectAs(gateway, 'dave');
    for (const client of [alice, bob, carol, dave]) await client.client.request({ action: 'joinRoom', room: 'quiet' }, 'joined');

    await bob.client.request({ action: 'leaveRoom', room: 'quiet' }, 'left');
    await carol.client.close();
    await vi.waitFor(async () => expect(await getItem(keys.connection(carol.connectionId))).toBeUndefined());
    gateway.losesDisconnects = true;
    await dave.client.close();
    gateway.losesDisconnects = false;
    await alice.client.request({ action: 'sendMessage', room: 'quiet', data: 'anyone?' }, 'ack');

    const heard = (type: string) => alice.client.nextOfType<{ user: { userId: string } }>(type);
    expect((await Promise.all([heard('user_joined'), heard('user_joined'), heard('user_joined')])).map(({ user }) => user.userId)).toEqual(['bob', 'carol', 'dave']);
    expect((await Promise.all([heard('user_left'), heard('user_left'), heard('user_left')])).map(({ user }) => user.userId)).toEqual(['bob', 'carol', 'dave']);
    expect(bus.calls).toBe(0);
    expect(bus.received).toEqual([]);
  });
});
