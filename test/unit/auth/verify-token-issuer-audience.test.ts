import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { InvalidToken, verifyToken, type InvalidTokenReason } from '../../../lambdas/core/auth/verify-token.js';
import { handler } from '../../../lambdas/handlers/authorizer.js';
import { mintDevToken } from '../../../local/dev-token.js';
import { reasonOf as reasonOfToken } from '../../support/auth-cold-start.js';

// A separate file because the auth config is read once at module load: here
// the verifier is configured with an issuer and an audience.
const { SECRET, ISSUER, AUDIENCE } = await vi.hoisted(async () => {
  const values = {
    SECRET: 'issuer-audience-test-secret-long-enough-for-hs256',
    ISSUER: 'https://issuer.example',
    AUDIENCE: 'realtime-api',
  };
  const { setAuthEnv } = await import('../../support/auth-cold-start.js');
  setAuthEnv({ JWT_SECRET: values.SECRET, JWT_ISSUER: values.ISSUER, JWT_AUDIENCE: values.AUDIENCE });
  return values;
});

function sign(claims: JWTPayload): Promise<string> {
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

const reasonOf = (token: string) => reasonOfToken({ verifyToken, InvalidToken }, token);

describe('verifyToken with JWT_ISSUER and JWT_AUDIENCE', () => {
  it('accepts the configured iss and aud', async () => {
    const identity = await verifyToken(await sign({ sub: 'alice', iss: ISSUER, aud: AUDIENCE }));
    expect(identity.userId).toBe('alice');
  });

  it('accepts aud as a list that contains the audience', async () => {
    const identity = await verifyToken(await sign({ sub: 'alice', iss: ISSUER, aud: ['other', AUDIENCE] }));
    expect(identity.userId).toBe('alice');
  });

  it.each<[string, JWTPayload, InvalidTokenReason]>([
    ['a wrong iss', { sub: 'alice', iss: 'https://evil.example', aud: AUDIENCE }, 'wrong-issuer'],
    ['no iss', { sub: 'alice', aud: AUDIENCE }, 'wrong-issuer'],
    ['a wrong aud', { sub: 'alice', iss: ISSUER, aud: 'another-api' }, 'wrong-audience'],
    ['no aud', { sub: 'alice', iss: ISSUER }, 'wrong-audience'],
  ])('refuses %s', async (_label, claims, reason) => {
    expect(await reasonOf(await sign(claims))).toBe(reason);
  });

  it('accepts a dev token minted with the issuer and audience', async () => {
    const token = await mintDevToken({ userId: 'carol', issuer: ISSUER, audience: AUDIENCE });
    await expect(verifyToken(token)).resolves.toMatchObject({ userId: 'carol' });
  });
});

describe('authorizer with JWT_ISSUER and JWT_AUDIENCE', () => {
  const event = (token: string) =>
    ({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/test/$connect',
      queryStringParameters: { token },
      requestContext: { requestId: 'req-1', routeKey: '$connect', eventType: 'CONNECT' },
    }) as unknown as APIGatewayRequestAuthorizerEvent;

  it.each<[string, JWTPayload]>([
    ['a wrong iss', { sub: 'alice', iss: 'https://evil.example', aud: AUDIENCE }],
    ['a wrong aud', { sub: 'alice', iss: ISSUER, aud: 'another-api' }],
  ])('denies %s', async (_label, claims) => {
    const result = await handler(event(await sign(claims)));
    expect(result.principalId).toBe('anonymous');
    expect(result.policyDocument.Statement).toStrictEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc/test/$connect' },
    ]);
    expect(result).not.toHaveProperty('context');
  });

  it('allows the right iss and aud', async () => {
    const result = await handler(event(await sign({ sub: 'alice', iss: ISSUER, aud: AUDIENCE })));
    expect(result.principalId).toBe('alice');
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
  });
});
