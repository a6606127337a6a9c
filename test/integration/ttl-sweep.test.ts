/**
 * The table's TTL is on (table setup enables it; DynamoDB Local ignores
 * CDK's setting), and DynamoDB Local does delete an expired connection's
 * items by itself. On a DynamoDB Local of this file's own: on the shared one,
 * busy with every other file's tables, its sweep once took minutes.
 */
import { describe, expect, it, vi } from 'vitest';
import { keys } from '../../lambdas/core/table.js';
import { afterTableCheck } from '../support/after-table-check.js';
import { expireConnection, getItem, nowSeconds } from '../support/table.js';
import { TestConnection } from '../support/test-connection.js';

const dynamoDb = await vi.hoisted(async () => {
  const { startDynamoDbLocal } = await import('../../local/dynamodb-local.js');
  const { freePort } = await import('../../local/ports.js');
  const running = await startDynamoDbLocal({ port: await freePort() });
  process.env.DYNAMODB_ENDPOINT = running.endpoint;
  return running;
});
afterTableCheck(() => dynamoDb.stop());

describe('TTL in DynamoDB Local', () => {
  // DynamoDB Local sweeps expired items every few seconds to tens of seconds.
  it('deletes an expired connection by itself', { timeout: 120_000 }, async () => {
    const conn = await TestConnection.open('expiring');
    await expireConnection(conn.connectionId, nowSeconds() - 1);

    await vi.waitFor(
      async () => {
        expect(await getItem(keys.connection(conn.connectionId))).toBeUndefined();
      },
      { timeout: 110_000, interval: 500 },
    );
  });
});
