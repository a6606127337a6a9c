import { describe, expect, it, vi } from 'vitest';
import { MIN_HS256_SECRET_BYTES, readAuthConfig } from '../../../lambdas/core/auth/auth-config.js';
import { AUTH_SETTINGS } from '../../../lambdas/core/auth/auth-settings.js';
import { DEV_JWT_SECRET } from '../../../local/dev-token.js';

// The module also reads process.env once when it loads; give it a valid
// configuration so that import succeeds. Every test below passes its own env.
await vi.hoisted(async () => {
  const { setAuthEnv } = await import('../../support/auth-cold-start.js');
  setAuthEnv({ JWT_SECRET: 'auth-config-test-secret-long-enough-for-hs256' });
});

const secret = 'x'.repeat(MIN_HS256_SECRET_BYTES);
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:realtime/jwt-AbCdEf';
const JWKS_URL = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf/.well-known/jwks.json';
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf';
const jwks = (extra: Record<string, string> = {}) => ({ JWT_JWKS_URL: JWKS_URL, JWT_ISSUER: ISSUER, ...extra });

describe('readAuthConfig: JWT_SECRET (local)', () => {
  it('reads the defaults', () => {
    const config = readAuthConfig({ JWT_SECRET: secret });
    expect(config.keySource).toStrictEqual({ kind: 'hs256-secret', secret: new TextEncoder().encode(secret) });
    expect(config.issuer).toBeUndefined();
    expect(config.audience).toBeUndefined();
    expect(config.clockToleranceSeconds).toBe(5);
  });

  it('reads issuer, audience and clock tolerance', () => {
    const config = readAuthConfig({
      JWT_SECRET: secret,
      JWT_ISSUER: 'https://issuer.example',
      JWT_AUDIENCE: 'realtime',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
    });
    expect(config).toMatchObject({ issuer: 'https://issuer.example', audience: 'realtime', clockToleranceSeconds: 0 });
  });

  it('fails fast on a secret shorter than 256 bits, without echoing it', () => {
    const short = 'y'.repeat(MIN_HS256_SECRET_BYTES - 1);
    expect(() => readAuthConfig({ JWT_SECRET: short })).toThrow(/at least 32 bytes/);
    expect(() => readAuthConfig({ JWT_SECRET: short })).not.toThrow(short);
  });

  it.each(['-1', '1.5', 'five'])('fails fast on JWT_CLOCK_TOLERANCE_SECONDS=%s', (value) => {
    expect(() => readAuthConfig({ JWT_SECRET: secret, JWT_CLOCK_TOLERANCE_SECONDS: value })).toThrow(
      /JWT_CLOCK_TOLERANCE_SECONDS must be a non-negative integer/,
    );
  });

  it('accepts the documented local default secret', () => {
    expect(() => readAuthConfig({ JWT_SECRET: DEV_JWT_SECRET })).not.toThrow();
  });
});

describe('readAuthConfig: JWT_SECRET_ARN', () => {
  it('selects Secrets Manager and keeps only the ARN', () => {
    const config = readAuthConfig({ JWT_SECRET_ARN: ARN, JWT_AUDIENCE: 'realtime' });
    expect(config.keySource).toStrictEqual({ kind: 'hs256-secrets-manager', secretArn: ARN });
    expect(config).toMatchObject({ issuer: undefined, audience: 'realtime', clockToleranceSeconds: 5 });
  });

  it('accepts other partitions', () => {
    const govArn = 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:jwt-AbCdEf';
    expect(readAuthConfig({ JWT_SECRET_ARN: govArn }).keySource).toMatchObject({ secretArn: govArn });
  });

  it.each(['realtime/jwt', 'arn:aws:ssm:eu-west-1:123456789012:parameter/jwt', 'arn:aws:secretsmanager:eu-west-1:123:secret:x'])(
    'fails fast on %j, which is not a secret ARN',
    (value) => {
      expect(() => readAuthConfig({ JWT_SECRET_ARN: value })).toThrow('Environment variable JWT_SECRET_ARN must be a Secrets Manager secret ARN');
    },
  );
});

