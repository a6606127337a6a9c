import { describe, expect, it } from 'vitest';
import { routes } from '../../lib/routes.js';
import {
  CLIENT_ACTIONS,
  ERROR_CODES,
  clientFrameSchemas,
  describeIssues,
  isClientAction,
  requestRefOf,
  serverFrameSchema,
  type ClientAction,
} from '../../lambdas/core/protocol.js';

/** Parses a frame with the action's schema and returns the describeIssues() text of its failure. */
function failureText(action: ClientAction, frame: Record<string, unknown>): string {
  const result = clientFrameSchemas[action].safeParse({ action, ...frame });
  expect(result.success, `expected ${action} ${JSON.stringify(frame)} to be rejected`).toBe(false);
  if (result.success) throw new Error('unreachable');
  return describeIssues(result.error);
}

function parsed(action: ClientAction, frame: Record<string, unknown>): unknown {
  const result = clientFrameSchemas[action].safeParse({ action, ...frame });
  if (!result.success) {
    throw new Error(`expected ${action} ${JSON.stringify(frame)} to parse: ${describeIssues(result.error)}`);
  }
  return result.data;
}

const ALL_ACTIONS = ['joinRoom', 'leaveRoom', 'sendMessage', 'typing', 'members', 'history', 'ping'] as const;
const ROOM_ACTIONS = ['joinRoom', 'leaveRoom', 'typing', 'members', 'history'] as const;

/** The rest of a valid frame for each room action, so only `room` varies. */
const ROOM_ACTION_EXTRAS: Record<(typeof ROOM_ACTIONS)[number], Record<string, unknown>> = {
  joinRoom: {},
  leaveRoom: {},
  typing: {},
  members: {},
  history: { afterSeq: 0 },
};

describe('client actions', () => {
  it('lists exactly the seven actions of docs/protocol.md', () => {
    expect([...CLIENT_ACTIONS].sort()).toEqual([...ALL_ACTIONS].sort());
  });

  it('has a route in lib/routes.ts for every action, and no route for an action the protocol does not have', () => {
    const actionRoutes = routes.map((route) => route.routeKey).filter((routeKey) => !routeKey.startsWith('$'));
    expect(actionRoutes.sort()).toEqual([...CLIENT_ACTIONS].sort());
  });

  it.each(ALL_ACTIONS)('isClientAction(%s) is true', (action) => {
    expect(isClientAction(action)).toBe(true);
  });

  it.each<unknown>(['$default', '$connect', 'toString', 'constructor', 'hasOwnProperty', '__proto__', '', 'JoinRoom', 5, null, undefined, {}])(
    'isClientAction(%j) is false',
    (value) => {
      expect(isClientAction(value)).toBe(false);
    },
  );
});

describe('valid client frames parse', () => {
  it('joinRoom / leaveRoom / typing / members', () => {
    for (const action of ['joinRoom', 'leaveRoom', 'typing', 'members'] as const) {
      expect(parsed(action, { room: 'lobby' })).toEqual({ action, room: 'lobby' });
    }
  });

  it('history with afterSeq', () => {
    expect(parsed('history', { room: 'lobby', afterSeq: 42 })).toEqual({ action: 'history', room: 'lobby', afterSeq: 42 });
  });

  it('history without afterSeq defaults it to 0', () => {
    expect(parsed('history', { room: 'lobby' })).toEqual({ action: 'history', room: 'lobby', afterSeq: 0 });
  });

  it('ping', () => {
    expect(parsed('ping', {})).toEqual({ action: 'ping' });
  });

  it('sendMessage to a room, with a clientMsgId', () => {
    expect(parsed('sendMessage', { room: 'lobby', data: { text: 'hi' }, clientMsgId: 'c-1' })).toEqual({
      action: 'sendMessage',
      room: 'lobby',
      data: { text: 'hi' },
      clientMsgId: 'c-1',
    });
  });

  it('sendMessage to a user, without a clientMsgId', () => {
    expect(parsed('sendMessage', { to: 'alice', data: 'hello' })).toEqual({
      action: 'sendMessage',
      to: 'alice',
      data: 'hello',
    });
  });

  it.each<[string, unknown]>([
    ['a string', 'text'],
    ['a number', 3.5],
    ['zero', 0],
    ['false', false],
    ['null', null],
    ['an array', [1, 'two', { three: 3 }]],
    ['a nested object', { a: { b: [true, null] } }],
  ])('sendMessage accepts any JSON data: %s', (_label, data) => {
    expect(parsed('sendMessage', { room: 'lobby', data })).toEqual({ action: 'sendMessage', room: 'lobby', data });
  });

  it('sendMessage accepts a clientMsgId of exactly 128 characters', () => {
    const clientMsgId = 'x'.repeat(128);
    expect(parsed('sendMessage', { room: 'lobby', data: 1, clientMsgId })).toMatchObject({ clientMsgId });
  });

  it.each(ALL_ACTIONS)('%s tolerates extra unknown fields', (action) => {
    const base: Record<string, unknown> = action === 'ping' ? {} : action === 'sendMessage' ? { room: 'r', data: 1 } : { room: 'r' };
    const result = clientFrameSchemas[action].safeParse({ action, ...base, extra: 'field', version: 2, nested: { x: 1 } });
    expect(result.success).toBe(true);
  });
});

