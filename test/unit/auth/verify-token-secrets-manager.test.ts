import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { getSecretString, SecretsExtensionError } from '../../../lambdas/core/auth/secrets-extension.js';
import { DENY, coldStartAuthorizer, connectEvent, reasonOf, restoreAuthEnv, savedAuthEnv, type AuthEnv, type LoadedAuthorizer } from '../../support/auth-cold-start.js';

// In AWS the authorizer reads its secret from the Parameters and Secrets
// Lambda Extension on localhost. Here a real HTTP server on localhost plays
// the extension, answering as the tests tell it. The config is read when
// verify-token.ts loads and the secret is cached in that module, so each test
// imports fresh modules (a cold start).

const SECRET = 'secrets-manager-test-secret-long-enough-for-hs256';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:realtime/jwt-AbCdEf';
const SESSION_TOKEN = 'session-token-of-the-function-role';
const savedEnv = savedAuthEnv();
const savedExtensionEnv = { port: process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, sessionToken: process.env.AWS_SESSION_TOKEN };

/** How the extension answers one request. */
type Answer =
  | { readonly secretString: string; readonly delayMs?: number }
  | { readonly secretBinary: string }
  | { readonly status: number; readonly body: string }
  /** Never answers. */
  | 'stall'
  /** Sends the headers and part of the body, then nothing more. */
  | 'stall-body';

const extension = {
  port: 0,
  /** Served in turn; the last one keeps being served. */
  answers: [] as Answer[],
  requests: [] as { secretId: string | null; token: string | undefined }[],
};

function answer(...answers: Answer[]): void {
  extension.answers = answers;
}

const requests = () => extension.requests.length;

function serve(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method !== 'GET' || url.pathname !== '/secretsmanager/get') {
    response.writeHead(404).end();
    return;
  }
  const token = request.headers['x-aws-parameters-secrets-token'];
  extension.requests.push({ secretId: url.searchParams.get('secretId'), token: typeof token === 'string' ? token : undefined });
  if (token !== SESSION_TOKEN) {
    response.writeHead(401).end('missing or wrong X-Aws-Parameters-Secrets-Token');
    return;
  }
  const next = (extension.answers.length > 1 ? extension.answers.shift() : extension.answers[0]) ?? { status: 500, body: 'no answer set' };
  if (next === 'stall') return;
  if (next === 'stall-body') {
    response.writeHead(200, { 'content-type': 'application/json' }).write('{"ARN":"');
    return;
  }
  if ('status' in next) {
    response.writeHead(next.status).end(next.body);
    return;
  }
  // GetSecretValue's response, as Secrets Manager shapes it.
  const body = JSON.stringify({
    ARN,
    Name: 'realtime/jwt',
    VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    ...('secretString' in next ? { SecretString: next.secretString } : { SecretBinary: next.secretBinary }),
    VersionStages: ['AWSCURRENT'],
    CreatedDate: 1_700_000_000,
  });
  const send = () => response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  if ('delayMs' in next && next.delayMs !== undefined) setTimeout(send, next.delayMs);
  else send();
}

const server = createServer(serve);

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  extension.port = (server.address() as AddressInfo).port;
});

