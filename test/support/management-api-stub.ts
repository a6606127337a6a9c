import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small real HTTP server answering the Management API's
 * `POST /@connections/{id}` the way API Gateway does, so the real SDK client
 * does real HTTP: 200 and a recorded frame, 410 with the GoneException error
 * type for connections marked gone, 429 for connections told to throttle.
 */
export class ManagementApiStub {
  private readonly frames = new Map<string, unknown[]>();
  private readonly gone = new Set<string>();
  private readonly throttles = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const match = /^\/@connections\/([^/?]+)$/.exec(request.url ?? '');
        if (request.method !== 'POST' || match?.[1] === undefined) {
          response.writeHead(404).end();
          return;
        }
        const connectionId = decodeURIComponent(match[1]);
        this.attempts.set(connectionId, (this.attempts.get(connectionId) ?? 0) + 1);
        if (this.gone.has(connectionId)) {
          response.writeHead(410, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'GoneException' });
          response.end(JSON.stringify({ message: null }));
          return;
        }
        const throttles = this.throttles.get(connectionId) ?? 0;
        if (throttles > 0) {
          this.throttles.set(connectionId, throttles - 1);
          response.writeHead(429, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'LimitExceededException' });
          response.end(JSON.stringify({ message: 'Rate exceeded' }));
          return;
        }
        const list = this.frames.get(connectionId) ?? [];
        list.push(JSON.parse(body.toString('utf8')) as unknown);
        this.frames.set(connectionId, list);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Frames delivered to the connection so far, oldest first. */
  framesFor(connectionId: string): unknown[] {
    return this.frames.get(connectionId) ?? [];
  }

  /** Frames delivered to the connection since the last call, oldest first. */
  takeFrames(connectionId: string): unknown[] {
    const frames = this.framesFor(connectionId);
    this.frames.delete(connectionId);
    return frames;
  }

  attemptsFor(connectionId: string): number {
    return this.attempts.get(connectionId) ?? 0;
  }

  /** From now on the connection answers 410, as one whose client vanished without `$disconnect`. */
  markGone(connectionId: string): void {
    this.gone.add(connectionId);
  }

  /** The next `times` posts to the connection answer 429. */
  throttle(connectionId: string, times: number): void {
    this.throttles.set(connectionId, times);
  }

  reset(): void {
    this.frames.clear();
    this.gone.clear();
    this.throttles.clear();
    this.attempts.clear();
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
