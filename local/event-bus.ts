import { LocalEventBus } from './local-event-bus.js';

/** The bus the local stack names in `EVENT_BUS_NAME` unless one is set. */
export const LOCAL_EVENT_BUS_NAME = 'realtime-local';

/**
 * Starts the local EventBridge endpoint and points the handlers at it, as the
 * stack does with events out enabled: `AWS_ENDPOINT_URL_EVENTBRIDGE`, and
 * `EVENT_BUS_NAME` unless set (set to nothing, events stay off). Call it
 * before any handler is imported: they read their environment once.
 */
export async function startEventBus(log?: (line: string) => void): Promise<LocalEventBus> {
  const bus = new LocalEventBus(log === undefined ? {} : { log });
  await bus.start();
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  process.env.EVENT_BUS_NAME ??= LOCAL_EVENT_BUS_NAME;
  return bus;
}
