/**
 * Events out: what the server tells other services about rooms and presence,
 * on an EventBridge bus, when `EVENT_BUS_NAME` is set (docs/events.md).
 *
 * This module is that public contract: the source, the detail-types, the
 * type of each detail, and the PutEvents entry each event becomes (their zod
 * schemas, for consumers and tests that check what arrives, are in
 * events-out-schema.ts). The CDK app imports it as well as the functions, so
 * it reads no configuration and imports nothing at run time: no AWS client,
 * and no zod, which functions that parse no frame leave out of their bundles.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

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
export const DEPARTURE_REASONS = ['left', 'disconnected', 'gone'] as const;
export type DepartureReason = (typeof DEPARTURE_REASONS)[number];

/** What every detail carries: the room as it is once the change is made. */
export interface RoomState {
  readonly room: string;
  /** Distinct users with a live connection in the room, after the change. */
  readonly users: number;
  /** Live member connections in the room, after the change. */
  readonly connections: number;
  /** When the server saw the change (ISO 8601, UTC, milliseconds). */
  readonly time: string;
}

export interface EventOutUser {
  readonly userId: string;
  readonly name: string;
}

export type RoomOccupiedDetail = RoomState;

export interface RoomVacatedDetail extends RoomState {
  readonly reason: DepartureReason;
}

export interface UserJoinedDetail extends RoomState {
  readonly user: EventOutUser;
  /** The connection whose join made the user present. */
  readonly connectionId: string;
}

export interface UserLeftDetail extends RoomState {
  readonly user: EventOutUser;
  /** The connection whose departure left the user absent (one of them, when several went at once). */
  readonly connectionId: string;
  readonly reason: DepartureReason;
}

const { detailTypes } = EVENTS_OUT;

/** Each detail-type's detail. */
export interface EventOutDetails {
  readonly [detailTypes.roomOccupied]: RoomOccupiedDetail;
  readonly [detailTypes.roomVacated]: RoomVacatedDetail;
  readonly [detailTypes.userJoined]: UserJoinedDetail;
  readonly [detailTypes.userLeft]: UserLeftDetail;
}

export type EventOutDetailType = keyof EventOutDetails;

/** One event out: its detail-type and the detail that goes with it. */
export type EventOut = { [T in EventOutDetailType]: { readonly detailType: T; readonly detail: EventOutDetails[T] } }[EventOutDetailType];

const DETAIL_TYPES: readonly string[] = Object.values(detailTypes);

export function isEventOutDetailType(value: string): value is EventOutDetailType {
  return DETAIL_TYPES.includes(value);
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
