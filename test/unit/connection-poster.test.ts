import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiServiceException,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionPoster } from '../../lambdas/core/connection-poster.js';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A real HTTP server that records each request and answers from a script. */
let server: Server;
let endpoint: string;
const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let script: Answer[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      const answer = script.shift() ?? { status: 200 };
      response.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen.length = 0;
  script = [];
});

function poster(maxAttempts = 3): ConnectionPoster {
  return new ConnectionPoster({
    endpoint,
    region: 'eu-west-1',
    credentials: () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' }),
    retryStrategy: new StandardRetryStrategy(maxAttempts),
    maxSockets: 4,
    requestTimeoutMs: 1_000,
  });
}

const data = Buffer.from('{"type":"message"}');

describe('ConnectionPoster', () => {
  it('POSTs the bytes to the stage path with the connection id encoded, SigV4-signed for execute-api', async () => {
    await poster().post('abc=', data);

    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/prod/@connections/abc%3D');
    expect(request?.body).toBe('{"type":"message"}');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request?.headers['x-amz-security-token']).toBe('session');
  });

  it.each<[number, string | undefined, new (...args: never[]) => Error]>([
    [410, 'GoneException', GoneException],
    [410, undefined, GoneException],
    [413, 'PayloadTooLargeException', PayloadTooLargeException],
    [403, 'ForbiddenException', ForbiddenException],
  ])('maps a %i (%s) to the SDK exception, with its status, without retrying', async (status, errorType, type) => {
    script = [{ status, headers: errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType }, body: '{"message":"no"}' }];

    const error = await poster().post('c1', data).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: status } });
    expect(seen).toHaveLength(1);
  });

  it('retries 429 until the attempts run out, then throws LimitExceededException', async () => {
    const throttled = { status: 429, headers: { 'x-amzn-ErrorType': 'LimitExceededException' }, body: '{"message":"Rate exceeded"}' };
    script = [throttled, throttled, throttled, throttled];

    const error = await poster(3).post('c1', data).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error).toMatchObject({ message: 'Rate exceeded' });
    expect(seen).toHaveLength(3);
  });

  it('retries a 500 and a 502 and succeeds on the third attempt', async () => {
    script = [{ status: 500, headers: { 'x-amzn-ErrorType': 'InternalServerErrorException' } }, { status: 502 }];

    await poster(3).post('c1', data);

    expect(seen).toHaveLength(3);
  });

  it('names an unmodelled error by its x-amzn-ErrorType and status', async () => {
    script = [{ status: 400, headers: { 'x-amzn-ErrorType': 'BadRequestException' }, body: '{"message":"Invalid connectionId"}' }];

    const error = await poster().post('c1', data).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiGatewayManagementApiServiceException);
    expect(error).toMatchObject({ name: 'BadRequestException', message: 'Invalid connectionId', $metadata: { httpStatusCode: 400 } });
  });
});
