/**
 * The `$connect` authorizer's settings, read once at module load and checked
 * there so a misconfigured authorizer fails at cold start instead of denying
 * every handshake. Deliberately separate from `../config.ts`: that module
 * requires TABLE_NAME, and the authorizer function has no table.
 */

/**
 * The asymmetric algorithms an issuer's JWKS may be trusted for. HMAC is left
 * out on purpose: with a JWKS, an HS* token would be "signed" with a public key
 * anyone can download (the classic algorithm-confusion attack).
 */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

/** jose's own default, spelled out so the documented default cannot drift. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

/** Where the verification key comes from; only `verify-token.ts` looks inside. */
export type TokenKeySource =
  | {
      /** Local development and tests: the secret sits in the environment. */
      readonly kind: 'hs256-secret';
      /** The secret's UTF-8 bytes, as jose wants them for HMAC. */
      readonly secret: Uint8Array;
    }
  | {
      /**
       * Deployed HS256: the environment holds only the secret's ARN, so the
       * secret itself never appears in the function's configuration.
       */
      readonly kind: 'hs256-secrets-manager';
      readonly secretArn: string;
    }
  | {
      /** An issuer's public keys (e.g. a Cognito user pool's). */
      readonly kind: 'jwks';
      readonly url: string;
      readonly algorithms: readonly JwksAlgorithm[];
      /** Minimum time between refetches triggered by an unknown `kid`. */
      readonly cooldownMs: number;
    };

export interface AuthConfig {
  readonly keySource: TokenKeySource;
  /** Required `iss` when set; any issuer is accepted when unset (never unset in JWKS mode). */
  readonly issuer: string | undefined;
  /**
   * Required `aud` when set; any audience is accepted when unset. With Cognito,
   * ID tokens carry the app client id as `aud`; access tokens have no `aud`
   * (they carry `client_id`), so with this set only ID tokens pass.
   */
  readonly audience: string | undefined;
  /** Leeway for `exp`/`nbf`/`iat`, for clock skew between issuer and AWS. */
  readonly clockToleranceSeconds: number;
}

/** RFC 7518 §3.2: an HS256 key MUST be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

const MODE_VARIABLES = ['JWT_JWKS_URL', 'JWT_SECRET_ARN', 'JWT_SECRET'] as const;

// Plain http is only acceptable where nobody sits between the function and the
// key server: a tampered JWKS would let its author sign any identity.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

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

function hs256Secret(secret: string): TokenKeySource {
  const bytes = new TextEncoder().encode(secret);
  // The value itself stays out of the message: it is a secret.
  if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new Error(`Environment variable JWT_SECRET must be at least ${MIN_HS256_SECRET_BYTES} bytes for HS256`);
  }
  return { kind: 'hs256-secret', secret: bytes };
}

function secretsManagerSecret(arn: string): TokenKeySource {
  // Only the shape is checked here; whether the secret exists and is long
  // enough is known after the first fetch (see verify-token.ts).
  if (!/^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(arn)) {
    throw new Error(`Environment variable JWT_SECRET_ARN must be a Secrets Manager secret ARN, got "${arn}"`);
  }
  return { kind: 'hs256-secrets-manager', secretArn: arn };
}

function jwksUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Environment variable JWT_JWKS_URL must be a URL, got "${raw}"`);
  }
  const local = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !local) {
    throw new Error(`Environment variable JWT_JWKS_URL must be an https URL (http only for 127.0.0.1 or localhost), got "${raw}"`);
  }
  return url.href;
}

function isJwksAlgorithm(name: string): name is JwksAlgorithm {
  return (JWKS_ALGORITHMS as readonly string[]).includes(name);
}

function jwksAlgorithms(env: Env): JwksAlgorithm[] {
  const raw = optionalText(env, 'JWT_ALGORITHMS') ?? 'RS256,ES256';
  const names = raw.split(',').map((name) => name.trim());
  const algorithms: JwksAlgorithm[] = [];
  for (const name of names) {
    if (name.startsWith('HS')) {
      throw new Error(`Environment variable JWT_ALGORITHMS must not contain ${name}: HMAC algorithms cannot be used with JWT_JWKS_URL`);
    }
    if (!isJwksAlgorithm(name)) {
      throw new Error(`Environment variable JWT_ALGORITHMS has unsupported algorithm "${name}"; allowed: ${JWKS_ALGORITHMS.join(', ')}`);
    }
    if (!algorithms.includes(name)) algorithms.push(name);
  }
  return algorithms;
}

function keySource(env: Env): TokenKeySource {
  const set = MODE_VARIABLES.filter((name) => optionalText(env, name) !== undefined);
  if (set.length > 1) {
    throw new Error(`Only one of ${MODE_VARIABLES.join(', ')} may be set; found ${set.join(' and ')}`);
  }
  const jwks = optionalText(env, 'JWT_JWKS_URL');
  if (jwks === undefined) {
    // These only mean something with a JWKS; set alongside a secret they would
    // suggest a protection (e.g. RS256 only) that is not in force.
    for (const name of ['JWT_ALGORITHMS', 'JWT_JWKS_COOLDOWN_MS']) {
      if (optionalText(env, name) !== undefined) throw new Error(`Environment variable ${name} applies only with JWT_JWKS_URL`);
    }
  } else {
    // An issuer's keys sign tokens for all of its clients and audiences; only
    // `iss` ties a token to the issuer these keys belong to.
    if (optionalText(env, 'JWT_ISSUER') === undefined) {
      throw new Error('Environment variable JWT_ISSUER is required with JWT_JWKS_URL');
    }
    return {
      kind: 'jwks',
      url: jwksUrl(jwks),
      algorithms: Object.freeze(jwksAlgorithms(env)),
      cooldownMs: nonNegativeInt(env, 'JWT_JWKS_COOLDOWN_MS', DEFAULT_JWKS_COOLDOWN_MS),
    };
  }
  const arn = optionalText(env, 'JWT_SECRET_ARN');
  if (arn !== undefined) return secretsManagerSecret(arn);
  const secret = optionalText(env, 'JWT_SECRET');
  if (secret !== undefined) return hs256Secret(secret);
  throw new Error(`Missing required environment variable: set one of ${MODE_VARIABLES.join(', ')}`);
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
