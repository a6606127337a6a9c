/**
 * Runs before each integration test file: points the handlers' config at the
 * shared DynamoDB Local and at a fresh table of this file's own, and starts a
 * Management API stub on a free port. After the file's own clean-up, the
 * table must be sound (test/support/invariants.ts) — whatever its tests did.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { ensureTable } from '../../local/table-setup.js';
import { managementApi } from './management-api.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import { runAfterTableCheck } from './after-table-check.js';
import { settledViolations } from './invariants.js';

process.env.DYNAMODB_ENDPOINT = inject('dynamoDbEndpoint');
process.env.TABLE_NAME = `test-${randomUUID()}`;
process.env.MANAGEMENT_ENDPOINT = await managementApi.start();

beforeAll(async () => {
  const client = localDynamoDbClient(process.env.DYNAMODB_ENDPOINT as string);
  // A file that sets TEST_TABLE_TTL=off (vi.hoisted) proves that reads filter
  // expired items by themselves, with no TTL deletion racing the assertion.
  await ensureTable(client, process.env.TABLE_NAME as string, { ttl: process.env.TEST_TABLE_TTL !== 'off' });
  client.destroy();
});

afterEach(() => managementApi.reset());
afterAll(() => managementApi.stop());

// Registered before the file's own hooks, so it runs after them (vitest runs
// `after` hooks in reverse): sockets are closed and their clean-up is under
// way. Polled, because `$disconnect` and purges finish asynchronously.
afterAll(async () => {
  const client = localDynamoDbClient(process.env.DYNAMODB_ENDPOINT as string);
  const violations = await settledViolations(client, process.env.TABLE_NAME as string).finally(() => client.destroy());
  await runAfterTableCheck();
  if (violations.length > 0) {
    throw new Error(`the table is not sound after this file's tests:\n  ${violations.join('\n  ')}`);
  }
});
