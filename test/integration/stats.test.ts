import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type BatchGetCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dynamo } from '../../lambdas/core/clients.js';
import { config } from '../../lambdas/core/config.js';
import { logger, stats } from '../../lambdas/core/index.js';
import { broadcastShardOf, keys } from '../../lambdas/core/table.js';
import { handler } from '../../lambdas/handlers/admin.js';
import { lambdaContext } from '../support/events.js';
import { callAdmin, httpEvent } from '../support/http-events.js';
import { nowSeconds, setExpiresAt } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';

// No TTL deletion in this file's table: expired items stay, as on AWS for up
// to days, so the tests see stats ignore them by itself.
vi.hoisted(() => {
  process.env.TEST_TABLE_TTL = 'off';
});

/** Every connection a test opens is closed after it, so each test counts from an empty table. */
const opened: TestConnection[] = [];

afterEach(async () => {
  for (const conn of opened.splice(0)) await conn.disconnect();
  vi.restoreAllMocks();
});

async function open(userId: string, ...rooms: string[]): Promise<TestConnection> {
  const conn = await TestConnection.open(userId);
  opened.push(conn);
  for (const room of rooms) await conn.send({ action: 'joinRoom', room });
  return conn;
}

describe('GET /stats', () => {
  it('is all zeros on an empty table', async () => {
    expect(await callAdmin('GET', '/stats')).toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      json: { connections: 0, users: 0, rooms: [] },
    });
  });

  it('counts live connections, distinct users, and each room’s connections and users', async () => {
    const annPhone = await open('ann', 'zeta', 'alpha');
    await open('ann', 'zeta');
    const ben = await open('ben', 'zeta', 'beta');
    await open('cy', 'gamma');
    await open('dee', 'alpha');

    // Most connections first whatever the name; equal counts by name.
    expect((await callAdmin('GET', '/stats')).json).toEqual({
      connections: 5,
      users: 4,
      rooms: [
        { room: 'zeta', connections: 3, users: 2 },
        { room: 'alpha', connections: 2, users: 2 },
        { room: 'beta', connections: 1, users: 1 },
        { room: 'gamma', connections: 1, users: 1 },
      ],
    });

    await ben.send({ action: 'leaveRoom', room: 'zeta' });
    await annPhone.disconnect();

    expect(await stats()).toEqual({
      connections: 4,
      users: 4,
      rooms: [
        { room: 'alpha', connections: 1, users: 1 },
        { room: 'beta', connections: 1, users: 1 },
        { room: 'gamma', connections: 1, users: 1 },
        { room: 'zeta', connections: 1, users: 1 },
      ],
    });
  });

  it('leaves out connections whose everyone-set link or own record has expired', async () => {
    await open('live', 'shared');
    const staleLink = await open('stale-link', 'shared', 'stale-only');
    const staleRecord = await open('stale-record', 'shared');
    await setExpiresAt(
      keys.broadcastMember(broadcastShardOf(staleLink.connectionId, config.broadcastShards), staleLink.connectionId),
      nowSeconds() - 5,
    );
    await setExpiresAt(keys.connection(staleRecord.connectionId), nowSeconds() - 5);

    expect(await stats()).toEqual({ connections: 1, users: 1, rooms: [{ room: 'shared', connections: 1, users: 1 }] });
  });

  it('reads records in BatchGets of at most 100 keys, and counts them all', async () => {
    // 130 connections: more than one batch, five devices per user (the per-user limit).
    const users = Array.from({ length: 26 }, (_, index) => `many-${index}`);
    await Promise.all(
      users.map(async (user, index) => {
        for (let device = 0; device < 5; device += 1) await open(user, ...(device === 0 ? [`room-${index % 2}`] : []));
      }),
    );
    const send = vi.spyOn(dynamo, 'send');

    const result = await stats();

    const batchSizes = send.mock.calls
      .map(([command]) => command)
      .filter((command) => command instanceof BatchGetCommand)
      .map((command) => command.input.RequestItems?.[config.tableName]?.Keys?.length ?? 0);
    expect(result).toEqual({
      connections: 130,
      users: 26,
      rooms: [
        { room: 'room-0', connections: 13, users: 13 },
        { room: 'room-1', connections: 13, users: 13 },
      ],
    });
    // Gathered across the shards' pages into full batches: 100, then the rest.
    expect(batchSizes).toEqual([100, 30]);
    expect(send.mock.calls.filter(([command]) => command.constructor.name === 'ScanCommand')).toEqual([]);
  });

  it('asks again for keys a BatchGet leaves unprocessed', async () => {
    await open('un', 'retry-room');
    await open('deux', 'retry-room');
    await open('trois');
    // The real table behind a mock that, the first time, answers only half of
    // the keys and hands the rest back as unprocessed, as a throttled table does.
    const real = DynamoDBDocumentClient.from(
      localDynamoDbClient(process.env.DYNAMODB_ENDPOINT as string),
    );
    const dynamoMock = mockClient(dynamo);
    const asked: string[][] = [];
    try {
      dynamoMock.on(QueryCommand).callsFake((input: QueryCommandInput) => real.send(new QueryCommand(input)));
      dynamoMock.on(BatchGetCommand).callsFake(async (input: BatchGetCommandInput) => {
        const request = input.RequestItems?.[config.tableName];
        const requested = request?.Keys ?? [];
        asked.push(requested.map((key) => String(key.pk)));
        if (asked.length > 1) return real.send(new BatchGetCommand(input));
        const answered = requested.slice(0, 1);
        const output = await real.send(
          new BatchGetCommand({ RequestItems: { [config.tableName]: { ...request, Keys: answered } } }),
        );
        return { ...output, UnprocessedKeys: { [config.tableName]: { ...request, Keys: requested.slice(1) } } };
      });

      const result = await stats();

      expect(result).toEqual({ connections: 3, users: 3, rooms: [{ room: 'retry-room', connections: 2, users: 2 }] });
      expect(asked).toHaveLength(2);
      expect(asked[0]).toHaveLength(3);
      expect(asked[1]).toEqual(asked[0]?.slice(1));
    } finally {
      dynamoMock.restore();
      real.destroy();
    }
  });

  it('answers a failing read with 500 and the request id, and logs it', async () => {
    const dynamoMock = mockClient(dynamo);
    try {
      dynamoMock.on(QueryCommand).rejects(new Error('throttled to death'));
      const logged = vi.spyOn(logger, 'error');
      const event = httpEvent('GET', '/stats');

      const result = await handler(event, lambdaContext);

      expect(result).toEqual({
        statusCode: 500,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: 'INTERNAL', requestId: event.requestContext.requestId }),
      });
      expect(logged).toHaveBeenCalledOnce();
    } finally {
      dynamoMock.restore();
    }
  });
});
