/**
 * The demo page, served by `npm start` on the local gateway's port: the page,
 * its script, the SDK's browser bundle, and a development-token endpoint
 * that only the local stack has (the deployed stack never mints tokens).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { browserBundleOptions, bundle, pageBundleOptions, type BuiltFile } from '../client/build.js';
import { MAX_NAME_LENGTH, SYSTEM_USER } from '../lambdas/core/protocol.js';
import { mintDevToken } from './dev-token.js';
import { readBody, sendJson } from './gateway/http.js';

const DEV_TOKEN_PATH = '/dev/token';

export interface DevSite {
  /** The SDK's browser bundle, as served. */
  readonly sdk: BuiltFile;
  serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean>;
}

export interface DevSiteOptions {
  /** Mint development tokens at POST /dev/token (only when the local stack verifies its own HS256 secret). */
  readonly devTokens: boolean;
}

interface Asset {
  readonly type: string;
  readonly body: string;
}

const webFile = (name: string) => readFile(fileURLToPath(new URL(`../web/${name}`, import.meta.url)), 'utf8');

// The page may be pointed at a deployment (?url=wss://…), hence any ws:/wss: endpoint.
const CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'";

export async function createDevSite(options: DevSiteOptions): Promise<DevSite> {
  const [sdk, page, html, css] = await Promise.all([bundle(browserBundleOptions), bundle(pageBundleOptions), webFile('index.html'), webFile('style.css')]);
  const assets = new Map<string, Asset>([
    ['/', { type: 'text/html; charset=utf-8', body: html }],
    ['/index.html', { type: 'text/html; charset=utf-8', body: html }],
    ['/style.css', { type: 'text/css; charset=utf-8', body: css }],
    ['/app.js', { type: 'text/javascript; charset=utf-8', body: page.text }],
    ['/realtime-client.js', { type: 'text/javascript; charset=utf-8', body: sdk.text }],
  ]);

  return {
    sdk,
    async serve(request, response, url) {
      if (url.pathname === DEV_TOKEN_PATH) {
        await serveDevToken(request, response, options.devTokens);
        return true;
      }
      const asset = assets.get(url.pathname);
      if (asset === undefined) return false;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendJson(response, 405, { error: 'METHOD_NOT_ALLOWED', message: `${request.method ?? ''} ${url.pathname}: use GET` });
        return true;
      }
      response.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-store',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
      });
      response.end(request.method === 'HEAD' ? undefined : asset.body);
      return true;
    },
  };
}

/** A user id from a display name: lower case, letters, digits, `-` and `_`. */
function userIdFor(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
  // The server's pushes come from the reserved `system` user; no token may claim it.
  return slug === '' || slug === SYSTEM_USER.userId ? `guest-${slug || 'user'}` : slug;
}

/** POST /dev/token {"name": "Alice"} → {"token", "userId", "name"}: a token for the local stack, an hour long. */
async function serveDevToken(request: IncomingMessage, response: ServerResponse, enabled: boolean): Promise<void> {
  if (!enabled) {
    sendJson(response, 404, { error: 'NOT_FOUND', message: 'development tokens need the local HS256 secret (JWT_SECRET); sign tokens with your issuer' });
    return;
  }
  if (request.method !== 'POST') {
    sendJson(response, 405, { error: 'METHOD_NOT_ALLOWED', message: `${DEV_TOKEN_PATH} takes POST {"name": "…"}` });
    return;
  }
  const body = await readBody(request, 4 * 1024);
  if (body === undefined) return sendJson(response, 413, { error: 'PAYLOAD_TOO_LARGE', message: 'the request body is over 4 KiB' });
  let name: unknown;
  try {
    name = (JSON.parse(body.toString('utf8')) as { name?: unknown } | null)?.name;
  } catch {
    return sendJson(response, 400, { error: 'BAD_REQUEST', message: 'the body must be JSON: {"name": "…"}' });
  }
  if (typeof name !== 'string' || name.trim() === '') {
    return sendJson(response, 400, { error: 'BAD_REQUEST', message: 'name must be a non-empty string' });
  }
  const displayName = name.trim().slice(0, MAX_NAME_LENGTH);
  const userId = userIdFor(displayName);
  const token = await mintDevToken({ userId, name: displayName, expiresIn: '1h' });
  sendJson(response, 200, { token, userId, name: displayName });
}
