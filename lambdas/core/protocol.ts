/**
 * The wire protocol (docs/protocol.md, v1) as zod schemas: the one definition that
 * handlers, the client SDK and the tests share. Client frames are parsed with
 * these; server frames are typed by them.
 *
 * Written with zod/mini, whose functions tree-shake: every function bundles
 * this module, and the full zod alone weighed over 400 KiB of each bundle.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import {
  ERROR_CODES,
  MAX_CLIENT_MSG_ID_LENGTH,
  MAX_DATA_BYTES,
  MAX_DATA_DEPTH,
  MAX_USER_ID_LENGTH,
  ROOM_NAME_PATTERN,
  serialisedBytes,
  type ErrorCode,
} from './protocol-constants.js';

export * from './protocol-constants.js';

// zod/mini carries no messages of its own: without a locale every issue it
// raises itself reads "Invalid input". English gives the texts error frames
// and publish answers have always carried ("…: expected object, received array").
z.config(en());

export const roomName = z
  .string({ error: 'must be a string' })
  .check(z.regex(ROOM_NAME_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -'));

const userId = z
  .string({ error: 'must be a user id string' })
  .check(z.minLength(1, 'must not be empty'), z.maxLength(MAX_USER_ID_LENGTH, `must be at most ${MAX_USER_ID_LENGTH} characters`));

type JsonValue = z.output<ReturnType<typeof z.json>>;

/**
 * Any JSON value nested at most MAX_DATA_DEPTH levels, checked without
 * recursion: `z.json()` recurses once per level, and a 32 KiB frame of
 * nested arrays exhausted its stack (a RangeError, answered INTERNAL).
 */
const jsonValue = z.custom<JsonValue>(
  (value) => isJsonWithinDepth(value, MAX_DATA_DEPTH),
  `must be JSON nested at most ${MAX_DATA_DEPTH} levels deep`,
);

export function isJsonWithinDepth(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: current, depth } = next;
    if (current === null || typeof current === 'string' || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return false;
      continue;
    }
    if (typeof current !== 'object' || depth >= maxDepth) return false;
    const prototype = Object.getPrototypeOf(current) as unknown;
    if (!Array.isArray(current) && prototype !== Object.prototype && prototype !== null) return false;
    for (const child of Object.values(current)) pending.push({ value: child, depth: depth + 1 });
  }
  return true;
}

/** The sender's own id for a send: a resend with the same one is answered, not repeated. */
const clientMsgId = z
  .string({ error: 'must be a string' })
  .check(z.minLength(1, 'must not be empty'), z.maxLength(MAX_CLIENT_MSG_ID_LENGTH, `must be at most ${MAX_CLIENT_MSG_ID_LENGTH} characters`));

/** Counts, `seq` and durations in server frames. */
const nonNegativeInt = z.number().check(z.int(), z.minimum(0));
const positiveInt = z.number().check(z.int(), z.positive());

// ── client → server ────────────────────────────────────────────────────────

export const joinRoomFrame = z.object({ action: z.literal('joinRoom'), room: roomName });
export const leaveRoomFrame = z.object({ action: z.literal('leaveRoom'), room: roomName });
export const typingFrame = z.object({ action: z.literal('typing'), room: roomName });
export const membersFrame = z.object({ action: z.literal('members'), room: roomName });
export const historyFrame = z.object({
  action: z.literal('history'),
  room: roomName,
  afterSeq: z._default(
    z.number({ error: 'must be a number' }).check(z.int('must be a whole number'), z.minimum(0, 'must not be negative')),
    0,
  ),
});
/** A send or a publish goes to exactly one target: a room, a user, or everyone. */
function exactlyOneOf(...targets: readonly unknown[]): boolean {
  return targets.filter((target) => target !== undefined).length === 1;
}

export const pingFrame = z.object({ action: z.literal('ping') });
export const sendMessageFrame = z
  .object({
    action: z.literal('sendMessage'),
    room: z.optional(roomName),
    to: z.optional(userId),
    /** Everyone connected; only for tokens with the `admin` role. */
    broadcast: z.optional(z.literal(true, { error: 'must be true when present' })),
    data: jsonValue,
    clientMsgId: z.optional(clientMsgId),
  })
  .check(
    z.refine((frame) => exactlyOneOf(frame.room, frame.to, frame.broadcast), {
      message: 'sendMessage needs exactly one of room, to or broadcast',
    }),
  );

export const clientFrameSchemas = {
  joinRoom: joinRoomFrame,
  leaveRoom: leaveRoomFrame,
  sendMessage: sendMessageFrame,
  typing: typingFrame,
  members: membersFrame,
  history: historyFrame,
  ping: pingFrame,
} as const;

export type ClientAction = keyof typeof clientFrameSchemas;
export type ClientFrame<A extends ClientAction = ClientAction> = z.output<(typeof clientFrameSchemas)[A]>;
export const CLIENT_ACTIONS = Object.keys(clientFrameSchemas) as ClientAction[];

export function isClientAction(value: unknown): value is ClientAction {
  return typeof value === 'string' && Object.hasOwn(clientFrameSchemas, value);
}

// ── server → client ────────────────────────────────────────────────────────

export const userRef = z.object({ userId: z.string(), name: z.string() });
export type UserRef = z.infer<typeof userRef>;

