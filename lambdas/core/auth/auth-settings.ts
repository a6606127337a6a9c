/**
 * The `$connect` authorizer's environment variables (auth-config.ts reads
 * them), with their defaults. In a module of its own with no side effects,
 * so that the CDK construct and the local stack can name them without
 * reading the environment.
 */
import type { SettingsSchema } from '../settings.js';

export const AUTH_SETTINGS = {
  jwksUrl: { key: 'JWT_JWKS_URL', kind: 'string', doc: "an issuer's JSON Web Key Set: RS256/ES256 tokens, verified with its public keys" },
  secretArn: { key: 'JWT_SECRET_ARN', kind: 'string', doc: 'the ARN of the Secrets Manager secret HS256 tokens are verified with' },
  secret: { key: 'JWT_SECRET', kind: 'string', doc: 'the HS256 secret itself (local development and tests)' },
  algorithms: { key: 'JWT_ALGORITHMS', kind: 'list', default: ['RS256', 'ES256'], doc: 'the algorithms JWKS keys are trusted for' },
  // jose's own default, spelled out so the documented default cannot drift.
  jwksCooldownMs: { key: 'JWT_JWKS_COOLDOWN_MS', kind: 'nonNegativeInt', default: 30_000, doc: 'minimum time between JWKS refetches for an unknown kid' },
  issuer: { key: 'JWT_ISSUER', kind: 'string', doc: 'the iss claim required; any issuer when unset (required with JWT_JWKS_URL)' },
  audience: { key: 'JWT_AUDIENCE', kind: 'string', doc: 'the aud claim required; any audience when unset' },
  clockToleranceSeconds: { key: 'JWT_CLOCK_TOLERANCE_SECONDS', kind: 'nonNegativeInt', default: 5, doc: 'leeway for exp, nbf and iat: clock skew between issuer and AWS' },
} as const satisfies SettingsSchema;
