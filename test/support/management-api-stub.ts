import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small real HTTP server answering the Management API's
 * `POST /@connections/{id}` the way API Gateway does, so the real SDK client
 * does real HTTP: 200 and a recorded frame, 410 with the GoneException error
 * type for connections marked gone, and any scripted failure (429, 500, 413…)
 * for connections told to fail.
 */
export interface ScriptedFailure {
  readonly status: number;
  /** The `x-amzn-ErrorType` header, as API Gateway names its errors. */
  readonly errorType: string;
  readonly message?: string;
}

export class ManagementApiStub {
  private readonly frames = new Map<string, unknown[]>();
  private readonly gone = new Set<string>();
  private readonly failures = new Map<string, ScriptedFailure & { remaining: number }>();
  private readonly unnamedGone = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly stalls = new Map<string, number>();
  private readonly held = new Set<ServerResponse>();
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
          // Some 410s arrive without the modelled error type: the status alone must do.
          const type = this.unnamedGone.has(connectionId) ? {} : { 'x-amzn-ErrorType': 'GoneException' };
          response.writeHead(410, { 'content-type': 'application/json', ...type });
          response.end(JSON.stringify({ message: null }));
          return;
        }
        const stalls = this.stalls.get(connectionId) ?? 0;
        if (stalls > 0) {
          // No answer at all, as from an endpoint that stopped responding; released by reset().
          this.stalls.set(connectionId, stalls - 1);
          this.held.add(response);
          return;
        }
        const failure = this.failures.get(connectionId);
        if (failure !== undefined && failure.remaining > 0) {
          failure.remaining -= 1;
          response.writeHead(failure.status, { 'content-type': 'application/json', 'x-amzn-ErrorType': failure.errorType });
          response.end(JSON.stringify({ message: failure.message ?? `scripted ${failure.status}` }));
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
    for (const response of this.held) response.destroy();
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

  /**
   * From now on the connection answers 410, as one whose client vanished
   * without `$disconnect`; `unnamed`: without the GoneException error type.
   */
  markGone(connectionId: string, options: { unnamed?: boolean } = {}): void {
    this.gone.add(connectionId);
    if (options.unnamed === true) this.unnamedGone.add(connectionId);
  }

  /** The next `times` posts to the connection answer 429. */
  throttle(connectionId: string, times: number): void {
    this.fail(connectionId, { status: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' }, times);
  }

  /** The next `times` posts to the connection answer with this failure. */
  fail(connectionId: string, failure: ScriptedFailure, times: number): void {
    this.failures.set(connectionId, { ...failure, remaining: times });
  }

  /** The next `times` posts to the connection get no answer: the poster's timeout has to end them. */
  stall(connectionId: string, times: number): void {
    this.stalls.set(connectionId, times);
  }

  reset(): void {
    for (const response of this.held) response.destroy();
    this.held.clear();
    this.stalls.clear();
    this.frames.clear();
    this.gone.clear();
    this.failures.clear();
    this.unnamedGone.clear();
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
