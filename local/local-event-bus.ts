/**
 * An EventBridge bus on this machine: an HTTP endpoint answering PutEvents in
 * EventBridge's JSON protocol (`X-Amz-Target: AWSEvents.PutEvents`,
 * `application/x-amz-json-1.1`), so the handlers put their events out with
 * the real `@aws-sdk/client-eventbridge` and nothing but
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`. It keeps what it receives, in the shape
 * EventBridge delivers to a rule's target, tells listeners, and can print a
 * line per event.
 *
 * What it checks, as EventBridge does (API reference, PutEvents and
 * PutEventsRequestEntry; user guide, "Calculating PutEvents event entry
 * size"): the request is SigV4-signed (the header's presence and scheme, not
 * the signature); 1 to 10 entries of at most 256 KiB together, else the
 * whole call fails with ValidationException; each entry has `Source`,
 * `DetailType` and `Detail` (InvalidArgument) and `Detail` is a JSON object
 * (MalformedDetail), else that entry fails and is counted in
 * `FailedEntryCount` while the others go through.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
// EventBridge's own limit, which events out respects.
import { MAX_ENTRIES_PER_PUT } from '../lambdas/core/events-out.js';
import { listenLocally, localEndpoint, readBody } from './gateway/http.js';

/** An event as EventBridge delivers it to a rule's target, and where it was put. */
export interface ReceivedEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601, whole seconds, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
  /** The bus named in the entry (`default` when none was). */
  readonly eventBusName: string;
  /** Which PutEvents call brought it, counting from 1. */
  readonly call: number;
}

/** A scripted answer to whole PutEvents calls, for tests of the callers' failure handling. */
export type BusFault =
  /** An HTTP error with EventBridge's error type (a 500 `InternalException`, a 400 `ThrottlingException`…). */
  | { readonly kind: 'error'; readonly status: number; readonly errorType: string }
  /** A 200 in which every entry failed (`FailedEntryCount` > 0), as when the bus refuses them one by one. */
  | { readonly kind: 'refuse-entries'; readonly errorCode: string }
  /** No answer at all: the caller's timeout has to end the call. */
  | { readonly kind: 'stall' };

export interface LocalEventBusOptions {
  /** One readable line per event received. */
  readonly log?: (line: string) => void;
}

const ACCOUNT = '000000000000';
/** EventBridge's limit on the entries of one call, counted by `putEventsEntrySize`. */
export const MAX_BYTES_PER_PUT = 256 * 1024;
/** Read at most this much of a request: more is over the entries' limit whatever it holds. */
const MAX_REQUEST_BYTES = 4 * MAX_BYTES_PER_PUT;

interface RequestEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Time?: unknown;
  readonly Resources?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/**
 * An entry's size as EventBridge counts it against the 256 KiB of a call: 14
 * bytes for `Time`, and the UTF-8 bytes of `Source`, `DetailType`, `Detail`
 * and each of `Resources`.
 */
export function putEventsEntrySize(entry: RequestEntry): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources) ? (entry.Resources as unknown[]) : [];
  return (
    (entry.Time === undefined || entry.Time === null ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce<number>((sum, resource) => sum + bytes(resource), 0)
  );
}

export class LocalEventBus {
  /** Every event put so far, oldest first. */
  readonly received: ReceivedEvent[] = [];
  /** PutEvents calls answered so far, failed ones included. */
  calls = 0;

