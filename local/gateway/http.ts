import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Reads a request body, giving up (undefined) past `limit` bytes. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** An AWS REST-JSON error: the SDK reads the error type from `x-amzn-ErrorType`. */
export function sendAwsError(response: ServerResponse, status: number, errorType: string, message: string | null): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-ErrorType': errorType,
    'x-amzn-RequestId': crypto.randomUUID(),
  });
  response.end(JSON.stringify({ message }));
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Starts `server` on 127.0.0.1 (port 0: any free one); resolves once it listens, rejects if it cannot. */
export function listenLocally(server: Server, port = 0): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** `http://127.0.0.1:<port>` of a listening server. */
export function localEndpoint(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The request's URL, or undefined for one that does not parse. */
export function parseUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}
