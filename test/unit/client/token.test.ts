import { describe, expect, it } from 'vitest';
import { readTokenClaims } from '../../../client/token.js';
import { mintDevToken } from '../../../local/dev-token.js';

describe('readTokenClaims', () => {
  it("reads a real token's exp, in milliseconds, and its sub", async () => {
    const token = await mintDevToken({ userId: 'amy', name: 'Ämy 🙂', expiresIn: '30m' }, 'a-secret-of-at-least-32-bytes-for-hs256');
    const expected = (Math.floor(Date.now() / 1000) + 1800) * 1000;
    const claims = readTokenClaims(token);
    expect(Math.abs((claims.expiresAt ?? 0) - expected)).toBeLessThanOrEqual(1000);
    expect(claims.userId).toBe('amy');
  });

  it.each([
    ['not a JWT', 'opaque-token'],
    ['an empty payload', 'a..c'],
    ['a payload that is not base64url JSON', 'a.@@@.c'],
    ['a payload of JSON null', `a.${Buffer.from('null').toString('base64url')}.c`],
    ['no exp', `a.${Buffer.from('{"sub":"x"}').toString('base64url')}.c`],
    ['a string exp', `a.${Buffer.from('{"exp":"soon"}').toString('base64url')}.c`],
  ])('has no expiry for %s', (_label, token) => {
    expect(readTokenClaims(token).expiresAt).toBeUndefined();
  });
});
