/**
 * Lambda bundles take their AWS credentials from lambdas/core/lambda-credentials.ts
 * instead of the SDK's default chain (an esbuild alias, lib/function-bundling.ts).
 * Here a real SDK client gets it the way the bundled clients do, and signs real
 * HTTP requests to a local endpoint.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lambdas/core/lambda-credentials.js';

const received: IncomingHttpHeaders[] = [];
const server = createServer((request, response) => {
  received.push(request.headers);
  response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ TableNames: [] }));
});
let endpoint = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received.length = 0;
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** A client left to find its own credentials, as the bundled clients in AWS are (lambdas/core/clients.ts). */
const client = () => new DynamoDBClient({ region: 'us-east-1', endpoint, maxAttempts: 1, credentialDefaultProvider: defaultProvider });

describe('#defaultProvider', () => {
  it('signs with the role credentials Lambda puts in the environment, session token included', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIALAMBDAROLE000001');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'lambda-role-secret-access-key');
    vi.stubEnv('AWS_SESSION_TOKEN', 'lambda-role-session-token');
    await client().send(new ListTablesCommand({}));
    expect(received).toHaveLength(1);
    expect(received[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIALAMBDAROLE000001\//);
    expect(received[0]?.['x-amz-security-token']).toBe('lambda-role-session-token');
  });

  it('signs without a session token when there is none (long-term keys)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIALONGTERM00000001');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'long-term-secret-access-key');
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    await client().send(new ListTablesCommand({}));
    expect(received[0]?.authorization).toMatch(/Credential=AKIALONGTERM00000001\//);
    expect(received[0]).not.toHaveProperty('x-amz-security-token');
  });

  it('fails the call, naming the variables, when the environment has no credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    await expect(client().send(new ListTablesCommand({}))).rejects.toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/);
    expect(received).toEqual([]);
  });
});