describe('room names', () => {
  describe.each(ROOM_ACTIONS)('%s', (action) => {
    const extras = ROOM_ACTION_EXTRAS[action];

    it.each([
      ['a single character', 'a'],
      ['exactly 64 characters', 'r'.repeat(64)],
      ['the allowed punctuation _ . : -', 'a_b.c:d-e'],
      ['only punctuation', '_.:-'],
      ['digits and mixed case', 'Room42'],
      ['a private room', 'private-team'],
    ])('accepts %s', (_label, room) => {
      expect(parsed(action, { ...extras, room })).toMatchObject({ action, room });
    });

    it.each<[string, Record<string, unknown>]>([
      ['missing', {}],
      ['empty', { room: '' }],
      ['65 characters', { room: 'r'.repeat(65) }],
      ['containing a space', { room: 'a b' }],
      ['containing #', { room: 'a#b' }],
      ['containing a slash', { room: 'a/b' }],
      ['non-ASCII', { room: 'é' }],
      ['with a trailing newline', { room: 'lobby\n' }],
      ['a number', { room: 5 }],
      ['null', { room: null }],
      ['an array', { room: ['lobby'] }],
      ['an object', { room: { name: 'lobby' } }],
    ])('rejects a room that is %s, naming the field', (_label, frame) => {
      expect(failureText(action, { ...extras, ...frame })).toMatch(/\broom\b/);
    });
  });

  it('explains the allowed room characters', () => {
    expect(failureText('joinRoom', { room: 'a b' })).toBe('room: must be 1-64 characters of A-Z a-z 0-9 _ . : -');
  });

  it('says a non-string room must be a string', () => {
    expect(failureText('joinRoom', { room: 5 })).toBe('room: must be a string');
  });

  it('rejects a bad room in sendMessage too', () => {
    expect(failureText('sendMessage', { room: 'a b', data: 1 })).toMatch(/^room: /);
    expect(failureText('sendMessage', { room: '', data: 1 })).toMatch(/^room: /);
    expect(failureText('sendMessage', { room: 'r'.repeat(65), data: 1 })).toMatch(/^room: /);
  });
});

