import { LocalEventBus } from './local-event-bus.js';
import { LOCAL_STACK_SETTINGS } from './local-settings.js';

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
  process.env[LOCAL_STACK_SETTINGS.eventBusName.key] ??= LOCAL_STACK_SETTINGS.eventBusName.default;
  return bus;
}
