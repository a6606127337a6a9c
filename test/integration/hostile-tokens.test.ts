import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mintDevToken } from '../../local/dev-token.js';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { startLocalGateway } from '../support/local-gateway.js';
import { countAllItems } from '../support/table.js';
import { HandshakeRefused, WsClient } from '../support/ws-client.js';

// This file's authorizer pins an issuer and an audience, as a deployed one would.
const { ISSUER, AUDIENCE } = vi.hoisted(() => {
  const names = { ISSUER: 'https://issuer.example', AUDIENCE: 'realtime-tests' };
  process.env.JWT_ISSUER = names.ISSUER;
  process.env.JWT_AUDIENCE = names.AUDIENCE;
  return names;
});
const SECRET = new TextEncoder().encode(process.env.JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());

function hs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

const good = { sub: 'mallory', name: 'Mallory', iss: ISSUER, aud: AUDIENCE };
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Every hostile token, built fresh: [what it is, the URL's query string, the status API Gateway answers]. */
const hostile: [string, () => Promise<string>, number][] = [
  ['no token', async () => '', 401],
  ['an empty token', async () => 'token=', 401],
  ['garbage', async () => 'token=this-is-not-a-jwt', 403],
  [
    'a tampered payload with the original signature',
    async () => {
      const [header, , signature] = (await hs256({ ...good, exp: now() + 600 })).split('.');
      return `token=${header}.${base64url({ ...good, sub: 'admin', roles: ['admin'], exp: now() + 600 })}.${signature}`;
    },
    403,
  ],
  ['alg none', async () => `token=${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...good, exp: now() + 600 })}.`, 403],
  [
    'HS256 signed with the wrong secret',
    async () => `token=${await hs256({ ...good, exp: now() + 600 }, new TextEncoder().encode('w'.repeat(40)))}`,
    403,
  ],
  [
    'RS256 presented to an HS256 setup (algorithm confusion)',
    async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return `token=${await new SignJWT({ ...good, exp: now() + 600 }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)}`;
    },
    403,
  ],
  ['expired', async () => `token=${await hs256({ ...good, exp: now() - 120 })}`, 403],
  ['not yet valid', async () => `token=${await hs256({ ...good, nbf: now() + 600, exp: now() + 1200 })}`, 403],
  ['a wrong issuer', async () => `token=${await hs256({ ...good, iss: 'https://evil.example', exp: now() + 600 })}`, 403],
  ['a wrong audience', async () => `token=${await hs256({ ...good, aud: 'someone-else', exp: now() + 600 })}`, 403],
  ['no sub', async () => `token=${await hs256({ name: 'Nobody', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}`, 403],
  ['sub "system"', async () => `token=${await hs256({ ...good, sub: 'system', exp: now() + 600 })}`, 403],
  [
    'an oversized (16 KiB), validly signed token',
    async () => `token=${await hs256({ ...good, exp: now() + 600, padding: 'p'.repeat(16 * 1024) })}`,
    403,
  ],
];

async function handshakeStatus(query: string): Promise<number> {
  const url = query === '' ? gateway.url : `${gateway.url}/?${query}`;
  try {
    const client = await WsClient.connect(url);
    await client.close();
    return 101;
  } catch (error) {
    if (error instanceof HandshakeRefused) return error.status;
    throw error;
  }
}

describe('hostile tokens at the handshake', () => {
  it('admits the well-formed token the others are forged from', async () => {
    const token = await mintDevToken({ userId: 'mallory', issuer: ISSUER, audience: AUDIENCE });
    expect(await handshakeStatus(`token=${token}`)).toBe(101);
  });

  it.each(hostile)('refuses %s with the documented status, writing nothing', async (_what, query, status) => {
    // The admitted connection's $disconnect cleans up asynchronously: start from an empty table.
    await expect.poll(() => countAllItems()).toBe(0);

    expect(await handshakeStatus(await query())).toBe(status);

    expect(await countAllItems()).toBe(0);
    expect(gateway.openConnectionIds).toEqual([]);
  });
});
