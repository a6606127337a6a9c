import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../lambdas/core/table.js';

export interface TableSetupOptions {
  /**
   * Turn TTL deletion on (the default). DynamoDB Local ignores the table's
   * TTL unless told with UpdateTimeToLive, then deletes expired items within
   * seconds, far sooner than AWS does.
   */
  readonly ttl?: boolean;
}

/** Creates the table as the CDK stack defines it (on-demand, pk/sk, TTL); a no-op if it exists. */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: TableSetupOptions = {}): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus !== 'ACTIVE') throw new Error(`table ${tableName} exists but is ${Table?.TableStatus}`);
    return;
  }
  if (options.ttl ?? true) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
      }),
    );
  }
}
