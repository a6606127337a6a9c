import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { connectionIdFromSortKey, userPartition } from '../../lambdas/core/table.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';

/** Where a table lives: a running local stack, or a test file's own table. */
export interface TableLocation {
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
}

/** This test file's table (integration tests: DynamoDB Local and a table per file). */
export function testTable(): TableLocation {
  return { dynamoDbEndpoint: process.env.DYNAMODB_ENDPOINT as string, tableName: process.env.TABLE_NAME as string };
}

/** A user's live connection ids, as the table holds them. */
export async function liveConnectionIds(table: TableLocation, userId: string): Promise<string[]> {
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(table.dynamoDbEndpoint));
  try {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)',
        ExpressionAttributeValues: { ':pk': userPartition(userId), ':conn': 'CONN#' },
        ConsistentRead: true,
      }),
    );
    return Items.filter((item) => Number(item.expiresAt) > Date.now() / 1000).map((item) => connectionIdFromSortKey(String(item.sk)));
  } finally {
    client.destroy();
  }
}
