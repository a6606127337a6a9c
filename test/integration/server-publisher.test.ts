/**
 * `<package>/server` as another service uses it: RealtimePublisher signs its
 * requests and calls the publish API (here the local gateway's), and the
 * message reaches a real socket. Refusals come back as PublishError with the
 * API's status and code.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalGateway } from '../../local/gateway/gateway.js';
import { PublishError, RealtimePublisher } from '../../server/index.js';
import { connectAs, startLocalGateway, type SignedInClient } from '../support/local-gateway.js';

let gateway: LocalGateway;
let publisher: RealtimePublisher;
let ann: SignedInClient;

beforeAll(async () => {
  gateway = await startLocalGateway();
  publisher = new RealtimePublisher({
    url: `${gateway.httpEndpoint}/publish`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local' },
  });
  ann = await connectAs(gateway, 'ann');
  await ann.client.request({ action: 'joinRoom', room: 'news' }, 'joined');
});

afterAll(async () => {
  await ann?.client.close();
  await gateway?.stop();
});

describe('RealtimePublisher', () => {
  it('publishes to a room: numbered, stored and delivered', async () => {
    const result = await publisher.publish({ room: 'news', data: { headline: 'launch' } });
    expect(result).toMatchObject({ id: expect.any(String), seq: 1, delivered: 1, gone: 0, failed: 0 });
    const message = await ann.client.nextOfType('message');
    expect(message).toMatchObject({ room: 'news', seq: 1, id: result.id, data: { headline: 'launch' }, from: { userId: 'system' } });
  });

  it('publishes to every device of a user, unstored', async () => {
    const result = await publisher.publish({ userId: 'ann', data: 'your order shipped' });
    expect(result).toMatchObject({ delivered: 1 });
    expect(result.seq).toBeUndefined();
    expect(await ann.client.nextOfType('message')).toMatchObject({ data: 'your order shipped' });
  });

  it('reads the stats beside the publish URL', async () => {
    expect(await publisher.stats()).toMatchObject({ connections: 1, users: 1, rooms: [{ room: 'news', connections: 1, users: 1 }] });
  });

  it.each([
    ['two targets', { room: 'news', userId: 'ann', data: 1 }, 400, 'BAD_REQUEST', /exactly one of room, userId or broadcast/],
    ['data over the limit', { room: 'news', data: 'x'.repeat(40_000) }, 413, 'PAYLOAD_TOO_LARGE', /limit/],
    ['a room name the protocol refuses', { room: 'no spaces', data: 1 }, 400, 'BAD_REQUEST', /room/],
  ])('answers %s with PublishError (status and code of the API)', async (_what, request, status, code, message) => {
    const error = await publisher.publish(request as never).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ status, code });
    expect((error as Error).message).toMatch(message);
  });

  it('signs each request with SigV4 for execute-api, and reports what IAM refuses as API Gateway answers it', async () => {
    const seen: IncomingHttpHeaders[] = [];
    // Stands in for the deployed, IAM-authorised API: it records and refuses.
    const iamApi = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
    });
    await new Promise<void>((resolve) => iamApi.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = iamApi.address() as AddressInfo;
      const refused = new RealtimePublisher({ url: `http://127.0.0.1:${port}/publish`, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's' } });
      const error = await refused.publish({ room: 'news', data: 1 }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(PublishError);
      expect(error).toMatchObject({ status: 403, code: 'HTTP_403', message: 'POST /publish answered 403 HTTP_403: Forbidden' });
      expect(seen[0]?.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=\S*host\S*x-amz-date\S*, Signature=[0-9a-f]{64}$/,
      );
      expect(seen[0]?.['x-amz-content-sha256'] ?? seen[0]?.['x-amz-date']).toBeDefined();
    } finally {
      iamApi.close();
    }
  });

  it('needs a URL, and says where to get one', () => {
    const saved = process.env.REALTIME_PUBLISH_URL;
    delete process.env.REALTIME_PUBLISH_URL;
    try {
      expect(() => new RealtimePublisher()).toThrow(/REALTIME_PUBLISH_URL \(RealtimeApi.publisherEnvironment\)/);
    } finally {
      if (saved !== undefined) process.env.REALTIME_PUBLISH_URL = saved;
    }
  });

  it('takes the region from an execute-api URL', () => {
    const deployed = new RealtimePublisher({ url: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/publish', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    expect(deployed.region).toBe('eu-west-1');
  });
});