describe('readAuthConfig: JWT_JWKS_URL', () => {
  it('selects the JWKS with RS256 and ES256 and jose’s cooldown by default', () => {
    const config = readAuthConfig(jwks());
    expect(config.keySource).toStrictEqual({
      kind: 'jwks',
      url: JWKS_URL,
      algorithms: ['RS256', 'ES256'],
      cooldownMs: AUTH_SETTINGS.jwksCooldownMs.default,
    });
    expect(AUTH_SETTINGS.jwksCooldownMs.default).toBe(30_000);
    expect(config).toMatchObject({ issuer: ISSUER, audience: undefined, clockToleranceSeconds: 5 });
  });

  it('reads algorithms (trimmed, deduplicated), cooldown, audience and clock tolerance', () => {
    const config = readAuthConfig(
      jwks({
        JWT_ALGORITHMS: ' ES384 , PS256,RS512,ES384',
        JWT_JWKS_COOLDOWN_MS: '0',
        JWT_AUDIENCE: 'app-client-id',
        JWT_CLOCK_TOLERANCE_SECONDS: '2',
      }),
    );
    expect(config.keySource).toMatchObject({ algorithms: ['ES384', 'PS256', 'RS512'], cooldownMs: 0 });
    expect(config).toMatchObject({ audience: 'app-client-id', clockToleranceSeconds: 2 });
  });

  it.each(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'])('allows %s', (alg) => {
    expect(readAuthConfig(jwks({ JWT_ALGORITHMS: alg })).keySource).toMatchObject({ algorithms: [alg] });
  });

  it.each(['http://127.0.0.1:4000/jwks.json', 'http://localhost/jwks.json', 'http://[::1]:9/jwks.json'])(
    'allows plain http on the loopback host %s (local tests)',
    (url) => {
      expect(readAuthConfig(jwks({ JWT_JWKS_URL: url })).keySource).toMatchObject({ kind: 'jwks', url });
    },
  );

  it('fails fast without JWT_ISSUER', () => {
    expect(() => readAuthConfig({ JWT_JWKS_URL: JWKS_URL })).toThrow('Environment variable JWT_ISSUER is required with JWT_JWKS_URL');
    expect(() => readAuthConfig({ JWT_JWKS_URL: JWKS_URL, JWT_ISSUER: '' })).toThrow('JWT_ISSUER is required');
  });

  it.each([
    'http://issuer.example/jwks.json',
    'http://127.0.0.1.nip.io/jwks.json',
    'http://localhost.example/jwks.json',
    'ftp://127.0.0.1/jwks.json',
    'file:///etc/jwks.json',
  ])('fails fast on %s (not https, not loopback http)', (url) => {
    expect(() => readAuthConfig(jwks({ JWT_JWKS_URL: url }))).toThrow(
      `Environment variable JWT_JWKS_URL must be an https URL (http only for 127.0.0.1 or localhost), got "${url}"`,
    );
  });

  it('fails fast on something that is not a URL', () => {
    expect(() => readAuthConfig(jwks({ JWT_JWKS_URL: 'cognito jwks' }))).toThrow('Environment variable JWT_JWKS_URL must be a URL, got "cognito jwks"');
  });

  it.each(['HS256', 'RS256,HS512', 'HS384'])('fails fast on HMAC in JWT_ALGORITHMS=%s', (value) => {
    expect(() => readAuthConfig(jwks({ JWT_ALGORITHMS: value }))).toThrow(
      /JWT_ALGORITHMS must not contain HS\d+: HMAC algorithms cannot be used with JWT_JWKS_URL/,
    );
  });

  it.each<[string, string]>([
    ['none', 'none'],
    ['rs256', 'rs256'],
    ['EdDSA', 'EdDSA'],
    ['PS512', 'PS512'],
    ['RS256,', ''],
    [',', ''],
  ])('fails fast on JWT_ALGORITHMS=%j', (value, offender) => {
    expect(() => readAuthConfig(jwks({ JWT_ALGORITHMS: value }))).toThrow(
      `Environment variable JWT_ALGORITHMS has unsupported algorithm "${offender}"; allowed: RS256, RS384, RS512, ES256, ES384, PS256`,
    );
  });

  it.each(['-1', '0.5', 'soon'])('fails fast on JWT_JWKS_COOLDOWN_MS=%s', (value) => {
    expect(() => readAuthConfig(jwks({ JWT_JWKS_COOLDOWN_MS: value }))).toThrow(
      `Environment variable JWT_JWKS_COOLDOWN_MS must be a non-negative integer, got "${value}"`,
    );
  });
});

describe('readAuthConfig: choosing the mode', () => {
  it.each([{}, { JWT_SECRET: '' }, { JWT_SECRET: '', JWT_SECRET_ARN: '', JWT_JWKS_URL: '' }])('fails fast with no key source (%j)', (env) => {
    expect(() => readAuthConfig(env)).toThrow(
      'Missing required environment variable: set one of JWT_JWKS_URL, JWT_SECRET_ARN, JWT_SECRET',
    );
  });

  it.each<[Record<string, string>, string]>([
    [{ JWT_SECRET: secret, JWT_SECRET_ARN: ARN }, 'JWT_SECRET_ARN and JWT_SECRET'],
    [{ JWT_SECRET: secret, ...jwks() }, 'JWT_JWKS_URL and JWT_SECRET'],
    [{ JWT_SECRET_ARN: ARN, ...jwks() }, 'JWT_JWKS_URL and JWT_SECRET_ARN'],
    [{ JWT_SECRET: secret, JWT_SECRET_ARN: ARN, ...jwks() }, 'JWT_JWKS_URL and JWT_SECRET_ARN and JWT_SECRET'],
  ])('fails fast when more than one is set (%j)', (env, found) => {
    expect(() => readAuthConfig(env)).toThrow(
      `Only one of JWT_JWKS_URL, JWT_SECRET_ARN, JWT_SECRET may be set; found ${found}`,
    );
  });

  it('does not echo the secret when refusing a conflict', () => {
    expect(() => readAuthConfig({ JWT_SECRET: secret, JWT_SECRET_ARN: ARN })).not.toThrow(secret);
  });

  it.each<[string, Record<string, string>]>([
    ['JWT_ALGORITHMS', { JWT_SECRET: secret, JWT_ALGORITHMS: 'RS256' }],
    ['JWT_JWKS_COOLDOWN_MS', { JWT_SECRET_ARN: ARN, JWT_JWKS_COOLDOWN_MS: '1000' }],
  ])('fails fast on %s without JWT_JWKS_URL', (name, env) => {
    expect(() => readAuthConfig(env)).toThrow(`Environment variable ${name} applies only with JWT_JWKS_URL`);
  });

  it('returns a frozen config', () => {
    const config = readAuthConfig(jwks());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.keySource)).toBe(true);
  });
});
