/**
 * Events out: what the server tells other services about rooms and presence,
 * on an EventBridge bus, when `EVENT_BUS_NAME` is set (docs/events.md).
 *
 * This module is that public contract: the source, the detail-types and the
 * schema of each detail, and the PutEvents entry each event becomes. The CDK
 * app imports it as well as the functions, so it reads no configuration and
 * loads no AWS client (the entry type is a type import only).
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import * as z from 'zod/mini';

export const EVENTS_OUT = {
  /** `source` of every event unless `EVENT_SOURCE` says otherwise. */
  defaultSource: 'realtime',
  detailTypes: {
    /** A room got its first live member connection. */
    roomOccupied: 'realtime.room.occupied',
    /** A room's last member connection left it. */
    roomVacated: 'realtime.room.vacated',
    /** A user's first connection in a room joined it. */
    userJoined: 'realtime.user.joined',
    /** A user's last connection in a room left it. */
    userLeft: 'realtime.user.left',
  },
} as const;

/**
 * PutEvents takes at most this many entries per call. Its other limit, 256
 * KiB of entries per call, never binds here: every field of a detail is
 * capped (room names at 64 characters, user ids at 128, names at 64), so ten
 * entries stay within a few KiB.
 */
export const MAX_ENTRIES_PER_PUT = 10;

/**
 * Why a connection left a room: `leaveRoom` (`left`), its `$disconnect`
 * (`disconnected`), or a post answered 410 that found it gone without one
 * (`gone`).
 */
export const departureReason = z.enum(['left', 'disconnected', 'gone']);
export type DepartureReason = z.infer<typeof departureReason>;

const count = z.int().check(z.nonnegative());

/** What every detail carries: the room as it is once the change is made. */
const roomState = {
  room: z.string(),
  /** Distinct users with a live connection in the room, after the change. */
  users: count,
  /** Live member connections in the room, after the change. */
  connections: count,
  /** When the server saw the change (ISO 8601, UTC, milliseconds). */
  time: z.iso.datetime(),
};

const user = z.object({ userId: z.string(), name: z.string() });

export const roomOccupiedDetail = z.object({ ...roomState });
export const roomVacatedDetail = z.object({ ...roomState, reason: departureReason });
export const userJoinedDetail = z.object({
  ...roomState,
  user,
  /** The connection whose join made the user present. */
  connectionId: z.string(),
});
export const userLeftDetail = z.object({
  ...roomState,
  user,
  /** The connection whose departure left the user absent (one of them, when several went at once). */
  connectionId: z.string(),
  reason: departureReason,
});

export type RoomOccupiedDetail = z.infer<typeof roomOccupiedDetail>;
export type RoomVacatedDetail = z.infer<typeof roomVacatedDetail>;
export type UserJoinedDetail = z.infer<typeof userJoinedDetail>;
export type UserLeftDetail = z.infer<typeof userLeftDetail>;

const { detailTypes } = EVENTS_OUT;

/** Each detail-type's schema, for consumers and tests that check what arrives. */
export const eventOutDetailSchemas = {
  [detailTypes.roomOccupied]: roomOccupiedDetail,
  [detailTypes.roomVacated]: roomVacatedDetail,
  [detailTypes.userJoined]: userJoinedDetail,
  [detailTypes.userLeft]: userLeftDetail,
} as const;

export type EventOutDetailType = keyof typeof eventOutDetailSchemas;

/** One event out: its detail-type and the detail that goes with it. */
export type EventOut =
  | { readonly detailType: typeof detailTypes.roomOccupied; readonly detail: RoomOccupiedDetail }
  | { readonly detailType: typeof detailTypes.roomVacated; readonly detail: RoomVacatedDetail }
  | { readonly detailType: typeof detailTypes.userJoined; readonly detail: UserJoinedDetail }
  | { readonly detailType: typeof detailTypes.userLeft; readonly detail: UserLeftDetail };

export function isEventOutDetailType(value: string): value is EventOutDetailType {
  return Object.hasOwn(eventOutDetailSchemas, value);
}

/** Where events go: the bus and the `source` they carry. */
export interface EventsOutTarget {
  /** A bus name or ARN. */
  readonly eventBusName: string;
  readonly source: string;
}

/**
 * The PutEvents entry of an event. `Time` is the detail's own, so the
 * envelope's `time` (whole seconds) agrees with `detail.time`.
 */
export function toPutEventsEntry(event: EventOut, target: EventsOutTarget): PutEventsRequestEntry {
  return {
    EventBusName: target.eventBusName,
    Source: target.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: new Date(event.detail.time),
  };
}
