/**
 * The design the well-known samples use, for comparison: find a room's
 * connections with a Scan of the whole table, then post to every one of them
 * at once with an unbounded `Promise.all` through the SDK client. (AWS's
 * simple-websockets-chat-app scans a table of connections and does exactly
 * this; with rooms in one table the Scan filters on the room's partition.)
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../lambdas/core/clients.js';
import { connectionIdFromSortKey, roomPartition } from '../lambdas/core/table.js';

let client: ApiGatewayManagementApiClient | undefined;

export async function naiveFanOut(room: string, data: Uint8Array, exceptConnectionId: string): Promise<void> {
  // Built once, not per invocation as in the samples: the comparison is about the design, not a cold client.
  client ??= new ApiGatewayManagementApiClient({
    region: 'us-east-1',
    endpoint: process.env.MANAGEMENT_ENDPOINT ?? '',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const connectionIds: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: process.env.TABLE_NAME,
        FilterExpression: 'pk = :room AND begins_with(sk, :conn)',
        ExpressionAttributeValues: { ':room': roomPartition(room), ':conn': 'CONN#' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) connectionIds.push(connectionIdFromSortKey(String(item.sk)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const posting = client;
  await Promise.all(
    connectionIds
      .filter((id) => id !== exceptConnectionId)
      .map((id) => posting.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))),
  );
}
