import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/core/observability.js';
import { handler } from '../../../lambdas/handlers/authorizer.js';

// The auth config is read when the handler module loads; vi.hoisted runs first.
const { SECRET } = await vi.hoisted(async () => {
  const SECRET = 'authorizer-unit-test-secret-long-enough-for-hs256';
  const { setAuthEnv } = await import('../../support/auth-cold-start.js');
  setAuthEnv({ JWT_SECRET: SECRET });
  return { SECRET };
});

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/test/$connect';
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function sign(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

/** A `$connect` REQUEST authorizer event as API Gateway sends it for a WebSocket API. */
function authorizerEvent(query: Record<string, string> | null): APIGatewayRequestAuthorizerEvent {
  const event = {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    headers: { Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com', 'Sec-WebSocket-Version': '13' },
    multiValueHeaders: null,
    queryStringParameters: query,
    multiValueQueryStringParameters: query === null ? null : Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    stageVariables: null,
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      extendedRequestId: 'ext-1',
      requestTime: new Date().toUTCString(),
      messageDirection: 'IN',
      stage: 'test',
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      connectionId: 'conn-1=',
      apiId: 'abcdef1234',
    },
  };
  // WebSocket authorizer events lack the REST-only fields (path, httpMethod, ...) that the type declares.
  return event as unknown as APIGatewayRequestAuthorizerEvent;
}

const withToken = (token: string) => authorizerEvent({ token });

function deny(): APIGatewayAuthorizerResult {
  return {
    principalId: 'anonymous',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: METHOD_ARN }],
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('authorizer: Allow', () => {
  it('allows a valid token and passes the identity as context', async () => {
    const exp = now() + 3600;
    const token = await sign({ sub: 'alice', name: 'Alice', rooms: ['private-a', 'private-b'], roles: ['admin'], exp });
    await expect(handler(withToken(token))).resolves.toStrictEqual({
      principalId: 'alice',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      context: {
        userId: 'alice',
        name: 'Alice',
        rooms: 'private-a,private-b',
        roles: 'admin',
        tokenExpiresAt: exp,
      },
    });
  });

  it('passes empty lists and the defaulted name for a minimal token', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const result = await handler(withToken(await sign({ sub: 'bob', exp })));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(result.context).toStrictEqual({ userId: 'bob', name: 'bob', rooms: '', roles: '', tokenExpiresAt: exp });
  });
});

describe('authorizer: Deny (never a throw)', () => {
  const cases: [string, () => Promise<APIGatewayRequestAuthorizerEvent>][] = [
    ['no query string', async () => authorizerEvent(null)],
    ['no token parameter', async () => authorizerEvent({ other: 'x' })],
    ['an empty token', async () => withToken('')],
    ['garbage', async () => withToken('garbage')],
    [
      'a tampered payload with the original signature',
      async () => {
        const [header, , signature] = (await sign({ sub: 'alice', exp: now() + 60 })).split('.');
        return withToken(`${header}.${b64url({ sub: 'alice', roles: ['admin'], exp: now() + 60 })}.${signature}`);
      },
    ],
    ['alg: none', async () => withToken(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'alice' })}.`)],
    ['HS256 with the wrong secret', async () => withToken(await sign({ sub: 'alice' }, 'not-the-secret-but-long-enough-for-hs256'))],
    [
      'RS256',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return withToken(await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey));
      },
    ],
    ['an expired token', async () => withToken(await sign({ sub: 'alice', exp: now() - 60 }))],
    ['a not-yet-valid token', async () => withToken(await sign({ sub: 'alice', nbf: now() + 600 }))],
    ['a token without sub', async () => withToken(await sign({ name: 'Alice', exp: now() + 60 }))],
  ];

  it.each(cases)('denies %s', async (_label, makeEvent) => {
    const event = await makeEvent();
    await expect(handler(event)).resolves.toStrictEqual(deny());
  });

  it('logs the reason at info and never the token', async () => {
    const info = vi.spyOn(logger, 'info');
    const token = await sign({ sub: 'alice', exp: now() - 60 });
    await handler(withToken(token));
    expect(info).toHaveBeenCalledWith('connect denied', expect.objectContaining({ reason: 'expired' }));
    expect(JSON.stringify(info.mock.calls)).not.toContain(token);
  });

  it('logs a missing token as missing', async () => {
    const info = vi.spyOn(logger, 'info');
    await handler(authorizerEvent(null));
    expect(info).toHaveBeenCalledWith('connect denied', expect.objectContaining({ reason: 'missing' }));
  });

  it('does not log the token when it allows either', async () => {
    const info = vi.spyOn(logger, 'info');
    const token = await sign({ sub: 'alice', exp: now() + 60 });
    await handler(withToken(token));
    expect(info).toHaveBeenCalledWith('connect authorized', expect.objectContaining({ userId: 'alice' }));
    expect(JSON.stringify(info.mock.calls)).not.toContain(token);
  });
});

describe('authorizer module', () => {
  it('loads without TABLE_NAME (the authorizer function has no table)', async () => {
    const tableName = process.env.TABLE_NAME;
    delete process.env.TABLE_NAME;
    vi.resetModules();
    try {
      const fresh = await import('../../../lambdas/handlers/authorizer.js');
      const result = await fresh.handler(withToken(await sign({ sub: 'alice' })));
      expect(result.principalId).toBe('alice');
    } finally {
      process.env.TABLE_NAME = tableName;
      vi.resetModules();
    }
  });
});