  private readonly server: Server;
  private readonly emitter = new EventEmitter();
  private readonly faults: { fault: BusFault; remaining: number }[] = [];
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly options: LocalEventBusOptions = {}) {
    this.server = createServer((request, response) => void this.serve(request, response));
  }

  async start(port = 0): Promise<void> {
    await listenLocally(this.server, port);
  }

  /** `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  get endpoint(): string {
    return localEndpoint(this.server);
  }

  async stop(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.held.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Calls `listener` with each event as it arrives; returns the unsubscribe function. */
  onEvent(listener: (event: ReceivedEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** The first event received (already, or within `timeoutMs`) that matches. */
  waitFor(matches: (event: ReceivedEvent) => boolean, timeoutMs = 10_000): Promise<ReceivedEvent> {
    const seen = this.received.find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no matching event within ${timeoutMs} ms; received ${this.received.length}`));
      }, timeoutMs);
      const unsubscribe = this.onEvent((event) => {
        if (!matches(event)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(event);
      });
    });
  }

  /** The next `times` calls get this answer instead of their events being taken. */
  fail(fault: BusFault, times: number): void {
    this.faults.push({ fault, remaining: times });
  }

  /** Forgets what was received and any fault still scripted; stalled calls are cut off. */
  reset(): void {
    this.received.length = 0;
    this.faults.length = 0;
    for (const response of this.held) response.destroy();
    this.held.clear();
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request, MAX_REQUEST_BYTES);
    const authorization = request.headers.authorization;
    if (authorization === undefined || authorization === '') {
      return this.fail400(response, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      return this.fail400(response, 'IncompleteSignatureException', 'The Authorization header is not an AWS Signature Version 4 one');
    }
    if (request.method !== 'POST' || request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      return this.sendJson(response, 400, { __type: 'UnknownOperationException' });
    }
    this.calls += 1;
    const fault = this.nextFault();
    if (fault?.kind === 'stall') {
      this.held.add(response);
      return;
    }
    if (fault?.kind === 'error') {
      return this.sendJson(response, fault.status, { __type: fault.errorType, message: `scripted ${fault.errorType}` });
    }
    if (raw === undefined) return this.fail400(response, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    let input: { Entries?: unknown };
    try {
      input = JSON.parse(raw.toString('utf8')) as { Entries?: unknown };
    } catch {
      return this.fail400(response, 'SerializationException', 'The request body is not JSON');
    }
    const entries = input?.Entries;
    if (!Array.isArray(entries)) {
      return this.fail400(response, 'ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
    }
    if (entries.length < 1 || entries.length > MAX_ENTRIES_PER_PUT) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES_PER_PUT}`;
      return this.fail400(response, 'ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`);
    }
    const typed = entries as RequestEntry[];
    if (typed.reduce((sum, entry) => sum + putEventsEntrySize(entry ?? {}), 0) > MAX_BYTES_PER_PUT) {
      return this.fail400(response, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const results = typed.map((entry) =>
      fault?.kind === 'refuse-entries'
        ? { ErrorCode: fault.errorCode, ErrorMessage: `scripted ${fault.errorCode}` }
        : this.take(entry ?? {}),
    );
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    this.sendJson(response, 200, { FailedEntryCount: failed, Entries: results });
  }

  /** Takes one entry: its result, and the event kept and told when it is valid. */
  private take(entry: RequestEntry): EntryResult {
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      const value = entry[field];
      if (typeof value !== 'string' || value === '') {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
      }
    }
    const detail = parseObject(entry.Detail as string);
    if (detail === undefined) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const event: ReceivedEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType as string,
      source: entry.Source as string,
      account: ACCOUNT,
      time: wholeSeconds(entryTime(entry.Time)),
      region: process.env.AWS_REGION ?? 'us-east-1',
      resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      detail,
      eventBusName: typeof entry.EventBusName === 'string' && entry.EventBusName !== '' ? entry.EventBusName : 'default',
      call: this.calls,
    };
    this.received.push(event);
    this.options.log?.(describeEvent(event));
    this.emitter.emit('event', event);
    return { EventId: event.id };
  }

  private nextFault(): BusFault | undefined {
    const next = this.faults[0];
    if (next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) this.faults.shift();
    return next.fault;
  }

  /** EventBridge's JSON-protocol error: `__type` names it, as the SDK reads it. */
  private fail400(response: ServerResponse, type: string, message: string): void {
    this.sendJson(response, 400, { __type: type, message });
  }

  private sendJson(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
    response.end(JSON.stringify(body));
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The SDK sends `Time` as epoch seconds; other clients may send a date string. Absent, the time of receipt. */
function entryTime(time: unknown): Date {
  if (typeof time === 'number') return new Date(time * 1000);
  if (typeof time === 'string' && !Number.isNaN(Date.parse(time))) return new Date(time);
  return new Date();
}

function wholeSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** `event realtime.user.joined room=lobby user=alice users=2 connections=3`. */
export function describeEvent(event: ReceivedEvent): string {
  const { room, user, users, connections, reason } = event.detail as {
    room?: unknown;
    user?: { userId?: unknown };
    users?: unknown;
    connections?: unknown;
    reason?: unknown;
  };
  const fields = [
    ['room', room],
    ['user', user?.userId],
    ['users', users],
    ['connections', connections],
    ['reason', reason],
  ].filter(([, value]) => value !== undefined);
  return ['event', event['detail-type'], ...fields.map(([key, value]) => `${String(key)}=${String(value)}`)].join(' ');
}
