import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvalidTokenReason } from '../../../lambdas/core/auth/verify-token.js';
import { DENY, METHOD_ARN, coldStartAuthorizer, connectEvent, reasonOf, restoreAuthEnv, savedAuthEnv, type AuthEnv, type LoadedAuthorizer } from '../../support/auth-cold-start.js';

// The auth config is read when verify-token.ts loads, so every test group sets
// the environment first and then imports fresh modules (`load` below). A fresh
// load is also a fresh container: a new JWKS cache, so fetches can be counted.

const ISSUER = 'https://issuer.test/pool-1';
const AUDIENCE = 'app-client-1';
const savedEnv = savedAuthEnv();

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
type PublicKey = Awaited<ReturnType<typeof generateKeyPair>>['publicKey'];

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
  readonly jwk: JWK;
}

async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  // Shaped like a Cognito user pool's published keys.
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

type Answer = 'keys' | 'server-error' | 'not-json' | 'not-a-key-set' | 'redirect';

/** A JWKS endpoint whose published keys and answers the tests change as they go. */
const jwks = {
  url: '',
  keys: [] as JWK[],
  answer: 'keys' as Answer,
  fetches: 0,
};

function answerJwks(response: ServerResponse): void {
  switch (jwks.answer) {
    case 'keys':
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks.keys }));
      return;
    case 'server-error':
      response.writeHead(503).end();
      return;
    case 'not-json':
      response.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
      return;
    case 'not-a-key-set':
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: 'none' }));
      return;
    case 'redirect':
      response.writeHead(302, { location: 'https://elsewhere.test/jwks.json' }).end();
      return;
  }
}

const server = createServer((request, response) => {
  if (request.url !== '/pool-1/.well-known/jwks.json') {
    response.writeHead(404).end();
    return;
  }
  jwks.fetches += 1;
  answerJwks(response);
});

let rsaA: SigningKey;
let ecA: SigningKey;
let rsaB: SigningKey;
let stranger: SigningKey;
let deadUrl: string;

