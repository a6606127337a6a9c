import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { connectionIdFromSortKey, userPartition } from '../../lambdas/core/table.js';
import { localDynamoDbClient } from '../../local/dynamodb-local.js';
import type { LocalStack } from '../../local/local-stack.js';

/** A user's live connection ids in a running local stack's table. */
export async function liveConnectionIds(stack: LocalStack, userId: string): Promise<string[]> {
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));
  try {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: stack.tableName,
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
