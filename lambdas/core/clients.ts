/**
 * The AWS clients, built once per container (module scope) and reused by every
 * invocation. Local runs differ only by endpoint configuration.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.js';

const region = process.env.AWS_REGION ?? 'us-east-1';

/**
 * DynamoDB Local and the local gateway accept any credentials, but the SDK
 * still needs some to sign; in AWS the Lambda role supplies them.
 */
const localCredentials =
  process.env.AWS_ACCESS_KEY_ID === undefined ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;

/** The low-level client, for libraries that take one (Powertools idempotency). */
export const dynamoClient = new DynamoDBClient({
  region,
  ...(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint, credentials: localCredentials }),
});

export const dynamo = DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } });

let managementApi: ApiGatewayManagementApiClient | undefined;

/**
 * The Management API client. Built on first use because `$connect` and
 * `$disconnect` never post. The SDK's standard retry strategy backs off with
 * jitter on throttling (429) and 5xx answers; a 410 is not retried.
 */
export function managementClient(): ApiGatewayManagementApiClient {
  if (managementApi === undefined) {
    if (config.managementEndpoint === undefined) {
      throw new Error('MANAGEMENT_ENDPOINT is not set: this function cannot post to connections');
    }
    managementApi = new ApiGatewayManagementApiClient({
      region,
      endpoint: config.managementEndpoint,
      maxAttempts: config.postMaxAttempts,
      ...(config.managementEndpoint.startsWith('http://') ? { credentials: localCredentials } : {}),
    });
  }
  return managementApi;
}