beforeAll(async () => {
  [rsaA, ecA, rsaB, stranger] = await Promise.all([
    signingKey('RS256', 'rsa-a'),
    signingKey('ES256', 'ec-a'),
    signingKey('RS256', 'rsa-b'),
    signingKey('RS256', 'stranger'),
  ]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwks.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pool-1/.well-known/jwks.json`;

  // A port that was just free: nothing answers there.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  restoreAuthEnv(savedEnv);
  vi.resetModules();
});

beforeEach(() => {
  jwks.keys = [rsaA.jwk, ecA.jwk];
  jwks.answer = 'keys';
  jwks.fetches = 0;
  vi.restoreAllMocks();
});

/** A cold start with these settings (plus the JWKS URL and issuer unless overridden). */
async function load(env: AuthEnv = {}): Promise<LoadedAuthorizer> {
  return coldStartAuthorizer({ JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, ...env });
}

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(key: SigningKey, claims: JWTPayload = {}, kid: string = key.kid): Promise<string> {
  return new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid, typ: 'JWT' })
    .sign(key.privateKey);
}

function hs256(claims: JWTPayload, secret: string): Promise<string> {
  return new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, ...claims })
    .setProtectedHeader({ alg: 'HS256', kid: rsaA.kid })
    .sign(new TextEncoder().encode(secret));
}

describe('JWKS mode: which tokens pass', () => {
  let auth: LoadedAuthorizer;
  beforeAll(async () => {
    auth = await load({ JWT_AUDIENCE: AUDIENCE });
  });

  it('accepts an RS256 token with the right iss and aud, and maps its claims', async () => {
    const exp = now() + 300;
    const token = await sign(rsaA, { name: 'Alice', rooms: ['private-a', 'x,y'], roles: ['admin'], exp });
    await expect(auth.verifyToken(token)).resolves.toStrictEqual({
      userId: 'alice',
      name: 'Alice',
      allowedRooms: ['private-a'],
      roles: ['admin'],
      tokenExpiresAt: exp,
    });
  });

  it('accepts an ES256 token', async () => {
    await expect(auth.verifyToken(await sign(ecA, { sub: 'bob' }))).resolves.toMatchObject({ userId: 'bob', name: 'bob' });
  });

  it('accepts aud as a list that contains the audience', async () => {
    await expect(auth.verifyToken(await sign(rsaA, { aud: ['other', AUDIENCE] }))).resolves.toMatchObject({ userId: 'alice' });
  });

  it.each<[string, JWTPayload, InvalidTokenReason]>([
    ['a wrong iss', { iss: 'https://issuer.test/pool-2' }, 'wrong-issuer'],
    ['no iss', { iss: undefined }, 'wrong-issuer'],
    ['a wrong aud', { aud: 'another-client' }, 'wrong-audience'],
    ['no aud', { aud: undefined }, 'wrong-audience'],
    ['an exp beyond the clock tolerance', { exp: now() - 60 }, 'expired'],
    ['an nbf in the future', { nbf: now() + 600 }, 'not-yet-valid'],
    ['no sub', { sub: undefined }, 'missing-sub'],
    ['sub "system"', { sub: 'system' }, 'reserved-sub'],
    ['a 129-character sub', { sub: 'u'.repeat(129) }, 'invalid-claims'],
  ])('refuses %s', async (_label, claims, reason) => {
    expect(await reasonOf(auth, await sign(rsaA, claims))).toBe(reason);
  });

  it('refuses an HS256 token signed with some secret', async () => {
    expect(await reasonOf(auth, await hs256({}, 'some-secret-that-is-long-enough-for-hs256'))).toBe('algorithm-not-allowed');
  });

  it('refuses an HS256 token whose secret is the published public key (algorithm confusion)', async () => {
    expect(await reasonOf(auth, await hs256({}, await exportSPKI(rsaA.publicKey)))).toBe('algorithm-not-allowed');
  });

  it('refuses alg: none', async () => {
    const token = `${b64url({ alg: 'none', kid: rsaA.kid })}.${b64url({ sub: 'alice', iss: ISSUER, aud: AUDIENCE })}.`;
    expect(await reasonOf(auth, token)).toBe('algorithm-not-allowed');
  });

  it('refuses a token signed by another key under a published kid', async () => {
    expect(await reasonOf(auth, await sign(stranger, {}, rsaA.kid))).toBe('bad-signature');
  });

  it('refuses a tampered payload that keeps the original signature', async () => {
    const [header, , signature] = (await sign(rsaA)).split('.');
    const forged = `${header}.${b64url({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, roles: ['admin'] })}.${signature}`;
    expect(await reasonOf(auth, forged)).toBe('bad-signature');
  });

  it('refuses an ES256 token that names an RSA key’s kid', async () => {
    expect(await reasonOf(auth, await sign(ecA, {}, rsaA.kid))).toBe('bad-signature');
  });

  it('refuses a token without kid while several keys could match', async () => {
    jwks.keys = [rsaA.jwk, rsaB.jwk];
    const fresh = await load({ JWT_AUDIENCE: AUDIENCE });
    const token = await new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE }).setProtectedHeader({ alg: 'RS256' }).sign(rsaA.privateKey);
    expect(await reasonOf(fresh, token)).toBe('bad-signature');
  });

  it.each(['garbage', 'a.b.c'])('refuses %j as malformed without fetching the keys', async (token) => {
    const fresh = await load({ JWT_AUDIENCE: AUDIENCE });
    expect(await reasonOf(fresh, token)).toBe('malformed');
    expect(jwks.fetches).toBe(0);
  });
});

describe('JWKS mode: configuration', () => {
  it('accepts any aud when JWT_AUDIENCE is unset, but still requires the issuer', async () => {
    const auth = await load();
    await expect(auth.verifyToken(await sign(rsaA, { aud: 'whatever' }))).resolves.toMatchObject({ userId: 'alice' });
    await expect(auth.verifyToken(await sign(rsaA, { aud: undefined }))).resolves.toMatchObject({ userId: 'alice' });
    expect(await reasonOf(auth, await sign(rsaA, { iss: 'https://issuer.test/pool-2' }))).toBe('wrong-issuer');
  });

  it('pins the algorithms to JWT_ALGORITHMS', async () => {
    const auth = await load({ JWT_ALGORITHMS: 'ES256' });
    await expect(auth.verifyToken(await sign(ecA))).resolves.toMatchObject({ userId: 'alice' });
    expect(await reasonOf(auth, await sign(rsaA))).toBe('algorithm-not-allowed');
  });

  it('honours JWT_CLOCK_TOLERANCE_SECONDS', async () => {
    const strict = await load({ JWT_CLOCK_TOLERANCE_SECONDS: '0' });
    expect(await reasonOf(strict, await sign(rsaA, { exp: now() - 2 }))).toBe('expired');
    const lenient = await load();
    await expect(lenient.verifyToken(await sign(rsaA, { exp: now() - 2 }))).resolves.toMatchObject({ userId: 'alice' });
  });

  it('refuses to load without JWT_ISSUER', async () => {
    await expect(load({ JWT_ISSUER: '' })).rejects.toThrow('Environment variable JWT_ISSUER is required with JWT_JWKS_URL');
  });
});

describe('JWKS mode: caching and key rotation', () => {
  it('fetches the set once for many tokens with known kids, concurrent first ones included', async () => {
    const auth = await load();
    const first = await Promise.all([sign(rsaA), sign(ecA), sign(rsaA, { sub: 'bob' })].map(async (token) => auth.verifyToken(await token)));
    expect(first.map((identity) => identity.userId)).toStrictEqual(['alice', 'alice', 'bob']);
    await auth.verifyToken(await sign(rsaA));
    await auth.verifyToken(await sign(ecA));
    expect(jwks.fetches).toBe(1);
  });

  it('costs no fetch to refuse a token for its algorithm', async () => {
    const auth = await load();
    expect(await reasonOf(auth, await hs256({}, 'some-secret-that-is-long-enough-for-hs256'))).toBe('algorithm-not-allowed');
    expect(jwks.fetches).toBe(0);
  });

  it('refetches for an unknown kid and refuses the token when the kid is still unknown', async () => {
    const auth = await load({ JWT_JWKS_COOLDOWN_MS: '0' });
    await auth.verifyToken(await sign(rsaA));
    expect(jwks.fetches).toBe(1);
    expect(await reasonOf(auth, await sign(stranger))).toBe('bad-signature');
    expect(jwks.fetches).toBe(2);
  });

  it('does not refetch for an unknown kid within the cooldown', async () => {
    const auth = await load({ JWT_JWKS_COOLDOWN_MS: '60000' });
    await auth.verifyToken(await sign(rsaA));
    jwks.keys = [rsaA.jwk, rsaB.jwk];
    expect(await reasonOf(auth, await sign(rsaB))).toBe('bad-signature');
    expect(await reasonOf(auth, await sign(stranger))).toBe('bad-signature');
    expect(jwks.fetches).toBe(1);
  });

  it('accepts a token from a newly published key once the cooldown has passed', async () => {
    const auth = await load({ JWT_JWKS_COOLDOWN_MS: '50' });
    jwks.keys = [rsaA.jwk];
    await expect(auth.verifyToken(await sign(rsaA))).resolves.toMatchObject({ userId: 'alice' });
    expect(jwks.fetches).toBe(1);

    // The issuer rotates: key B is published next to A and starts signing.
    jwks.keys = [rsaA.jwk, rsaB.jwk];
    await new Promise((resolve) => setTimeout(resolve, 120));
    await expect(auth.verifyToken(await sign(rsaB, { sub: 'bob' }))).resolves.toMatchObject({ userId: 'bob' });
    expect(jwks.fetches).toBe(2);

    // Both keys are now cached: neither costs another fetch.
    await auth.verifyToken(await sign(rsaB));
    await auth.verifyToken(await sign(rsaA));
    expect(jwks.fetches).toBe(2);
  });
});

describe('JWKS mode: the key server fails', () => {
  it.each<[string, () => Promise<LoadedAuthorizer>]>([
    ['is down', () => load({ JWT_JWKS_URL: deadUrl })],
    [
      'answers 503',
      () => {
        jwks.answer = 'server-error';
        return load();
      },
    ],
    [
      'answers something that is not JSON',
      () => {
        jwks.answer = 'not-json';
        return load();
      },
    ],
    [
      'answers JSON that is not a key set',
      () => {
        jwks.answer = 'not-a-key-set';
        return load();
      },
    ],
    [
      'redirects (jose does not follow redirects)',
      () => {
        jwks.answer = 'redirect';
        return load();
      },
    ],
  ])('refuses as unverifiable when the server %s, and the handler denies', async (_label, setUp) => {
    const auth = await setUp();
    const token = await sign(rsaA);
    const error = await auth.verifyToken(token).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(auth.InvalidToken);
    expect((error as InstanceType<LoadedAuthorizer['InvalidToken']>).reason).toBe('unverifiable');
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String((error as Error).stack)).not.toContain(token);

    const logged = vi.spyOn(auth.logger, 'error');
    await expect(auth.handler(connectEvent(token))).resolves.toStrictEqual(DENY);
    expect(logged).toHaveBeenCalledWith(
      'connect denied',
      expect.objectContaining({ reason: 'unverifiable', cause: expect.arrayContaining([expect.stringContaining('KeyUnavailable')]) }),
    );
    expect(JSON.stringify(logged.mock.calls)).not.toContain(token);
  });

  it('does not remember a failed fetch: the next handshake fetches again and passes', async () => {
    jwks.answer = 'server-error';
    const auth = await load();
    const token = await sign(rsaA);
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    jwks.answer = 'keys';
    await expect(auth.verifyToken(token)).resolves.toMatchObject({ userId: 'alice' });
    expect(jwks.fetches).toBe(2);
  });
});

describe('JWKS mode: the authorizer handler', () => {
  let auth: LoadedAuthorizer;
  beforeAll(async () => {
    auth = await load({ JWT_AUDIENCE: AUDIENCE });
  });

  it('allows a good token with the identity as context', async () => {
    const result = await auth.handler(connectEvent(await sign(ecA, { name: 'Alice', roles: ['admin'] })));
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: METHOD_ARN });
    expect(result.context).toMatchObject({ userId: 'alice', name: 'Alice', roles: 'admin', rooms: '' });
  });

  it.each<[string, () => Promise<string>]>([
    ['an empty token', async () => ''],
    ['garbage', async () => 'garbage'],
    ['a wrong issuer', () => sign(rsaA, { iss: 'https://issuer.test/pool-2' })],
    ['an HS256 token', () => hs256({}, 'some-secret-that-is-long-enough-for-hs256')],
    ['an unknown kid', () => sign(stranger)],
  ])('denies %s without throwing and logs the reason, never the token', async (_label, makeToken) => {
    const token = await makeToken();
    const info = vi.spyOn(auth.logger, 'info');
    await expect(auth.handler(connectEvent(token))).resolves.toStrictEqual(DENY);
    expect(info).toHaveBeenCalledWith('connect denied', expect.objectContaining({ reason: expect.any(String) }));
    expect(token === '' || !JSON.stringify(info.mock.calls).includes(token)).toBe(true);
  });
});
