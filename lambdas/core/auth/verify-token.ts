import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { Identity } from '../identity.js';
import { MAX_USER_ID_LENGTH, SYSTEM_USER } from '../protocol.js';
import { authConfig, type TokenKeySource } from './auth-config.js';

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
 * a bearer credential and must never reach a log through an error.
 */
export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
  constructor(readonly reason: InvalidTokenReason) {
    super(`invalid token: ${reason}`);
  }
}

interface VerificationKey {
  readonly key: Uint8Array;
  readonly algorithms: string[];
}

// Pinning the algorithms per key source is what stops `alg: none` and
// algorithm-confusion tokens: jose refuses any `alg` not listed here.
function verificationKey(source: TokenKeySource): VerificationKey {
  switch (source.kind) {
    case 'hs256-secret':
      return { key: source.secret, algorithms: ['HS256'] };
  }
}

/** The identity a valid token carries; throws `InvalidToken` for anything else. */
export async function verifyToken(token: string): Promise<Identity> {
  if (token === '') throw new InvalidToken('missing');
  const { key, algorithms } = verificationKey(authConfig.keySource);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms,
      issuer: authConfig.issuer,
      audience: authConfig.audience,
      clockTolerance: authConfig.clockToleranceSeconds,
    }));
  } catch (error) {
    throw new InvalidToken(reasonFor(error));
  }
  return toIdentity(payload);
}

function reasonFor(error: unknown): InvalidTokenReason {
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
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad-signature';
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
  const name = typeof payload.name === 'string' && payload.name !== '' ? payload.name : sub;
  return {
    userId: sub,
    name,
    rooms: stringList(payload.rooms),
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
