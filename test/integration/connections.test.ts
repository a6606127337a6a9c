import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys, userPartition } from '../../lambdas/core/table.js';
import { connectionItems, getItem, partitionItems } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';

describe('$connect', () => {
  it('stores the connection with the identity the authorizer gave it, and links it to its user', async () => {
    const before = Math.floor(Date.now() / 1000);
    const conn = await TestConnection.open('carol', { name: 'Carol', allowedRooms: ['private-ops'], roles: ['admin'] });
    const after = Math.floor(Date.now() / 1000);

    const { connection, userLink } = await connectionItems(conn.connectionId, 'carol');
    expect(connection).toMatchObject({
      connectionId: conn.connectionId,
      userId: 'carol',
      name: 'Carol',
      allowedRooms: ['private-ops'],
      roles: ['admin'],
    });
    expect(userLink).toMatchObject({ connectionId: conn.connectionId, userId: 'carol' });
    // Idle expiry: API Gateway's 10 minutes, half a window more, plus a minute's grace,
    // from the second the record was written (between `before` and `after` on a loaded machine).
    expect(connection?.expiresAt).toBeGreaterThanOrEqual(before + 960);
    expect(connection?.expiresAt).toBeLessThanOrEqual(after + 961);
    expect(userLink?.expiresAt).toBe(connection?.expiresAt);
  });

  it('refuses with 401 and writes nothing when the authorizer supplied no user', async () => {
    const anonymous = new TestConnection(undefined);

    const result = await anonymous.connect();

    expect(result.statusCode).toBe(401);
    expect(await getItem(keys.connection(anonymous.connectionId))).toBeUndefined();
  });

  it('refuses the sixth connection of a user with 429 and writes nothing for it', async () => {
    const devices = await Promise.all(Array.from({ length: 5 }, () => TestConnection.open('dave')));
    const sixth = new TestConnection({ userId: 'dave', name: 'dave', allowedRooms: [], roles: [] });

    const result = await sixth.connect();

    expect(result.statusCode).toBe(429);
    expect(result.body).toMatch(/holds 5 connections \(the limit\)/);
    expect(await getItem(keys.connection(sixth.connectionId))).toBeUndefined();
    expect(await partitionItems(userPartition('dave'))).toHaveLength(5);

    await devices[0]?.disconnect();
    expect((await sixth.connect()).statusCode).toBe(200);
  });

  it('holds the limit when a burst of handshakes for one user arrives at once', async () => {
    const burst = Array.from({ length: 15 }, () => new TestConnection({ userId: 'burst', name: 'burst', allowedRooms: [], roles: [] }));

    const results = await Promise.all(burst.map((conn) => conn.connect()));

    const admitted = results.filter((result) => result.statusCode === 200).length;
    expect(admitted).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(5);
    expect(results.every((result) => result.statusCode === 200 || result.statusCode === 429)).toBe(true);
    expect(await partitionItems(userPartition('burst'))).toHaveLength(admitted);
  });
});

describe('$disconnect', () => {
  it('removes the connection, its user link and every membership', async () => {
    const erin = await TestConnection.open('erin');
    await erin.send({ action: 'joinRoom', room: 'd-one' });
    await erin.send({ action: 'joinRoom', room: 'd-two' });
    expect((await connectionItems(erin.connectionId, 'erin', ['d-one', 'd-two'])).memberships).toHaveLength(2);

    const result = await erin.disconnect();

    expect(result.statusCode).toBe(200);
    expect(await connectionItems(erin.connectionId, 'erin', ['d-one', 'd-two'])).toEqual({
      connection: undefined,
      userLink: undefined,
      memberships: [],
    });
  });

  it("announces user_left only when the user's last connection leaves the room", async () => {
    const phone = await TestConnection.open('frank', { name: 'Frank' });
    const laptop = await TestConnection.open('frank', { name: 'Frank' });
    const grace = await TestConnection.open('grace');
    for (const conn of [phone, laptop, grace]) await conn.send({ action: 'joinRoom', room: 'd-presence' });
    grace.received();

    await phone.disconnect();
    expect(grace.received()).toEqual([]);

    await laptop.disconnect();
    expect(grace.received()).toEqual([
      { type: 'user_left', room: 'd-presence', user: { userId: 'frank', name: 'Frank' }, count: 1 },
    ]);
  });

  it('is harmless for a connection that was never stored or is already gone', async () => {
    const ghost = new TestConnection({ userId: 'ghost', name: 'ghost', allowedRooms: [], roles: [] });
    expect((await ghost.disconnect()).statusCode).toBe(200);
    const twice = await TestConnection.open('twice');
    await twice.disconnect();
    expect((await twice.disconnect()).statusCode).toBe(200);
  });
});

describe('table setup', () => {
  it('turns TTL on for expiresAt, which DynamoDB Local ignores unless told', async () => {
    const client = localDynamoDbClient(process.env.DYNAMODB_ENDPOINT as string);
    const { TimeToLiveDescription } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: process.env.TABLE_NAME }),
    );
    client.destroy();
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});
