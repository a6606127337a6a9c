/**
 * The `$connect` authorizer's settings, read once at module load and checked
 * there so a misconfigured authorizer fails at cold start instead of denying
 * every handshake. Deliberately separate from `../config.ts`: that module
 * requires TABLE_NAME, and the authorizer function has no table.
 */

/**
 * Where the verification key comes from. A union so that further sources (an
 * issuer's JWKS URL with RS256/ES256, or the HS256 secret held in AWS Secrets
 * Manager) can be added as new members; only `verify-token.ts` looks inside it.
 */
export type TokenKeySource = {
  readonly kind: 'hs256-secret';
  /** The secret's UTF-8 bytes, as jose wants them for HMAC. */
  readonly secret: Uint8Array;
};

export interface AuthConfig {
  readonly keySource: TokenKeySource;
  /** Required `iss` when set; any issuer is accepted when unset. */
  readonly issuer: string | undefined;
  /** Required `aud` when set; any audience is accepted when unset. */
  readonly audience: string | undefined;
  /** Leeway for `exp`/`nbf`/`iat`, for clock skew between issuer and AWS. */
  readonly clockToleranceSeconds: number;
}

/** RFC 7518 §3.2: an HS256 key MUST be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

type Env = Readonly<Record<string, string | undefined>>;

function optionalText(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`Environment variable ${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function keySource(env: Env): TokenKeySource {
  const secret = optionalText(env, 'JWT_SECRET');
  if (secret === undefined) throw new Error('Missing required environment variable JWT_SECRET');
  const bytes = new TextEncoder().encode(secret);
  // The value itself stays out of the message: it is a secret.
  if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new Error(`Environment variable JWT_SECRET must be at least ${MIN_HS256_SECRET_BYTES} bytes for HS256`);
  }
  return { kind: 'hs256-secret', secret: bytes };
}

/** Exported so tests can check the validation without reloading the module. */
export function readAuthConfig(env: Env = process.env): AuthConfig {
  return Object.freeze({
    keySource: Object.freeze(keySource(env)),
    issuer: optionalText(env, 'JWT_ISSUER'),
    audience: optionalText(env, 'JWT_AUDIENCE'),
    clockToleranceSeconds: nonNegativeInt(env, 'JWT_CLOCK_TOLERANCE_SECONDS', 5),
  });
}

export const authConfig: AuthConfig = readAuthConfig();
