import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEvent, LocalEventBus, MAX_BYTES_PER_PUT, putEventsEntrySize } from '../../../local/local-event-bus.js';

const lines: string[] = [];
const bus = new LocalEventBus({ log: (line) => lines.push(line) });
let client: EventBridgeClient;

beforeAll(async () => {
  await bus.start();
  client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: bus.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await bus.stop();
});

afterEach(() => {
  bus.reset();
  lines.length = 0;
});

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: 'app-bus',
  Source: 'realtime',
  DetailType: 'realtime.room.occupied',
  Detail: JSON.stringify({ room: 'lobby', users: 1, connections: 1 }),
  ...overrides,
});

/** A raw request, for what the SDK would never send. */
async function raw(body: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(bus.endpoint, { method: 'POST', body, headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } });
  return { status: response.status, body: await response.json() };
}

const signed = { authorization: 'AWS4-HMAC-SHA256 Credential=local/20261203/us-east-1/events/aws4_request, SignedHeaders=host, Signature=00' };

describe('the local EventBridge endpoint', () => {
  it('takes the SDK client’s PutEvents and keeps each event as EventBridge delivers it', async () => {
    const time = new Date('2026-12-03T10:00:05.678Z');

    const answer = await client.send(new PutEventsCommand({ Entries: [entry({ Time: time }), entry({ EventBusName: undefined })] }));

    expect(answer).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }, { EventId: expect.any(String) }] });
    expect(bus.received).toEqual([
      {
        version: '0',
        id: answer.Entries?.[0]?.EventId,
        'detail-type': 'realtime.room.occupied',
        source: 'realtime',
        account: '000000000000',
        time: '2026-12-03T10:00:05Z',
        region: 'us-east-1',
        resources: [],
        detail: { room: 'lobby', users: 1, connections: 1 },
        eventBusName: 'app-bus',
        call: bus.calls,
      },
      expect.objectContaining({ eventBusName: 'default', id: answer.Entries?.[1]?.EventId }),
    ]);
    expect(lines).toEqual(['event realtime.room.occupied room=lobby users=1 connections=1', 'event realtime.room.occupied room=lobby users=1 connections=1']);
  });

  it.each([
    ['no Source', { Source: undefined }, 'InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.'],
    ['no DetailType', { DetailType: undefined }, 'InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'],
    ['no Detail', { Detail: undefined }, 'InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.'],
    ['a Detail that is not JSON', { Detail: '{"room":' }, 'MalformedDetail', 'Detail is malformed.'],
    ['a Detail that is JSON but no object', { Detail: '[1,2]' }, 'MalformedDetail', 'Detail is malformed.'],
  ])('fails an entry with %s on its own (FailedEntryCount), and takes the others', async (_, overrides, errorCode, errorMessage) => {
    const answer = await client.send(new PutEventsCommand({ Entries: [entry(), entry(overrides), entry()] }));

    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries).toEqual([{ EventId: expect.any(String) }, { ErrorCode: errorCode, ErrorMessage: errorMessage }, { EventId: expect.any(String) }]);
    expect(bus.received).toHaveLength(2);
  });

  it.each([
    ['11 entries', Array.from({ length: 11 }, () => entry()), /length less than or equal to 10/],
    ['no entries', [], /length greater than or equal to 1/],
    ['entries over 256 KiB together', [entry({ Detail: JSON.stringify({ pad: 'x'.repeat(MAX_BYTES_PER_PUT / 2) }) }), entry({ Detail: JSON.stringify({ pad: 'x'.repeat(MAX_BYTES_PER_PUT / 2) }) })], /^Total size of the entries in the request is over the limit\.$/],
  ])('refuses a whole call of %s with a 400 ValidationException', async (_, entries, message) => {
    const error = await client.send(new PutEventsCommand({ Entries: entries })).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(message), $metadata: { httpStatusCode: 400 } });
    expect(bus.received).toEqual([]);
  });

  it('takes entries of exactly 256 KiB together, as EventBridge counts them', async () => {
    const base = entry({ Detail: '{"pad":""}' });
    const pad = MAX_BYTES_PER_PUT - putEventsEntrySize(base);
    const full = entry({ Detail: JSON.stringify({ pad: 'x'.repeat(pad) }) });
    expect(putEventsEntrySize(full)).toBe(MAX_BYTES_PER_PUT);

    await expect(client.send(new PutEventsCommand({ Entries: [full] }))).resolves.toMatchObject({ FailedEntryCount: 0 });
    // One byte more: a Time (14 bytes) on a detail 13 bytes shorter.
    const over = entry({ Detail: JSON.stringify({ pad: 'x'.repeat(pad - 13) }), Time: new Date() });
    await expect(client.send(new PutEventsCommand({ Entries: [over] }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('counts an entry’s size as EventBridge does: 14 bytes of Time and the UTF-8 bytes of the rest', () => {
    expect(putEventsEntrySize({ Source: 'é', DetailType: 'ab', Detail: '{}', Resources: ['r1', 'r22'], Time: new Date() })).toBe(14 + 2 + 2 + 2 + 5);
    expect(putEventsEntrySize({ Source: 's' })).toBe(1);
  });

  it('answers an unsigned request with MissingAuthenticationTokenException and one signed otherwise with IncompleteSignatureException', async () => {
    const body = JSON.stringify({ Entries: [entry()] });
    const target = { 'x-amz-target': 'AWSEvents.PutEvents' };

    expect(await raw(body, target)).toEqual({ status: 400, body: { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' } });
    expect(await raw(body, { ...target, authorization: 'Bearer abc' })).toMatchObject({ status: 400, body: { __type: 'IncompleteSignatureException' } });
    expect(bus.received).toEqual([]);
  });

  it('answers an unknown target with UnknownOperationException', async () => {
    expect(await raw('{}', { ...signed, 'x-amz-target': 'AWSEvents.ListRules' })).toEqual({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(await raw('{}', signed)).toEqual({ status: 400, body: { __type: 'UnknownOperationException' } });
  });

  it('answers a body that is not JSON with SerializationException, and no Entries with ValidationException', async () => {
    const target = { ...signed, 'x-amz-target': 'AWSEvents.PutEvents' };

    expect(await raw('not json', target)).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
    expect(await raw('{}', target)).toMatchObject({ status: 400, body: { __type: 'ValidationException', message: expect.stringMatching(/must not be null/) } });
  });

  it('fails calls as scripted: an error the SDK retries, entries refused one by one', async () => {
    bus.fail({ kind: 'error', status: 500, errorType: 'InternalException' }, 2);
    const callsBefore = bus.calls;

    // Two 500s, then the SDK's third attempt goes through.
    await expect(client.send(new PutEventsCommand({ Entries: [entry()] }))).resolves.toMatchObject({ FailedEntryCount: 0 });
    expect(bus.calls - callsBefore).toBe(3);

    bus.fail({ kind: 'refuse-entries', errorCode: 'InternalFailure' }, 1);
    const refused = await client.send(new PutEventsCommand({ Entries: [entry(), entry()] }));
    expect(refused).toMatchObject({ FailedEntryCount: 2, Entries: [{ ErrorCode: 'InternalFailure' }, { ErrorCode: 'InternalFailure' }] });
    expect(bus.received).toHaveLength(1);
  });

  it('tells listeners of each event, and waits for one that has not come yet', async () => {
    const seen: string[] = [];
    const unsubscribe = bus.onEvent((event) => seen.push(event['detail-type']));
    const waiting = bus.waitFor((event) => event['detail-type'] === 'realtime.user.left');

    await client.send(new PutEventsCommand({ Entries: [entry(), entry({ DetailType: 'realtime.user.left' })] }));
    unsubscribe();
    await client.send(new PutEventsCommand({ Entries: [entry()] }));

    expect(await waiting).toMatchObject({ 'detail-type': 'realtime.user.left' });
    expect(seen).toEqual(['realtime.room.occupied', 'realtime.user.left']);
    await expect(bus.waitFor(() => false, 50)).rejects.toThrow(/no matching event within 50 ms/);
  });

  it('prints a user event with the user and the reason', () => {
    const line = describeEvent({
      version: '0',
      id: 'x',
      'detail-type': 'realtime.user.left',
      source: 'realtime',
      account: '000000000000',
      time: '2026-12-03T10:00:05Z',
      region: 'us-east-1',
      resources: [],
      detail: { room: 'lobby', user: { userId: 'alice', name: 'Alice' }, users: 2, connections: 3, reason: 'gone', connectionId: 'c1' },
      eventBusName: 'default',
      call: 1,
    });
    expect(line).toBe('event realtime.user.left room=lobby user=alice users=2 connections=3 reason=gone');
  });
});
