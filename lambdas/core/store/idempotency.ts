import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamoClient } from '../clients.js';
import { config } from '../config.js';
import { idempotencyPartition, TABLE_SCHEMA } from '../table.js';

/**
 * Idempotency records for events delivered at least once (EventBridge), kept
 * in the one table under their own partition and expiring through its TTL.
 */
export function idempotencyStore(functionName: string): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName: config.tableName,
    keyAttr: TABLE_SCHEMA.partitionKey,
    sortKeyAttr: TABLE_SCHEMA.sortKey,
    staticPkValue: idempotencyPartition(functionName),
    expiryAttr: TABLE_SCHEMA.ttlAttribute,
    awsSdkV3Client: dynamoClient,
  });
}

/** One processing per event `id` within an hour: EventBridge may deliver an event twice. */
export const eventIdempotency = new IdempotencyConfig({ eventKeyJmesPath: 'id', expiresAfterSeconds: 3_600 });
