/**
 * The events out's details (events-out.ts) as zod schemas, for code that
 * receives them and wants them checked, and for the tests. The functions that
 * put the events never parse them, so they do not import this module.
 */
import * as z from 'zod/mini';
import { DEPARTURE_REASONS, EVENTS_OUT, type EventOutDetails, type EventOutDetailType } from './events-out.js';

const count = z.int().check(z.nonnegative());
const roomState = { room: z.string(), users: count, connections: count, time: z.iso.datetime() };
const user = z.object({ userId: z.string(), name: z.string() });
const reason = z.enum(DEPARTURE_REASONS);

const { detailTypes } = EVENTS_OUT;

/** Each detail-type's schema. Objects are not strict: fields added later do not break a consumer. */
export const eventOutDetailSchemas = {
  [detailTypes.roomOccupied]: z.object(roomState),
  [detailTypes.roomVacated]: z.object({ ...roomState, reason }),
  [detailTypes.userJoined]: z.object({ ...roomState, user, connectionId: z.string() }),
  [detailTypes.userLeft]: z.object({ ...roomState, user, connectionId: z.string(), reason }),
};

/** The schemas and the types of events-out.ts agree, both ways: a change to one that the other misses fails to compile. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: { [T in EventOutDetailType]: Same<z.output<(typeof eventOutDetailSchemas)[T]>, EventOutDetails[T]> } = {
  [detailTypes.roomOccupied]: true,
  [detailTypes.roomVacated]: true,
  [detailTypes.userJoined]: true,
  [detailTypes.userLeft]: true,
};
void agree;