beforeEach(() => {
  process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String(extension.port);
  process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
  extension.answers = [];
  extension.requests = [];
  vi.restoreAllMocks();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  restoreAuthEnv(savedEnv);
  for (const [name, value] of [
    ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', savedExtensionEnv.port],
    ['AWS_SESSION_TOKEN', savedExtensionEnv.sessionToken],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  vi.resetModules();
});

async function load(env: AuthEnv = {}): Promise<LoadedAuthorizer> {
  return coldStartAuthorizer({ JWT_SECRET_ARN: ARN, ...env });
}

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(claims: JWTPayload = {}, secret = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT({ sub: 'alice', exp: now() + 300, ...claims }).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

describe('Secrets Manager mode: the secret', () => {
  it('is fetched once, by its ARN and with the function’s session token, across several verifications', async () => {
    answer({ secretString: SECRET });
    const auth = await load();
    await expect(auth.verifyToken(await sign({ name: 'Alice', rooms: ['private-a'] }))).resolves.toMatchObject({
      userId: 'alice',
      name: 'Alice',
      allowedRooms: ['private-a'],
    });
    await auth.verifyToken(await sign({ sub: 'bob' }));
    await auth.verifyToken(await sign({ sub: 'carol' }));
    expect(extension.requests).toStrictEqual([{ secretId: ARN, token: SESSION_TOKEN }]);
  });

  it('is fetched once for concurrent first handshakes', async () => {
    answer({ secretString: SECRET, delayMs: 20 });
    const auth = await load();
    const tokens = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((sub) => sign({ sub })));
    const identities = await Promise.all(tokens.map((token) => auth.verifyToken(token)));
    expect(identities.map((identity) => identity.userId)).toStrictEqual(['alice', 'bob', 'carol', 'dave']);
    expect(requests()).toBe(1);
  });

  it('is kept for the container’s life: after a rotation, only a new container verifies with the new secret', async () => {
    const rotated = 'the-rotated-secret-also-long-enough-for-hs256';
    answer({ secretString: SECRET });
    const auth = await load();
    await auth.verifyToken(await sign());
    answer({ secretString: rotated });
    expect(await reasonOf(auth, await sign({}, rotated))).toBe('bad-signature');
    await expect(auth.verifyToken(await sign())).resolves.toMatchObject({ userId: 'alice' });
    expect(requests()).toBe(1);

    const recycled = await load();
    await expect(recycled.verifyToken(await sign({}, rotated))).resolves.toMatchObject({ userId: 'alice' });
    expect(requests()).toBe(2);
  });

  it('is not fetched for a token refused by its header', async () => {
    answer({ secretString: SECRET });
    const auth = await load();
    expect(await reasonOf(auth, await sign({}, SECRET, 'HS384'))).toBe('algorithm-not-allowed');
    expect(await reasonOf(auth, `${b64url({ alg: 'none' })}.${b64url({ sub: 'alice' })}.`)).toBe('algorithm-not-allowed');
    expect(await reasonOf(auth, 'garbage')).toBe('malformed');
    expect(requests()).toBe(0);
  });

  it('after a failed fetch: unverifiable, then the next handshake fetches again and passes', async () => {
    answer({ status: 400, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) }, { secretString: SECRET });
    const auth = await load();
    const token = await sign();
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    await expect(auth.verifyToken(token)).resolves.toMatchObject({ userId: 'alice' });
    await auth.verifyToken(token);
    expect(requests()).toBe(2);
  });

  it('while the extension is not listening: unverifiable, and fetched again next time', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, 'localhost', resolve));
    process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String((closed.address() as AddressInfo).port);
    await new Promise((resolve) => closed.close(resolve));
    answer({ secretString: SECRET });
    const auth = await load();
    const token = await sign();
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String(extension.port);
    await expect(auth.verifyToken(token)).resolves.toMatchObject({ userId: 'alice' });
  });

  it.each<[string, Answer, string]>([
    // Signed with exactly the stored value: jose itself would accept a short HMAC key.
    ['shorter than 32 bytes', { secretString: 'x'.repeat(31) }, 'x'.repeat(31)],
    ['empty', { secretString: '' }, SECRET],
    ['binary (no SecretString)', { secretBinary: Buffer.from(SECRET).toString('base64') }, SECRET],
  ])('that is %s verifies nothing: unverifiable, and fetched again next time', async (_label, stored, signedWith) => {
    answer(stored);
    const auth = await load();
    const token = await sign({}, signedWith);
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    expect(await reasonOf(auth, token)).toBe('unverifiable');
    expect(requests()).toBe(2);
  });

  it('refuses a token signed with another secret as bad-signature', async () => {
    answer({ secretString: SECRET });
    const auth = await load();
    expect(await reasonOf(auth, await sign({}, 'another-secret-that-is-long-enough-for-hs256'))).toBe('bad-signature');
  });

  it('keeps the usual checks: iss/aud when configured, expiry, sub', async () => {
    answer({ secretString: SECRET });
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
    answer({ secretString: SECRET });
    const auth = await load();
    const result = await auth.handler(connectEvent(await sign({ roles: ['admin'] })));
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(result.context).toMatchObject({ userId: 'alice', roles: 'admin' });
  });

  it('denies, without throwing, while Secrets Manager refuses, and logs why without the token', async () => {
    answer({ status: 400, body: JSON.stringify({ __type: 'AccessDeniedException', message: 'User is not authorized' }) });
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
    answer({ secretString: short });
    const auth = await load();
    const error = vi.spyOn(auth.logger, 'error');
    await expect(auth.handler(connectEvent(await sign({}, short)))).resolves.toStrictEqual(DENY);
    expect(error).toHaveBeenCalledWith('connect denied', expect.objectContaining({ reason: 'unverifiable' }));
    expect(JSON.stringify(error.mock.calls)).toContain('shorter than 32 bytes');
    expect(JSON.stringify(error.mock.calls)).not.toContain(short);
  });

  it('denies a wrong-secret token at info level', async () => {
    answer({ secretString: SECRET });
    const auth = await load();
    const info = vi.spyOn(auth.logger, 'info');
    await expect(auth.handler(connectEvent(await sign({}, 'another-secret-that-is-long-enough-for-hs256')))).resolves.toStrictEqual(DENY);
    expect(info).toHaveBeenCalledWith('connect denied', { reason: 'bad-signature', requestId: 'req-1' });
  });
});

