import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { InvalidToken, verifyToken } from '../../../lambdas/core/auth/verify-token.js';
import { DEV_JWT_SECRET, mintDevToken } from '../../../local/dev-token.js';
import { reasonOf as reasonOfToken } from '../../support/auth-cold-start.js';

// The auth config is read when verify-token.ts loads, i.e. before any import
// above is evaluated; vi.hoisted is what runs earlier still.
const { SECRET } = await vi.hoisted(async () => {
  const SECRET = 'unit-test-secret-that-is-long-enough-for-hs256';
  const { setAuthEnv } = await import('../../support/auth-cold-start.js');
  setAuthEnv({ JWT_SECRET: SECRET });
  return { SECRET };
});

const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));
const key = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(claims: JWTPayload, secret = SECRET, alg = 'HS256'): Promise<string> {
  // Every token needs an `exp`; a test about one without passes `exp: undefined`.
  return new SignJWT({ exp: now() + 600, ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).sign(key(secret));
}

const reasonOf = (token: string) => reasonOfToken({ verifyToken, InvalidToken }, token);

describe('verifyToken: valid tokens', () => {
  it('maps the claims to an identity', async () => {
    const exp = now() + 3600;
    const token = await sign({ sub: 'alice', name: 'Alice', rooms: ['private-a', '*'], roles: ['admin'], exp });
    await expect(verifyToken(token)).resolves.toStrictEqual({
      userId: 'alice',
      name: 'Alice',
      allowedRooms: ['private-a', '*'],
      roles: ['admin'],
      tokenExpiresAt: exp,
    });
  });

  it('defaults name to sub and lists to empty', async () => {
    const exp = now() + 600;
    await expect(verifyToken(await sign({ sub: 'bob', exp }))).resolves.toStrictEqual({
      userId: 'bob',
      name: 'bob',
      allowedRooms: [],
      roles: [],
      tokenExpiresAt: exp,
    });
  });

  it('refuses a token without exp: it would hold a connection open for good', async () => {
    expect(await reasonOf(await sign({ sub: 'bob', exp: undefined }))).toBe('invalid-claims');
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['an empty string', ''],
    ['an object', { first: 'Bob' }],
  ])('defaults name to sub when name is %s', async (_label, name) => {
    const identity = await verifyToken(await sign({ sub: 'bob', name }));
    expect(identity.name).toBe('bob');
  });

  it.each<[string, unknown]>([
    ['a string', 'private-a'],
    ['a number', 7],
    ['an object', { 0: 'private-a' }],
    ['null', null],
  ])('treats rooms and roles that are %s as empty', async (_label, value) => {
    const identity = await verifyToken(await sign({ sub: 'bob', rooms: value, roles: value }));
    expect(identity.allowedRooms).toStrictEqual([]);
    expect(identity.roles).toStrictEqual([]);
  });

  it('drops list entries that are not strings, are empty, or contain a comma', async () => {
    const token = await sign({
      sub: 'bob',
      rooms: ['private-a', 'private-b,private-c', 3, null, '', 'private-d'],
      roles: ['admin,owner', 'reader', { role: 'x' }],
    });
    const identity = await verifyToken(token);
    expect(identity.allowedRooms).toStrictEqual(['private-a', 'private-d']);
    expect(identity.roles).toStrictEqual(['reader']);
  });

  it('accepts a token expired within the default 5 s clock tolerance', async () => {
    const identity = await verifyToken(await sign({ sub: 'bob', exp: now() - 2 }));
    expect(identity.userId).toBe('bob');
  });

  it('accepts a token whose nbf is within the clock tolerance', async () => {
    const identity = await verifyToken(await sign({ sub: 'bob', nbf: now() + 2 }));
    expect(identity.userId).toBe('bob');
  });

  it('accepts any iss and aud when none is configured', async () => {
    const identity = await verifyToken(await sign({ sub: 'bob', iss: 'someone', aud: 'something' }));
    expect(identity.userId).toBe('bob');
  });
});

describe('verifyToken: refusals', () => {
  it('refuses an empty token as missing', async () => {
    expect(await reasonOf('')).toBe('missing');
  });

  it.each(['garbage', 'a.b.c', 'a.b', '...', `${b64url({ alg: 'HS256' })}.${Buffer.from('[1]').toString('base64url')}.x`])(
    'refuses %j as malformed',
    async (token) => {
      expect(await reasonOf(token)).toBe('malformed');
    },
  );

  it('refuses a tampered payload that keeps the original signature', async () => {
    const [header, , signature] = (await sign({ sub: 'alice', roles: [] })).split('.');
    const forged = `${header}.${b64url({ sub: 'alice', roles: ['admin'] })}.${signature}`;
    expect(await reasonOf(forged)).toBe('bad-signature');
  });

  it('refuses an unsecured (alg: none) token', async () => {
    const unsecured = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'alice', exp: now() + 60 })}.`;
    expect(await reasonOf(unsecured)).toBe('algorithm-not-allowed');
  });

  it('refuses HS256 signed with another secret', async () => {
    expect(await reasonOf(await sign({ sub: 'alice' }, 'a-different-secret-that-is-also-long-enough'))).toBe('bad-signature');
  });

  it('refuses HS384 even with the right secret (algorithms are pinned)', async () => {
    expect(await reasonOf(await sign({ sub: 'alice' }, SECRET, 'HS384'))).toBe('algorithm-not-allowed');
  });

  it('refuses an RS256 token', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await reasonOf(token)).toBe('algorithm-not-allowed');
  });

  it('refuses a token expired beyond the clock tolerance', async () => {
    expect(await reasonOf(await sign({ sub: 'alice', exp: now() - 60 }))).toBe('expired');
  });

  it('refuses a token not yet valid (nbf in the future)', async () => {
    expect(await reasonOf(await sign({ sub: 'alice', nbf: now() + 600 }))).toBe('not-yet-valid');
  });

  it('refuses a token whose exp is not a number', async () => {
    expect(await reasonOf(await sign({ sub: 'alice', exp: 'tomorrow' as unknown as number }))).toBe('invalid-claims');
  });

  it.each<[string, JWTPayload]>([
    ['no sub', { name: 'Alice' }],
    ['an empty sub', { sub: '' }],
    ['a numeric sub', { sub: 42 as unknown as string }],
  ])('refuses a token with %s', async (_label, claims) => {
    expect(await reasonOf(await sign(claims))).toBe('missing-sub');
  });

  it('refuses a token over 8 KiB unread, even one validly signed', async () => {
    const oversized = await sign({ sub: 'alice', padding: 'p'.repeat(8 * 1024) });
    expect(await reasonOf(oversized)).toBe('malformed');
  });

  it('cuts a display name to 64 characters rather than refusing it', async () => {
    expect(await verifyToken(await sign({ sub: 'alice', name: 'n'.repeat(500) }))).toMatchObject({ name: 'n'.repeat(64) });
  });

  it('refuses sub "system", the reserved sender of server pushes', async () => {
    expect(await reasonOf(await sign({ sub: 'system' }))).toBe('reserved-sub');
  });

  it('refuses a sub longer than a user id may be (128 characters)', async () => {
    expect(await reasonOf(await sign({ sub: 'u'.repeat(129) }))).toBe('invalid-claims');
    expect(await verifyToken(await sign({ sub: 'u'.repeat(128) }))).toMatchObject({ userId: 'u'.repeat(128) });
  });

  it('never puts the token into the error', async () => {
    const token = await sign({ sub: 'alice', exp: now() - 60 });
    const error = await verifyToken(token).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidToken);
    expect((error as InvalidToken).message).toBe('invalid token: expired');
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String((error as InvalidToken).stack)).not.toContain(token);
  });
});

describe('mintDevToken', () => {
  it('round-trips through verifyToken', async () => {
    const before = now();
    const token = await mintDevToken({ userId: 'carol', name: 'Carol', rooms: ['private-x'], roles: ['admin'] }, SECRET);
    const identity = await verifyToken(token);
    expect(identity).toMatchObject({ userId: 'carol', name: 'Carol', allowedRooms: ['private-x'], roles: ['admin'] });
    // Default lifetime: 12 hours.
    expect(identity.tokenExpiresAt).toBeGreaterThanOrEqual(before + 12 * 3600);
    expect(identity.tokenExpiresAt).toBeLessThanOrEqual(now() + 12 * 3600);
  });

  it('signs with JWT_SECRET from the environment by default', async () => {
    const identity = await verifyToken(await mintDevToken({ userId: 'dave' }));
    expect(identity).toMatchObject({ userId: 'dave', name: 'dave', allowedRooms: [], roles: [] });
  });

  it('honours expiresIn', async () => {
    const identity = await verifyToken(await mintDevToken({ userId: 'erin', expiresIn: '2h' }, SECRET));
    expect(identity.tokenExpiresAt).toBeGreaterThan(now() + 2 * 3600 - 10);
    expect(identity.tokenExpiresAt).toBeLessThanOrEqual(now() + 2 * 3600);
  });

  it('mints an expired token for a negative span, which verifyToken refuses', async () => {
    expect(await reasonOf(await mintDevToken({ userId: 'erin', expiresIn: '-1h' }, SECRET))).toBe('expired');
  });

  it('signed with DEV_JWT_SECRET is refused by a verifier holding another secret', async () => {
    expect(await reasonOf(await mintDevToken({ userId: 'eve' }, DEV_JWT_SECRET))).toBe('bad-signature');
  });
});

describe('npm run token (local/token.ts)', () => {
  function runCli(args: string[]) {
    return spawnSync('npx', ['tsx', 'local/token.ts', ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, JWT_SECRET: SECRET },
      timeout: 30_000,
    });
  }

  it('prints only a token that verifies, carrying the arguments', { timeout: 30_000 }, async () => {
    const result = runCli(['alice', 'Alice', '--rooms', 'private-a,private-b', '--admin']);
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    const identity = await verifyToken(lines[0] ?? '');
    expect(identity).toMatchObject({
      userId: 'alice',
      name: 'Alice',
      allowedRooms: ['private-a', 'private-b'],
      roles: ['admin'],
    });
  });

  it.each([[[]], [['alice', '--bogus']], [['alice', 'Alice', 'extra']], [['alice', '--expires', 'soon']]])(
    'exits 2 with a message on stderr and nothing on stdout for %j',
    { timeout: 30_000 },
    (args) => {
      const result = runCli(args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('usage: npm run token');
    },
  );
});
