import { describe, expect, it } from 'vitest';
import { tokenExpiresAt } from '../../../client/token.js';
import { mintDevToken } from '../../../local/dev-token.js';

describe('tokenExpiresAt', () => {
  it("reads a real token's exp, in milliseconds", async () => {
    const token = await mintDevToken({ userId: 'amy', name: 'Ämy 🙂', expiresIn: '30m' }, 'a-secret-of-at-least-32-bytes-for-hs256');
    const expected = (Math.floor(Date.now() / 1000) + 1800) * 1000;
    expect(Math.abs((tokenExpiresAt(token) ?? 0) - expected)).toBeLessThanOrEqual(1000);
  });

  it.each([
    ['not a JWT', 'opaque-token'],
    ['an empty payload', 'a..c'],
    ['a payload that is not base64url JSON', 'a.@@@.c'],
    ['a payload of JSON null', `a.${Buffer.from('null').toString('base64url')}.c`],
    ['no exp', `a.${Buffer.from('{"sub":"x"}').toString('base64url')}.c`],
    ['a string exp', `a.${Buffer.from('{"exp":"soon"}').toString('base64url')}.c`],
  ])('is undefined for %s', (_label, token) => {
    expect(tokenExpiresAt(token)).toBeUndefined();
  });
});
