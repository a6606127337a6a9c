/**
 * The `$connect` authorizer's settings, read once at module load and checked
 * there so a misconfigured authorizer fails at cold start instead of denying
 * every handshake. Deliberately separate from `../config.ts`: that module
 * requires TABLE_NAME, and the authorizer function has no table. The
 * variables and their defaults are in auth-settings.ts.
 */
import { environmentSource, isGiven, readSettings, type Settings } from '../settings.js';
import { AUTH_SETTINGS } from './auth-settings.js';

/**
 * The asymmetric algorithms an issuer's JWKS may be trusted for. HMAC is left
 * out on purpose: with a JWKS, an HS* token would be "signed" with a public key
 * anyone can download (the classic algorithm-confusion attack).
 */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

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

/** The key sources, exactly one of which must be set. */
const MODES = ['jwksUrl', 'secretArn', 'secret'] as const;
const MODE_VARIABLES = MODES.map((mode) => AUTH_SETTINGS[mode].key);

/** These only mean something with a JWKS. */
const JWKS_ONLY = ['algorithms', 'jwksCooldownMs'] as const;

// Plain http is only acceptable where nobody sits between the function and the
// key server: a tampered JWKS would let its author sign any identity.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

type Env = Readonly<Record<string, string | undefined>>;
type AuthEnvironment = Settings<typeof AUTH_SETTINGS>;

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

function jwksAlgorithms(names: readonly string[]): JwksAlgorithm[] {
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

function keySource(settings: AuthEnvironment, env: Env): TokenKeySource {
  const set = MODES.filter((mode) => settings[mode] !== undefined).map((mode) => AUTH_SETTINGS[mode].key);
  if (set.length > 1) {
    throw new Error(`Only one of ${MODE_VARIABLES.join(', ')} may be set; found ${set.join(' and ')}`);
  }
  if (settings.jwksUrl === undefined) {
    // Set alongside a secret, these would suggest a protection (e.g. RS256
    // only) that is not in force. Whether they were set is the environment's
    // to say: the settings hold their defaults either way.
    for (const name of JWKS_ONLY) {
      const { key } = AUTH_SETTINGS[name];
      if (isGiven(env[key])) throw new Error(`Environment variable ${key} applies only with JWT_JWKS_URL`);
    }
  } else {
    // An issuer's keys sign tokens for all of its clients and audiences; only
    // `iss` ties a token to the issuer these keys belong to.
    if (settings.issuer === undefined) {
      throw new Error('Environment variable JWT_ISSUER is required with JWT_JWKS_URL');
    }
    return {
      kind: 'jwks',
      url: jwksUrl(settings.jwksUrl),
      algorithms: Object.freeze(jwksAlgorithms(settings.algorithms)),
      cooldownMs: settings.jwksCooldownMs,
    };
  }
  if (settings.secretArn !== undefined) return secretsManagerSecret(settings.secretArn);
  if (settings.secret !== undefined) return hs256Secret(settings.secret);
  throw new Error(`Missing required environment variable: set one of ${MODE_VARIABLES.join(', ')}`);
}

/** Exported so tests can check the validation without reloading the module. */
export function readAuthConfig(env: Env = process.env): AuthConfig {
  const settings = readSettings(AUTH_SETTINGS, environmentSource(env));
  return Object.freeze({
    keySource: Object.freeze(keySource(settings, env)),
    issuer: settings.issuer,
    audience: settings.audience,
    clockToleranceSeconds: settings.clockToleranceSeconds,
  });
}

export const authConfig: AuthConfig = readAuthConfig();