describe('sendMessage', () => {
  it('rejects both room and to', () => {
    expect(failureText('sendMessage', { room: 'lobby', to: 'alice', data: 1 })).toMatch(/room.*\bto\b/);
  });

  it('rejects neither room nor to', () => {
    expect(failureText('sendMessage', { data: 1 })).toMatch(/room.*\bto\b/);
  });

  it('rejects missing data, naming the field', () => {
    expect(failureText('sendMessage', { room: 'lobby' })).toMatch(/\bdata\b/);
  });

  it('rejects data that is not JSON, naming the field', () => {
    expect(failureText('sendMessage', { room: 'lobby', data: () => 1 })).toMatch(/\bdata\b/);
  });

  it('accepts data nested 64 levels deep and rejects 65, naming the limit', () => {
    const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(parsed('sendMessage', { room: 'lobby', data: nested(64) })).toMatchObject({ room: 'lobby' });
    expect(failureText('sendMessage', { room: 'lobby', data: nested(65) })).toMatch(/data.*nested at most 64 levels/);
  });

  // Found by the fuzz test: z.json() recursed once per level and overflowed its stack.
  it('rejects data nested 15,000 levels deep (a 32 KiB frame) without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(15_000)}${']'.repeat(15_000)}`) as unknown;
    const result = clientFrameSchemas.sendMessage.safeParse({ action: 'sendMessage', room: 'lobby', data: deep });
    expect(result.success).toBe(false);
    expect(result.error && describeIssues(result.error)).toMatch(/nested at most 64 levels/);
    expect(serverFrameSchema.safeParse({ type: 'message', id: 'i', from: { userId: 'u', name: 'u' }, data: deep, sentAt: 'now' }).success).toBe(false);
  });

  it('rejects data that is not plain JSON (undefined inside, NaN, a class instance)', () => {
    for (const data of [{ a: undefined }, [Number.NaN], new Date(0)]) {
      expect(failureText('sendMessage', { room: 'lobby', data })).toMatch(/\bdata\b/);
    }
  });

  it('rejects an empty to, naming the field', () => {
    expect(failureText('sendMessage', { to: '', data: 1 })).toMatch(/\bto\b/);
  });

  it('rejects a non-string to, naming the field', () => {
    expect(failureText('sendMessage', { to: 7, data: 1 })).toMatch(/\bto\b/);
  });

  it('rejects a clientMsgId over 128 characters, naming the field', () => {
    expect(failureText('sendMessage', { room: 'lobby', data: 1, clientMsgId: 'x'.repeat(129) })).toMatch(/\bclientMsgId\b/);
  });

  it('rejects a non-string clientMsgId, naming the field', () => {
    expect(failureText('sendMessage', { room: 'lobby', data: 1, clientMsgId: 12 })).toMatch(/\bclientMsgId\b/);
  });

  it('rejects an empty clientMsgId, naming the field', () => {
    expect(failureText('sendMessage', { room: 'lobby', data: 1, clientMsgId: '' })).toMatch(/\bclientMsgId\b/);
  });

  it('rejects a frame whose action is not sendMessage', () => {
    const result = clientFrameSchemas.sendMessage.safeParse({ action: 'joinRoom', room: 'lobby', data: 1 });
    expect(result.success).toBe(false);
    expect(result.error === undefined ? '' : describeIssues(result.error)).toMatch(/^action: /);
  });
});

