import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DENY, coldStartAuthorizer, connectEvent, reasonOf, restoreAuthEnv, savedAuthEnv, type AuthEnv, type LoadedAuthorizer } from '../support/auth-cold-start.js';

// There is no local Secrets Manager: aws-sdk-client-mock stands in for the
// service. The config is read when verify-token.ts loads and the secret is
// cached in that module, so each test imports fresh modules (a cold start).

const SECRET = 'secrets-manager-test-secret-long-enough-for-hs256';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:realtime/jwt-AbCdEf';
const savedEnv = savedAuthEnv();

const secretsManager = mockClient(SecretsManagerClient);

async function load(env: AuthEnv = {}): Promise<LoadedAuthorizer> {
  return coldStartAuthorizer({ JWT_SECRET_ARN: ARN, ...env });
}

beforeEach(() => {
  secretsManager.reset();
  vi.restoreAllMocks();
});

afterAll(() => {
  secretsManager.restore();
  restoreAuthEnv(savedEnv);
  vi.resetModules();
});

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const fetches = () => secretsManager.commandCalls(GetSecretValueCommand).length;

function sign(claims: JWTPayload = {}, secret = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT({ sub: 'alice', exp: now() + 300, ...claims }).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

describe('Secrets Manager mode: the secret', () => {
  it('is fetched once, by its ARN, across several verifications', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const auth = await load();
    await expect(auth.verifyToken(await sign({ name: 'Alice', rooms: ['private-a'] }))).resolves.toMatchObject({
      userId: 'alice',
      name: 'Alice',
      rooms: ['private-a'],
    });
    await auth.verifyToken(await sign({ sub: 'bob' }));
    await auth.verifyToken(await sign({ sub: 'carol' }));
    expect(fetches()).toBe(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toStrictEqual({ SecretId: ARN });
  });

  it('is fetched once for concurrent first handshakes', async () => {
    secretsManager.on(GetSecretValueCommand).callsFake(
      () => new Promise((resolve) => setTimeout(() => resolve({ SecretString: SECRET }), 20)),
    );
    const auth = await load();
    const tokens = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((sub) => sign({ sub })));
    const identities = await Promise.all(tokens.map((token) => auth.verifyToken(token)));
    expect(identities.map((identity) => identity.userId)).toStrictEqual(['alice', 'bob', 'carol', 'dave']);
    expect(fetches()).toBe(1);
  });

  it('is asked for in the region of its ARN', async () => {
    let region: string | undefined;
    secretsManager.on(GetSecretValueCommand).callsFake(async (_input, getClient: () => SecretsManagerClient) => {
      region = await getClient().config.region();
      return { SecretString: SECRET };
    });
    const auth = await load();
    await auth.verifyToken(await sign());
    expect(region).toBe('eu-west-1');
  });

  it('is not fetched for a token refused by its header', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const auth = await load();
    expect(await reasonOf(auth, await sign({}, SECRET, 'HS384'))).toBe('algorithm-not-allowed');
    expect(await reasonOf(auth, `${b64url({ alg: 'none' })}.${b64url({ sub: 'alice' })}.`)).toBe('algorithm-not-allowed');
    expect(await reasonOf(auth, 'garbage')).toBe('malformed');
    expect(fetches()).toBe(0);
  });

  it('after a failed fetch: unverifiable, then the next handshake fetches again and passes', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: SECRET });
    const auth = await load();
    const token = await sign();
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    await expect(auth.verifyToken(token)).resolves.toMatchObject({ userId: 'alice' });
    await auth.verifyToken(token);
    expect(fetches()).toBe(2);
  });

  it.each<[string, { SecretString?: string; SecretBinary?: Uint8Array }]>([
    ['shorter than 32 bytes', { SecretString: 'x'.repeat(31) }],
    ['empty', { SecretString: '' }],
    ['binary (no SecretString)', { SecretBinary: new TextEncoder().encode(SECRET) }],
  ])('that is %s verifies nothing: unverifiable, and fetched again next time', async (_label, answer) => {
    secretsManager.on(GetSecretValueCommand).resolves(answer);
    const auth = await load();
    // Signed with exactly the stored value: jose itself would accept a short HMAC key.
    const token = await sign({}, answer.SecretString || SECRET);
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    expect(fetches()).toBe(2);
  });

  it('refuses a token signed with another secret as bad-signature', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const auth = await load();
    expect(await reasonOf(auth, await sign({}, 'another-secret-that-is-long-enough-for-hs256'))).toBe('bad-signature');
  });

  it('keeps the usual checks: iss/aud when configured, expiry, sub', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const auth = await load({ JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'realtime' });
    const good = { iss: 'https://issuer.test', aud: 'realtime' };
    await expect(auth.verifyToken(await sign(good))).resolves.toMatchObject({ userId: 'alice' });
    expect(await reasonOf(auth, await sign({ ...good, iss: 'https://evil.test' }))).toBe('wrong-issuer');
    expect(await reasonOf(auth, await sign({ ...good, aud: 'other' }))).toBe('wrong-audience');
    expect(await reasonOf(auth, await sign({ ...good, exp: now() - 60 }))).toBe('expired');
    expect(await reasonOf(auth, await sign({ ...good, sub: undefined }))).toBe('missing-sub');
    expect(await reasonOf(auth, await sign({ ...good, sub: 'system' }))).toBe('reserved-sub');
    expect(await reasonOf(auth, await sign({ ...good, sub: 'u'.repeat(129) }))).toBe('invalid-claims');
  });
});

describe('Secrets Manager mode: the authorizer handler', () => {
  it('allows a good token', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const auth = await load();
    const result = await auth.handler(connectEvent(await sign({ roles: ['admin'] })));
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(result.context).toMatchObject({ userId: 'alice', roles: 'admin' });
  });

  it('denies, without throwing, while Secrets Manager fails, and logs why without the token', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const auth = await load();
    const error = vi.spyOn(auth.logger, 'error');
    const token = await sign();
    await expect(auth.handler(connectEvent(token))).resolves.toStrictEqual(DENY);
    expect(error).toHaveBeenCalledWith('connect denied', {
      reason: 'unverifiable',
      requestId: 'req-1',
      cause: [
        'KeyUnavailable: the HS256 secret could not be read from Secrets Manager',
        'AccessDeniedException: User is not authorized',
      ],
    });
    expect(JSON.stringify(error.mock.calls)).not.toContain(token);
  });

  it('denies a too-short secret and never logs it', async () => {
    const short = 'short-secret';
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: short });
    const auth = await load();
    const error = vi.spyOn(auth.logger, 'error');
    await expect(auth.handler(connectEvent(await sign({}, short)))).resolves.toStrictEqual(DENY);
    expect(error).toHaveBeenCalledWith('connect denied', expect.objectContaining({ reason: 'unverifiable' }));
    expect(JSON.stringify(error.mock.calls)).toContain('shorter than 32 bytes');
    expect(JSON.stringify(error.mock.calls)).not.toContain(short);
  });

  it('denies a wrong-secret token at info level', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
    const auth = await load();
    const info = vi.spyOn(auth.logger, 'info');
    await expect(auth.handler(connectEvent(await sign({}, 'another-secret-that-is-long-enough-for-hs256')))).resolves.toStrictEqual(DENY);
    expect(info).toHaveBeenCalledWith('connect denied', { reason: 'bad-signature', requestId: 'req-1' });
  });
});
