/**
 * The wire protocol (PROTOCOL.md, v1) as zod schemas: the one definition that
 * handlers, the client SDK and the tests share. Client frames are parsed with
 * these; server frames are typed by them.
 */
import { z } from 'zod';

/** `data` of a message, serialised, may not exceed this (PAYLOAD_TOO_LARGE). */
export const MAX_DATA_BYTES = 16 * 1024;
/** API Gateway closes the connection (1009) on a single frame larger than this. */
export const MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway's limit for one message, fragmented frames included. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_ACTION',
  'FORBIDDEN',
  'NOT_IN_ROOM',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const PRIVATE_ROOM_PREFIX = 'private-';

export const roomName = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -');

const userId = z
  .string({ error: 'must be a user id string' })
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters');

const jsonValue = z.json();

// ── client → server ────────────────────────────────────────────────────────

export const joinRoomFrame = z.object({ action: z.literal('joinRoom'), room: roomName });
export const leaveRoomFrame = z.object({ action: z.literal('leaveRoom'), room: roomName });
export const typingFrame = z.object({ action: z.literal('typing'), room: roomName });
export const membersFrame = z.object({ action: z.literal('members'), room: roomName });
export const historyFrame = z.object({
  action: z.literal('history'),
  room: roomName,
  afterSeq: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .default(0),
});
export const pingFrame = z.object({ action: z.literal('ping') });
export const sendMessageFrame = z
  .object({
    action: z.literal('sendMessage'),
    room: roomName.optional(),
    to: userId.optional(),
    data: jsonValue,
    clientMsgId: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(128, 'must be at most 128 characters')
      .optional(),
  })
  .refine((frame) => (frame.room === undefined) !== (frame.to === undefined), {
    message: 'sendMessage needs exactly one of room or to',
  });

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
  room: roomName.optional(),
  id: z.string(),
  seq: z.number().int().positive().optional(),
  from: userRef,
  data: jsonValue,
  sentAt: z.iso.datetime(),
});

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('joined'), room: roomName, members: z.array(userRef), lastSeq: z.number().int().min(0) }),
  z.object({ type: z.literal('left'), room: roomName }),
  z.object({ type: z.literal('user_joined'), room: roomName, user: userRef, count: z.number().int().min(0) }),
  z.object({ type: z.literal('user_left'), room: roomName, user: userRef, count: z.number().int().min(0) }),
  messageFrame,
  z.object({
    type: z.literal('ack'),
    clientMsgId: z.string().optional(),
    id: z.string(),
    seq: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal('typing'), room: roomName, user: userRef }),
  z.object({
    type: z.literal('members'),
    room: roomName,
    members: z.array(userRef.extend({ connections: z.number().int().positive() })),
  }),
  z.object({ type: z.literal('history'), room: roomName, messages: z.array(messageFrame) }),
  z.object({ type: z.literal('pong'), at: z.iso.datetime() }),
  z.object({
    type: z.literal('error'),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    requestId: z.string(),
    action: z.string().optional(),
  }),
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
export type MessageFrame = ServerFrameOf<'message'>;
export type ErrorFrame = ServerFrameOf<'error'>;

/** A zod failure as one readable sentence for an `error` frame. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
