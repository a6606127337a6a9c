import { SignJWT } from 'jose';

/**
 * The HS256 secret local development signs and verifies with when `JWT_SECRET`
 * is unset. It is public (it is in the repository), so a deployed stack must
 * never use it.
 */
export const DEV_JWT_SECRET = 'local-development-secret-do-not-deploy';

export interface DevTokenOptions {
  readonly userId: string;
  /** Display name; defaults to `userId`. */
  readonly name?: string;
  /** Private rooms the user may join (`"*"` = all). */
  readonly rooms?: readonly string[];
  /** `"admin"` may publish to everyone. */
  readonly roles?: readonly string[];
  /** A jose time span (`'12h'`, `'30m'`, `'-1h'` for an already expired token); defaults to `'12h'`. */
  readonly expiresIn?: string;
  /** Set `iss` when the verifier is configured with `JWT_ISSUER`. */
  readonly issuer?: string;
  /** Set `aud` when the verifier is configured with `JWT_AUDIENCE`. */
  readonly audience?: string;
}

/** A token the local authorizer accepts, for wscat, the demo page and tests. */
export async function mintDevToken(
  options: DevTokenOptions,
  // `||` rather than `??`: an empty JWT_SECRET counts as unset, as in the authorizer's config.
  secret: string = process.env.JWT_SECRET || DEV_JWT_SECRET,
): Promise<string> {
  const jwt = new SignJWT({
    name: options.name ?? options.userId,
    rooms: [...(options.rooms ?? [])],
    roles: [...(options.roles ?? [])],
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h');
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