export const messageFrame = z.object({
  type: z.literal('message'),
  room: z.optional(roomName),
  id: z.string(),
  seq: z.optional(positiveInt),
  from: userRef,
  data: jsonValue,
  sentAt: z.iso.datetime(),
});

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('joined'), room: roomName, members: z.array(userRef), lastSeq: nonNegativeInt }),
  z.object({ type: z.literal('left'), room: roomName }),
  z.object({ type: z.literal('user_joined'), room: roomName, user: userRef, count: nonNegativeInt }),
  z.object({ type: z.literal('user_left'), room: roomName, user: userRef, count: nonNegativeInt }),
  messageFrame,
  z.object({
    type: z.literal('ack'),
    clientMsgId: z.optional(z.string()),
    id: z.string(),
    seq: z.optional(positiveInt),
  }),
  z.object({ type: z.literal('typing'), room: roomName, user: userRef }),
  z.object({
    type: z.literal('members'),
    room: roomName,
    members: z.array(z.extend(userRef, { connections: positiveInt })),
  }),
  z.object({ type: z.literal('history'), room: roomName, messages: z.array(messageFrame) }),
  z.object({ type: z.literal('pong'), at: z.iso.datetime() }),
  z.object({
    type: z.literal('error'),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    requestId: z.string(),
    action: z.optional(z.string()),
    /** Echoed from the offending frame, so a client with several requests in flight settles the right one. */
    room: z.optional(roomName),
    clientMsgId: z.optional(z.string()),
    /** With RATE_LIMITED: how long until the connection may send again. */
    retryAfterMs: z.optional(nonNegativeInt),
    /** This connection is no longer usable (records gone, token expired): open a new one and send again. */
    reconnect: z.optional(z.literal(true)),
  }),
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
export type MessageFrame = ServerFrameOf<'message'>;
export type ErrorFrame = ServerFrameOf<'error'>;

/** What identifies a request in the replies to it: its `room` and `clientMsgId`, when it has them. */
export interface RequestRef {
  readonly room?: string;
  readonly clientMsgId?: string;
}

const requestRefFields = z.object({
  room: z.catch(z.optional(roomName), undefined),
  clientMsgId: z.catch(z.optional(clientMsgId), undefined),
});

/**
 * The valid `room` and `clientMsgId` of a client frame, whatever else is wrong
 * with it, for the `error` frame that answers it. Invalid values are left out
 * rather than echoed.
 */
export function requestRefOf(frame: unknown): RequestRef {
  const parsed = requestRefFields.safeParse(frame);
  if (!parsed.success) return {};
  const { room, clientMsgId } = parsed.data;
  return { ...(room === undefined ? {} : { room }), ...(clientMsgId === undefined ? {} : { clientMsgId }) };
}

/** A zod failure as one readable sentence for an `error` frame. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

// ── server-side publish (POST /publish, or the `publish` library call) ────────

/**
 * Marks the issue for `data` over MAX_DATA_BYTES, so that the one failure a
 * caller fixes by sending less can be answered PAYLOAD_TOO_LARGE, not BAD_REQUEST.
 */
const TOO_LARGE_PARAMS = { code: 'PAYLOAD_TOO_LARGE' } as const satisfies { code: ErrorCode };

/**
 * `data` must be present: a plain `z.json()` reports a missing value as a bare
 * "Invalid input", which tells an HTTP caller nothing.
 */
const requiredJson = z.pipe(z.unknown().check(z.refine((value) => value !== undefined, { message: 'is required', abort: true })), jsonValue);

type PublishData = z.output<typeof jsonValue>;

/** Where a publish goes: a room (stored, numbered), every device of a user, or every connection. */
export type PublishTarget =
  | { readonly room: string; readonly data: PublishData }
  | { readonly userId: string; readonly data: PublishData }
  | { readonly broadcast: true; readonly data: PublishData };

/**
 * A server-side publish: exactly one of `room`, `userId` or `broadcast: true`,
 * and `data` (any JSON, at most MAX_DATA_BYTES serialised). Unknown fields are
 * dropped, as on client frames. The output is narrowed to one PublishTarget
 * shape so that code branching on it cannot see two targets at once.
 */
export const publishRequest = z.pipe(
  z
    .object({
      room: z.optional(roomName),
      userId: z.optional(userId),
      broadcast: z.optional(z.literal(true, { error: 'must be true (leave it out to publish to a room or a user)' })),
      data: requiredJson,
    })
    .check(
      z.refine((request) => exactlyOneOf(request.room, request.userId, request.broadcast), {
        message: 'publish needs exactly one of room, userId or broadcast: true',
      }),
      (ctx) => {
        // An object-level check so it also runs beside other failures: the size
        // decides the answer only when it is the sole problem (see publishErrorCode).
        if (ctx.value.data === undefined) return;
        const bytes = serialisedBytes(ctx.value.data);
        if (bytes > MAX_DATA_BYTES) {
          ctx.issues.push({
            code: 'custom',
            path: ['data'],
            message: `is ${bytes} bytes serialised; the limit is ${MAX_DATA_BYTES}`,
            input: ctx.value.data,
            params: TOO_LARGE_PARAMS,
          });
        }
      },
    ),
  z.transform((request): PublishTarget => {
    if (request.room !== undefined) return { room: request.room, data: request.data };
    if (request.userId !== undefined) return { userId: request.userId, data: request.data };
    return { broadcast: true, data: request.data };
  }),
);

export type PublishRequest = z.output<typeof publishRequest>;

/**
 * The error code for a rejected publish: PAYLOAD_TOO_LARGE when `data` being
 * too large is the only problem, BAD_REQUEST for anything malformed.
 */
export function publishErrorCode(error: z.core.$ZodError): Extract<ErrorCode, 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE'> {
  const tooLargeOnly = error.issues.every(
    (issue) => issue.code === 'custom' && issue.params?.code === TOO_LARGE_PARAMS.code,
  );
  return tooLargeOnly ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
}