describe('history afterSeq', () => {
  it.each<[string, unknown]>([
    ['negative', -1],
    ['fractional', 1.5],
    ['a numeric string', '3'],
    ['null', null],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('rejects an afterSeq that is %s, naming the field', (_label, afterSeq) => {
    expect(failureText('history', { room: 'lobby', afterSeq })).toMatch(/\bafterSeq\b/);
  });

  it('accepts a large whole afterSeq', () => {
    expect(parsed('history', { room: 'lobby', afterSeq: 1_000_000_000_000 })).toMatchObject({ afterSeq: 1_000_000_000_000 });
  });
});

describe('requestRefOf', () => {
  it('takes a valid room and clientMsgId from a frame, whatever else it holds', () => {
    expect(requestRefOf({ action: 'sendMessage', room: 'lobby', clientMsgId: 'c-1', data: 1, to: 'x' })).toEqual({
      room: 'lobby',
      clientMsgId: 'c-1',
    });
  });

  it.each<[string, unknown]>([
    ['not an object', 'hello'],
    ['null', null],
    ['an array', ['lobby']],
    ['an invalid room and a numeric clientMsgId', { room: 'no spaces', clientMsgId: 7 }],
    ['an empty clientMsgId', { clientMsgId: '' }],
    ['an over-long clientMsgId', { clientMsgId: 'x'.repeat(129) }],
  ])('takes nothing from %s', (_label, frame) => {
    expect(requestRefOf(frame)).toEqual({});
  });

  it('keeps the valid field when the other is invalid', () => {
    expect(requestRefOf({ room: 'a b', clientMsgId: 'ok' })).toEqual({ clientMsgId: 'ok' });
    expect(requestRefOf({ room: 'ok', clientMsgId: '' })).toEqual({ room: 'ok' });
  });
});

describe('describeIssues', () => {
  it('joins several issues with "; ", each prefixed by its field', () => {
    const text = failureText('history', { room: 'a b', afterSeq: -1 });
    expect(text.split('; ')).toEqual([
      'room: must be 1-64 characters of A-Z a-z 0-9 _ . : -',
      'afterSeq: must not be negative',
    ]);
  });
});

describe('serverFrameSchema', () => {
  const alice = { userId: 'alice', name: 'Alice' };
  const message = {
    type: 'message',
    room: 'lobby',
    id: 'm-1',
    seq: 1,
    from: alice,
    data: { text: 'hi' },
    sentAt: '2024-01-02T03:04:05.678Z',
  };

  it.each<[string, Record<string, unknown>]>([
    ['joined', { type: 'joined', room: 'lobby', members: [alice], lastSeq: 0 }],
    ['left', { type: 'left', room: 'lobby' }],
    ['user_joined', { type: 'user_joined', room: 'lobby', user: alice, count: 2 }],
    ['user_left', { type: 'user_left', room: 'lobby', user: alice, count: 0 }],
    ['message (room)', message],
    ['message (private)', { type: 'message', id: 'm-2', from: alice, data: 'psst', sentAt: '2024-01-02T03:04:05Z' }],
    ['message (system push)', { ...message, from: { userId: 'system', name: 'system' } }],
    ['ack', { type: 'ack', clientMsgId: 'c-1', id: 'm-1', seq: 1 }],
    ['ack (private, no seq)', { type: 'ack', id: 'm-2' }],
    ['typing', { type: 'typing', room: 'lobby', user: alice }],
    ['members', { type: 'members', room: 'lobby', members: [{ ...alice, connections: 2 }] }],
    ['history', { type: 'history', room: 'lobby', messages: [message] }],
    ['history (empty)', { type: 'history', room: 'lobby', messages: [] }],
    ['pong', { type: 'pong', at: '2024-01-02T03:04:05.000Z' }],
    ['error', { type: 'error', code: 'BAD_REQUEST', message: 'room: must be a string', requestId: 'req-1', action: 'joinRoom' }],
    ['error (no action)', { type: 'error', code: 'UNKNOWN_ACTION', message: 'unknown action', requestId: 'req-1' }],
    ['error (connection unusable)', { type: 'error', code: 'FORBIDDEN', message: 'm', requestId: 'r', reconnect: true }],
    [
      'error (rate limited, naming the send)',
      { type: 'error', code: 'RATE_LIMITED', message: 'm', requestId: 'r', action: 'sendMessage', room: 'lobby', clientMsgId: 'c-1', retryAfterMs: 1500 },
    ],
  ])('accepts a well-formed %s frame', (_label, frame) => {
    expect(serverFrameSchema.safeParse(frame).success).toBe(true);
  });

  it.each(ERROR_CODES)('accepts error code %s', (code) => {
    expect(serverFrameSchema.safeParse({ type: 'error', code, message: 'm', requestId: 'r' }).success).toBe(true);
  });

  it('lists exactly the error codes of docs/protocol.md', () => {
    expect([...ERROR_CODES].sort()).toEqual(
      ['BAD_REQUEST', 'UNKNOWN_ACTION', 'FORBIDDEN', 'NOT_IN_ROOM', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'INTERNAL'].sort(),
    );
  });

  it('rejects an error frame with an unknown code', () => {
    const result = serverFrameSchema.safeParse({ type: 'error', code: 'TEAPOT', message: 'm', requestId: 'r' });
    expect(result.success).toBe(false);
    expect(result.error === undefined ? '' : describeIssues(result.error)).toMatch(/^code: /);
  });

  it('rejects an unknown frame type', () => {
    expect(serverFrameSchema.safeParse({ type: 'shout', room: 'lobby' }).success).toBe(false);
  });

  it('rejects a message whose sentAt is not ISO 8601', () => {
    expect(serverFrameSchema.safeParse({ ...message, sentAt: 'yesterday' }).success).toBe(false);
  });

  it('rejects a members entry with zero connections', () => {
    expect(
      serverFrameSchema.safeParse({ type: 'members', room: 'lobby', members: [{ ...alice, connections: 0 }] }).success,
    ).toBe(false);
  });
});
