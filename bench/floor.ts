/**
 * The floor under any fan-out on this machine: the same number of raw
 * SigV4-signed keep-alive POSTs to the local `@connections`, with the same
 * concurrency, and nothing else (no DynamoDB, no retries, no error mapping).
 */
import { Agent, request } from 'node:http';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import pMap from 'p-map';

export function floorPoster(endpoint: string, concurrency: number): (connectionIds: readonly string[], data: Uint8Array) => Promise<void> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    sha256: Hash.bind(null, 'sha256'),
  });
  const post = async (connectionId: string, data: Uint8Array): Promise<void> => {
    const path = `${url.pathname.replace(/\/$/, '')}/@connections/${encodeURIComponent(connectionId)}`;
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path,
      query: {},
      headers: { host: url.host, 'content-length': String(data.byteLength) },
      body: data,
    });
    await new Promise<void>((resolve, reject) => {
      const outgoing = request({ agent, hostname: url.hostname, port: url.port, method: 'POST', path, headers: signed.headers }, (incoming) => {
        incoming.resume();
        incoming.on('end', resolve);
      });
      outgoing.on('error', reject);
      outgoing.end(data);
    });
  };
  return (connectionIds, data) => pMap(connectionIds, (id) => post(id, data), { concurrency }).then(() => undefined);
}
