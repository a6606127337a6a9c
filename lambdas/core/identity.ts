// The constants, not protocol.ts: the authorizer bundles this module and needs no schema.
import { PRIVATE_ROOM_PREFIX } from './protocol-constants.js';

/** Who holds a connection, as the `$connect` authorizer established it from the token. */
export interface Identity {
  readonly userId: string;
  readonly name: string;
  /** Private rooms the token's `rooms` claim allows (`"*"` allows every room). */
  readonly allowedRooms: readonly string[];
  readonly roles: readonly string[];
  /** The token's `exp` (epoch seconds), when it has one. */
  readonly tokenExpiresAt?: number;
}

/**
 * API Gateway passes an authorizer's context to every route of the connection
 * as flat string/number/boolean values, so lists travel comma-separated (room
 * names and roles cannot contain a comma).
 */
export type AuthorizerContext = Record<string, string | number | boolean | null | undefined>;

export function toAuthorizerContext(identity: Identity): Record<string, string | number> {
  const context: Record<string, string | number> = {
    userId: identity.userId,
    name: identity.name,
    // The key stays `rooms`: the authorizer writes it and the `$connect`
    // function reads it, two functions a deploy updates one after the other,
    // so a renamed key would strip the allowance from connections opened
    // while a deploy is under way.
    rooms: identity.allowedRooms.join(','),
    roles: identity.roles.join(','),
  };
  if (identity.tokenExpiresAt !== undefined) context.tokenExpiresAt = identity.tokenExpiresAt;
  return context;
}

/** The identity in an authorizer context, or undefined when it names no user. */
export function fromAuthorizerContext(context: AuthorizerContext | undefined | null): Identity | undefined {
  const userId = context?.userId;
  if (typeof userId !== 'string' || userId === '') return undefined;
  const name = typeof context?.name === 'string' && context.name !== '' ? context.name : userId;
  const expiry = Number(context?.tokenExpiresAt);
  return {
    userId,
    name,
    // Under the key `rooms`: toAuthorizerContext says why it keeps that name.
    allowedRooms: splitList(context?.rooms),
    roles: splitList(context?.roles),
    ...(Number.isFinite(expiry) && expiry > 0 ? { tokenExpiresAt: expiry } : {}),
  };
}

function splitList(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Rooms named `private-…` need the room, or `"*"`, in the token's `rooms` claim. */
export function mayEnterRoom(identity: Pick<Identity, 'allowedRooms'>, room: string): boolean {
  if (!room.startsWith(PRIVATE_ROOM_PREFIX)) return true;
  return identity.allowedRooms.includes('*') || identity.allowedRooms.includes(room);
}
