/**
 * Publish from your own services: the signed client of the publish API
 * (`POST /publish`, `GET /stats`, IAM-authorised). A Lambda function given
 * `RealtimeApi.publisherEnvironment` and `grantPublish` calls `publish()`
 * and nothing else; anything else builds a RealtimePublisher with the URL.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { PublishTarget } from '../lambdas/core/protocol.js';

export type { PublishTarget };

/** What a publish did. */
export interface PublishResult {
  /** The pushed `message` frame's id. */
  readonly id: string;
  /** The room's `seq` for the message; only a room publish is numbered. */
  readonly seq?: number;
  /** Connections the message was posted to. */
  readonly delivered: number;
  /** Connections found gone (410) and removed. */
  readonly gone: number;
  /** Posts that failed for another reason, retries exhausted. */
  readonly failed: number;
  /** A large room: connections handed to the fan-out workers, and in how many batches. */
  readonly queued?: { readonly connections: number; readonly batches: number };
}

/** Live connections, users and room occupancy (an O(connections) read: for dashboards, not hot paths). */
export interface RealtimeStats {
  readonly connections: number;
  readonly users: number;
  readonly rooms: readonly { readonly room: string; readonly connections: number; readonly users: number }[];
}

/** A refusal or failure of the publish API, with its HTTP status and error code (`BAD_REQUEST`, `PAYLOAD_TOO_LARGE`, …). */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PublisherOptions {
  /** The publish URL (`RealtimeApi.publishUrl`). @default process.env.REALTIME_PUBLISH_URL */
  readonly url?: string;
  /** The API's region. @default - from the URL's host (`….execute-api.<region>.amazonaws.com`), else AWS_REGION */
  readonly region?: string;
  /** @default - the AWS SDK's default chain (a Lambda function's role, a profile, …) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Give up on a request after this long. @default 29 seconds, API Gateway's own limit */
  readonly timeoutMs?: number;
}

export class RealtimePublisher {
  readonly url: URL;
  readonly region: string;
  private readonly signer: SignatureV4;
  private readonly timeoutMs: number;

  constructor(options: PublisherOptions = {}) {
    const url = options.url ?? process.env.REALTIME_PUBLISH_URL;
    if (url === undefined || url === '') {
      throw new Error('RealtimePublisher needs the publish URL: pass { url } or set REALTIME_PUBLISH_URL (RealtimeApi.publisherEnvironment)');
    }
    this.url = new URL(url);
    const region = options.region ?? /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(this.url.hostname)?.[1] ?? process.env.AWS_REGION;
    if (region === undefined) throw new Error('RealtimePublisher needs a region: pass { region } or set AWS_REGION');
    this.region = region;
    this.signer = new SignatureV4({
      service: 'execute-api',
      region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Hash.bind(null, 'sha256'),
    });
    this.timeoutMs = options.timeoutMs ?? 29_000;
  }

  /** Pushes `data` to a room (stored and numbered), to every device of a user, or to every connection. */
  async publish(request: PublishTarget): Promise<PublishResult> {
    return (await this.call('POST', this.url, JSON.stringify(request))) as PublishResult;
  }

  async stats(): Promise<RealtimeStats> {
    return (await this.call('GET', new URL('stats', this.url))) as RealtimeStats;
  }

  private async call(method: 'GET' | 'POST', url: URL, body?: string): Promise<unknown> {
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
    const response = await fetch(url, {
      method,
      headers: signed.headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    const answer = parseJson(text);
    if (!response.ok) {
      const error = typeof answer === 'object' && answer !== null ? (answer as { error?: unknown; message?: unknown; Message?: unknown }) : {};
      const code = typeof error.error === 'string' ? error.error : `HTTP_${response.status}`;
      const message = [error.message, error.Message].find((part) => typeof part === 'string') ?? text;
      throw new PublishError(response.status, code, `${method} ${url.pathname} answered ${response.status} ${code}: ${String(message)}`);
    }
    return answer;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

let defaultPublisher: RealtimePublisher | undefined;

/** Publishes with a publisher built once from REALTIME_PUBLISH_URL and the default credentials. */
export async function publish(request: PublishTarget): Promise<PublishResult> {
  defaultPublisher ??= new RealtimePublisher();
  return defaultPublisher.publish(request);
}
