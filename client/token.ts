/** The claims the client reads from its token. */
export interface TokenClaims {
  /** `exp` as epoch milliseconds. */
  readonly expiresAt?: number;
  /** `iat` as epoch milliseconds. */
  readonly issuedAt?: number;
  /** `sub`: the user id the server will know the connection by. */
  readonly userId?: string;
  /** `name`: the display name, when the token carries one. */
  readonly name?: string;
}

/**
 * What the token says about itself, read without verifying it (the server
 * verifies; a client only needs to know when to renew and who it is).
 * Empty for a token that is not a JWT.
 */
export function readTokenClaims(token: string): TokenClaims {
  const payload = token.split('.')[1];
  if (payload === undefined || payload === '') return {};
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== 'object' || claims === null) return {};
    const { exp, iat, sub, name } = claims as { exp?: unknown; iat?: unknown; sub?: unknown; name?: unknown };
    return {
      ...(typeof exp === 'number' && Number.isFinite(exp) ? { expiresAt: exp * 1000 } : {}),
      ...(typeof iat === 'number' && Number.isFinite(iat) ? { issuedAt: iat * 1000 } : {}),
      ...(typeof sub === 'string' ? { userId: sub } : {}),
      ...(typeof name === 'string' ? { name } : {}),
    };
  } catch {
    return {};
  }
}
