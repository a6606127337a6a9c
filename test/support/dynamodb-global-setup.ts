import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { freePort } from '../../local/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

/** One real DynamoDB Local (in memory, free port) for the whole integration run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamoDbLocal = await startDynamoDbLocal({ port: await freePort() });
  project.provide('dynamoDbEndpoint', dynamoDbLocal.endpoint);
  return () => dynamoDbLocal.stop();
}
