import { describe, expect, it } from 'vitest';
import { fromAuthorizerContext, mayEnterRoom, toAuthorizerContext, type Identity } from '../../lambdas/core/identity.js';

const alice: Identity = {
  userId: 'alice',
  name: 'Alice Liddell',
  allowedRooms: ['private-team', 'private-ops'],
  roles: ['admin', 'support'],
  tokenExpiresAt: 1_900_000_000,
};

describe('toAuthorizerContext', () => {
  it('flattens lists comma-joined and keeps tokenExpiresAt', () => {
    expect(toAuthorizerContext(alice)).toEqual({
      userId: 'alice',
      name: 'Alice Liddell',
      rooms: 'private-team,private-ops',
      roles: 'admin,support',
      tokenExpiresAt: 1_900_000_000,
    });
  });

  it('holds only strings and numbers (what API Gateway passes on)', () => {
    for (const value of Object.values(toAuthorizerContext(alice))) {
      expect(['string', 'number']).toContain(typeof value);
    }
  });

  it('leaves tokenExpiresAt out when the token has no exp', () => {
    const context = toAuthorizerContext({ userId: 'bob', name: 'bob', allowedRooms: [], roles: [] });
    expect(context).toEqual({ userId: 'bob', name: 'bob', rooms: '', roles: '' });
    expect(Object.hasOwn(context, 'tokenExpiresAt')).toBe(false);
  });
});

describe('fromAuthorizerContext', () => {
  it('round-trips an identity', () => {
    expect(fromAuthorizerContext(toAuthorizerContext(alice))).toEqual(alice);
  });

  it('round-trips an identity with empty lists and no expiry', () => {
    const bob: Identity = { userId: 'bob', name: 'Bob', allowedRooms: [], roles: [] };
    const back = fromAuthorizerContext(toAuthorizerContext(bob));
    expect(back).toEqual(bob);
    expect(Object.hasOwn(back ?? {}, 'tokenExpiresAt')).toBe(false);
  });

  it('round-trips the "*" room grant', () => {
    const root: Identity = { userId: 'root', name: 'root', allowedRooms: ['*'], roles: ['admin'] };
    expect(fromAuthorizerContext(toAuthorizerContext(root))).toEqual(root);
  });

  it('reads a tokenExpiresAt that arrives as a string', () => {
    expect(fromAuthorizerContext({ userId: 'alice', tokenExpiresAt: '1900000000' })?.tokenExpiresAt).toBe(1_900_000_000);
  });

  it('ignores an unusable tokenExpiresAt', () => {
    for (const tokenExpiresAt of ['soon', 0, -5, '', null]) {
      const identity = fromAuthorizerContext({ userId: 'alice', tokenExpiresAt });
      expect(identity?.tokenExpiresAt).toBeUndefined();
    }
  });

  it('splits lists, trimming blanks and empty items', () => {
    expect(fromAuthorizerContext({ userId: 'alice', rooms: ' private-a , ,private-b,', roles: 'admin' })).toMatchObject({
      allowedRooms: ['private-a', 'private-b'],
      roles: ['admin'],
    });
  });

  it('treats missing or non-string lists as empty', () => {
    expect(fromAuthorizerContext({ userId: 'alice', rooms: 3, roles: true })).toMatchObject({ allowedRooms: [], roles: [] });
    expect(fromAuthorizerContext({ userId: 'alice' })).toMatchObject({ allowedRooms: [], roles: [] });
  });

  it.each<[string, Parameters<typeof fromAuthorizerContext>[0]]>([
    ['no context', undefined],
    ['a null context', null],
    ['an empty context', {}],
    ['a missing userId', { name: 'Alice' }],
    ['an empty userId', { userId: '', name: 'Alice' }],
    ['a null userId', { userId: null, name: 'Alice' }],
    ['a numeric userId', { userId: 42, name: 'Alice' }],
  ])('is undefined for %s', (_label, context) => {
    expect(fromAuthorizerContext(context)).toBeUndefined();
  });

  it.each<[string, Record<string, string | number | undefined>]>([
    ['missing', {}],
    ['empty', { name: '' }],
    ['not a string', { name: 7 }],
  ])('defaults the name to the userId when it is %s', (_label, extra) => {
    expect(fromAuthorizerContext({ userId: 'alice', ...extra })?.name).toBe('alice');
  });
});

describe('mayEnterRoom', () => {
  it('lets anyone into a public room', () => {
    expect(mayEnterRoom({ allowedRooms: [] }, 'lobby')).toBe(true);
    expect(mayEnterRoom({ allowedRooms: ['private-x'] }, 'general')).toBe(true);
  });

  it('treats rooms that merely contain "private" as public', () => {
    expect(mayEnterRoom({ allowedRooms: [] }, 'privateer')).toBe(true);
    expect(mayEnterRoom({ allowedRooms: [] }, 'team-private-x')).toBe(true);
  });

  it('lets a user into a private room named in rooms', () => {
    expect(mayEnterRoom({ allowedRooms: ['private-x'] }, 'private-x')).toBe(true);
    expect(mayEnterRoom({ allowedRooms: ['private-a', 'private-x'] }, 'private-x')).toBe(true);
  });

  it('lets a user with "*" into every private room', () => {
    expect(mayEnterRoom({ allowedRooms: ['*'] }, 'private-x')).toBe(true);
    expect(mayEnterRoom({ allowedRooms: ['private-a', '*'] }, 'private-anything')).toBe(true);
  });

  it('keeps a user out of a private room not named in rooms', () => {
    expect(mayEnterRoom({ allowedRooms: [] }, 'private-x')).toBe(false);
    expect(mayEnterRoom({ allowedRooms: ['private-y'] }, 'private-x')).toBe(false);
    expect(mayEnterRoom({ allowedRooms: ['private-'] }, 'private-x')).toBe(false);
    expect(mayEnterRoom({ allowedRooms: ['private-xy'] }, 'private-x')).toBe(false);
    expect(mayEnterRoom({ allowedRooms: ['x'] }, 'private-x')).toBe(false);
  });

  it('does not match a private room by prefix or case', () => {
    expect(mayEnterRoom({ allowedRooms: ['private-x'] }, 'private-xy')).toBe(false);
    expect(mayEnterRoom({ allowedRooms: ['private-X'] }, 'private-x')).toBe(false);
  });

  it('applies to an identity read back from an authorizer context', () => {
    const identity = fromAuthorizerContext({ userId: 'alice', rooms: 'private-x' }) ?? { allowedRooms: [] };
    expect(mayEnterRoom(identity, 'private-x')).toBe(true);
    expect(mayEnterRoom(identity, 'private-y')).toBe(false);
  });
});
