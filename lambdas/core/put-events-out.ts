/**
 * Puts events out (events-out.ts) on the configured EventBridge bus, best
 * effort: an event that cannot be put is logged with its entry and counted
 * (`EventsOutFailed`), never thrown, so no join, leave or fan-out fails
 * because the bus did. The SDK retries a call that is throttled, fails with
 * a 5xx or gets no answer within `EVENT_BUS_TIMEOUT_MS`; entries the bus
 * refuses one by one (`FailedEntryCount`) are not tried again.
 */
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from './clients.js';
import { config } from './config.js';
import { MAX_ENTRIES_PER_PUT, toPutEventsEntry, type EventOut } from './events-out.js';
import { count, logger } from './observability.js';

/** Whether this function puts events out at all (`EVENT_BUS_NAME` is set). */
export function eventsOutEnabled(): boolean {
  return config.eventBusName !== undefined;
}

/** Puts the events, ten to a call; resolves when every call has answered or failed. */
export async function putEventsOut(events: readonly EventOut[]): Promise<void> {
  const eventBusName = config.eventBusName;
  if (eventBusName === undefined || events.length === 0) return;
  const entries = events.map((event) => toPutEventsEntry(event, { eventBusName, source: config.eventSource }));
  const calls: PutEventsRequestEntry[][] = [];
  for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_PUT) {
    calls.push(entries.slice(start, start + MAX_ENTRIES_PER_PUT));
  }
  await Promise.all(calls.map(putEntries));
}

async function putEntries(entries: PutEventsRequestEntry[]): Promise<void> {
  try {
    const { FailedEntryCount = 0, Entries: results = [] } = await eventBridgeClient().send(new PutEventsCommand({ Entries: entries }));
    count('EventsOut', entries.length - FailedEntryCount);
    if (FailedEntryCount > 0) {
      const failed = entries.flatMap((entry, index) => {
        const result = results[index];
        return result?.ErrorCode === undefined ? [] : [{ ...entry, ErrorCode: result.ErrorCode, ErrorMessage: result.ErrorMessage }];
      });
      count('EventsOutFailed', FailedEntryCount);
      logger.error('events out refused by the bus', { failedEntryCount: FailedEntryCount, entries: failed.length > 0 ? failed : entries });
    }
  } catch (error) {
    count('EventsOutFailed', entries.length);
    logger.error('events out could not be put', { error: error as Error, entries });
  }
}
