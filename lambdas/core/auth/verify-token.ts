import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Identity } from '../identity.js';
import { MAX_NAME_LENGTH, MAX_USER_ID_LENGTH, SYSTEM_USER } from '../protocol-constants.js';
import { authConfig, MIN_HS256_SECRET_BYTES, type TokenKeySource } from './auth-config.js';
import { getSecretString } from './secrets-extension.js';

/** Why a token was refused: short, stable, safe to log and to assert on. */
export type InvalidTokenReason =
  | 'missing'
  | 'malformed'
  | 'algorithm-not-allowed'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'invalid-claims'
  | 'missing-sub'
  | 'reserved-sub'
  | 'unverifiable';

/**
 * Every way `verifyToken` fails. The message is the reason only: the token is
 * a bearer credential and must never reach a log through an error. An
 * 'unverifiable' refusal keeps what went wrong as `cause` (the secret's or the
 * key set's fetch error, never the token) because that one is for an operator to fix.
 */
export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
  constructor(
    readonly reason: InvalidTokenReason,
    options?: ErrorOptions,
  ) {
    super(`invalid token: ${reason}`, options);
  }
}

/** The key could not be obtained or used: the token may well be fine. */
class KeyUnavailable extends Error {
  override readonly name = 'KeyUnavailable';
}

interface Verifier {
  readonly getKey: JWTVerifyGetKey;
  /**
   * Pinned per key source: this is what stops `alg: none` and
   * algorithm-confusion tokens. jose checks `alg` against this list before it
   * asks for a key, so such tokens cost no secret or JWKS fetch.
   */
  readonly algorithms: string[];
}

// Built once per container: the JWKS cache and the Secrets Manager secret live
// in these closures, so warm invocations reuse them.
const verifier: Verifier = createVerifier(authConfig.keySource);

function createVerifier(source: TokenKeySource): Verifier {
  switch (source.kind) {
    case 'hs256-secret': {
      const { secret } = source;
      return { algorithms: ['HS256'], getKey: () => secret };
    }
    case 'hs256-secrets-manager':
      return { algorithms: ['HS256'], getKey: cachedSecret(source.secretArn) };
    case 'jwks':
      return { algorithms: [...source.algorithms], getKey: remoteKeys(source.url, source.cooldownMs) };
  }
}

/**
 * jose caches the fetched set, refetches it when it is older than 10 minutes,
 * and refetches early when a token names an unknown `kid` (a rotated key), at
 * most once per cooldown so junk `kid`s cannot make every handshake a fetch.
 */
function remoteKeys(url: string, cooldownMs: number): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownMs });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      // Still no key for the token's `kid`/`alg` after the refetch: the
      // token's fault. Anything else (unreachable, non-200, not a key set) is ours.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeyUnavailable('the JSON Web Key Set could not be fetched or used', { cause: error });
    }
  };
}

/**
 * Without a bound a stalled read would run into the Lambda timeout, which API
 * Gateway answers with 500 instead of the 403 a Deny gives. A little over the
 * extension's own timeout for Secrets Manager (lib/realtime-api.ts, secretsExtension), so
 * that its answer, which names what failed, comes first.
 */
const SECRET_READ_TIMEOUT_MS = 4_000;

/**
 * The secret is read on first use rather than at load so a Secrets Manager
 * hiccup refuses handshakes instead of failing the container's init, and then
 * kept for the container's life. A failed read is forgotten so the next
 * handshake retries; concurrent first handshakes share the one read.
 */
function cachedSecret(secretArn: string): () => Promise<Uint8Array> {
  let pending: Promise<Uint8Array> | undefined;
  return () => {
    if (pending === undefined) {
      const attempt = readSecret(secretArn);
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}

async function readSecret(secretArn: string): Promise<Uint8Array> {
  let secret: string | undefined;
  try {
    secret = await getSecretString(secretArn, { timeoutMs: SECRET_READ_TIMEOUT_MS });
  } catch (error) {
    throw new KeyUnavailable('the HS256 secret could not be read from Secrets Manager', { cause: error });
  }
  if (secret === undefined) throw new KeyUnavailable('the Secrets Manager secret has no SecretString');
  const bytes = new TextEncoder().encode(secret);
  // Checked here because only now is the secret known; the value stays out of the message.
  if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new KeyUnavailable(`the Secrets Manager secret is shorter than ${MIN_HS256_SECRET_BYTES} bytes, too short for HS256`);
  }
  return bytes;
}

/** The identity a valid token carries; throws `InvalidToken` for anything else. */
export async function verifyToken(token: string): Promise<Identity> {
  if (token === '') throw new InvalidToken('missing');
  // Real tokens are well under 2 KiB; a huge one is an attack on the parser
  // and the signature check, refused before either runs.
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidToken('malformed');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, verifier.getKey, {
      algorithms: verifier.algorithms,
      issuer: authConfig.issuer,
      audience: authConfig.audience,
      clockTolerance: authConfig.clockToleranceSeconds,
      // A token without `exp` would hold a connection open for good: the
      // server cuts connections off at `exp`, so every token must have one.
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    const reason = reasonFor(error);
    throw new InvalidToken(reason, reason === 'unverifiable' ? { cause: error } : undefined);
  }
  return toIdentity(payload);
}

/** Longer tokens are refused unread. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

function reasonFor(error: unknown): InvalidTokenReason {
  if (error instanceof KeyUnavailable) return 'unverifiable';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return 'not-yet-valid';
      case 'iss':
        return 'wrong-issuer';
      case 'aud':
        return 'wrong-audience';
      default:
        return 'invalid-claims';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm-not-allowed';
  // No published key for the token's `kid` is, to the client, no different
  // from a signature that does not verify. Several keys matching means the
  // token names no `kid` while the issuer publishes more than one key.
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return 'bad-signature';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return 'malformed';
  }
  // Not the token's fault as far as we can tell (e.g. a key that cannot be
  // used); still a refusal, but distinguishable in the logs.
  return 'unverifiable';
}

function toIdentity(payload: JWTPayload): Identity {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub === '') throw new InvalidToken('missing-sub');
  // Messages from "system" are server pushes; no user may speak as it.
  if (sub === SYSTEM_USER.userId) throw new InvalidToken('reserved-sub');
  // Longer ids could never be addressed: `to` takes at most this many characters.
  if (sub.length > MAX_USER_ID_LENGTH) throw new InvalidToken('invalid-claims');
  // Cut, not refused: a long display name is no reason to lock a user out.
  const name = (typeof payload.name === 'string' && payload.name !== '' ? payload.name : sub).slice(0, MAX_NAME_LENGTH);
  return {
    userId: sub,
    name,
    // The claim is `rooms`, part of the token contract (docs/protocol.md).
    allowedRooms: stringList(payload.rooms),
    roles: stringList(payload.roles),
    ...(typeof payload.exp === 'number' ? { tokenExpiresAt: payload.exp } : {}),
  };
}

// The authorizer context carries lists comma-joined, so an entry with a comma
// would split into different rooms or roles on the other side; an empty entry
// would vanish. Both are dropped here rather than refusing the whole token.
function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === 'string' && item !== '' && !item.includes(','));
}
