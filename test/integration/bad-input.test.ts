import { describe, expect, it } from 'vitest';
import { routes } from '../../lib/routes.js';
import { loadHandler } from '../../local/routing.js';
import { lambdaContext, messageEvent } from '../support/events.js';
import { TestConnection } from '../support/test-connection.js';

describe('$default', () => {
  it.each([
    ['malformed JSON', '{"action": "joinRoom", ', 'BAD_REQUEST', /not valid JSON/],
    ['plain text', 'hello', 'BAD_REQUEST', /not valid JSON/],
    ['a JSON array', '[1, 2]', 'BAD_REQUEST', /JSON object/],
    ['JSON null', 'null', 'BAD_REQUEST', /JSON object/],
    ['no action', '{"room": "x"}', 'BAD_REQUEST', /must carry an action/],
    ['a numeric action', '{"action": 7}', 'BAD_REQUEST', /must carry an action/],
    ['an empty body', '', 'BAD_REQUEST', /not valid JSON/],
  ])('answers %s with %s', async (_description, body, code, message) => {
    const conn = await TestConnection.open('amy');
    const reply = await conn.send(body);
    expect(reply).toEqual({ type: 'error', code, message: expect.stringMatching(message), requestId: expect.any(String) });
    await conn.disconnect();
  });

  it('answers an unknown action with UNKNOWN_ACTION and names it', async () => {
    const conn = await TestConnection.open('bea');
    expect(await conn.send({ action: 'fly', room: 'x' })).toEqual({
      type: 'error',
      code: 'UNKNOWN_ACTION',
      message: 'unknown action fly',
      requestId: expect.any(String),
      action: 'fly',
    });
  });

  it('routes "$connect" sent as an action to $default, not to the connect route', async () => {
    const conn = await TestConnection.open('cal');
    expect(await conn.send({ action: '$connect' })).toMatchObject({ type: 'error', code: 'UNKNOWN_ACTION' });
  });
});

describe('every message route', () => {
  const messageRoutes = routes.filter((route) => !route.routeKey.startsWith('$'));

  it.each(messageRoutes.map((route) => [route.routeKey, route] as const))(
    '%s answers a body that is not JSON with a BAD_REQUEST frame instead of throwing',
    async (routeKey, route) => {
      const conn = await TestConnection.open(`dan-${routeKey}`);
      const handler = await loadHandler(route);

      const result = await handler(messageEvent(conn.connectionId, routeKey, '{oops'), lambdaContext);

      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'error', code: 'BAD_REQUEST', action: routeKey });
    },
  );

  it.each(messageRoutes.map((route) => [route.routeKey] as const))(
    '%s answers a connection that never connected with FORBIDDEN and tells it to reconnect',
    async (routeKey) => {
      const stranger = new TestConnection({ userId: 'eve', name: 'eve', allowedRooms: [], roles: [] });
      const frame = { action: routeKey, room: 'r', data: 1, afterSeq: 0 };
      expect(await stranger.send(frame)).toMatchObject({
        type: 'error',
        code: 'FORBIDDEN',
        message: expect.stringMatching(/not registered/),
        action: routeKey,
        reconnect: true,
      });
    },
  );
});