describe('#getSecretString (the extension’s HTTP interface)', () => {
  const read = (timeoutMs = 2_000) => getSecretString(ARN, { timeoutMs });

  it('asks for the secret by its ARN and answers its SecretString', async () => {
    answer({ secretString: SECRET });
    await expect(read()).resolves.toBe(SECRET);
    expect(extension.requests).toStrictEqual([{ secretId: ARN, token: SESSION_TOKEN }]);
  });

  it('answers undefined for a binary secret', async () => {
    answer({ secretBinary: Buffer.from(SECRET).toString('base64') });
    await expect(read()).resolves.toBeUndefined();
  });

  it('rejects with Secrets Manager’s error, by name and message, as the extension passes it on', async () => {
    answer({ status: 400, body: JSON.stringify({ __type: 'com.amazonaws.secretsmanager#ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }) });
    const error = await read().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SecretsExtensionError);
    expect(error).toMatchObject({ status: 400, name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  });

  it('rejects with the status and text of an answer that is not an AWS error', async () => {
    answer({ status: 503, body: 'extension not ready' });
    await expect(read()).rejects.toMatchObject({ status: 503, name: 'SecretsExtensionError', message: 'HTTP 503: extension not ready' });
  });

  it('rejects without the session token with the extension’s refusal', async () => {
    delete process.env.AWS_SESSION_TOKEN;
    answer({ secretString: SECRET });
    await expect(read()).rejects.toMatchObject({ status: 401 });
    expect(extension.requests).toStrictEqual([{ secretId: ARN, token: '' }]);
  });

  it('never quotes a successful answer it cannot read: that text may be the secret', async () => {
    answer({ status: 200, body: `{"SecretString":"${SECRET}` });
    const error = await read().catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: 'SecretsExtensionError', message: 'the answer is not JSON' });
    expect(String(error)).not.toContain(SECRET.slice(0, 10));
  });

  it.each(['stall', 'stall-body'] as const)('gives up after its timeout when the extension does not answer (%s)', async (stall) => {
    answer(stall);
    const started = performance.now();
    await expect(read(200)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
