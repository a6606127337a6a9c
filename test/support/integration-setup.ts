/**
 * Runs before each integration test file: points the handlers' config at the
 * shared DynamoDB Local and at a fresh table of this file's own, and starts a
 * Management API stub on a free port.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { ensureTable } from '../../local/table-setup.js';
import { managementApi } from './management-api.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';

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
