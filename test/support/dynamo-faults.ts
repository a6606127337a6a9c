import { vi } from 'vitest';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { dynamo } from '../../lambdas/core/clients.js';

/** Which of the handlers' DynamoDB calls to break: by command class name (`PutCommand`, …) and input. */
export type CallMatcher = (commandName: string, input: Record<string, unknown>) => boolean;

export interface DynamoFault {
  /** How many calls the fault has taken so far. */
  readonly taken: () => number;
  restore(): void;
}

/**
 * Makes the next `times` of the handlers' DynamoDB calls that match fail with
 * `outcome`, or never answer (`'hang'`, as a function killed mid-call would
 * look from outside); every other call reaches DynamoDB Local as usual. Lets a
 * test break one step of a multi-write operation and keep the rest real.
 */
export function injectDynamoFault(matches: CallMatcher, outcome: Error | 'hang', times = 1): DynamoFault {
  let taken = 0;
  const original = dynamo.send.bind(dynamo) as (command: unknown) => Promise<unknown>;
  const spy = vi.spyOn(dynamo, 'send').mockImplementation(((command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    if (taken < times && matches(command.constructor.name, command.input)) {
      taken += 1;
      return outcome === 'hang' ? new Promise(() => undefined) : Promise.reject(outcome);
    }
    return original(command);
  }) as unknown as typeof dynamo.send);
  return { taken: () => taken, restore: () => spy.mockRestore() };
}

export const throttled = (): Error =>
  new ProvisionedThroughputExceededException({ message: 'Throughput exceeded (injected)', $metadata: { httpStatusCode: 400 } });

/** The Key of a single-item call, as a `pk|sk` string ('' for other calls). */
export function keyOfCall(input: Record<string, unknown>): string {
  const key = input.Key as { pk?: unknown; sk?: unknown } | undefined;
  const item = input.Item as { pk?: unknown; sk?: unknown } | undefined;
  const target = key ?? item;
  return target === undefined ? '' : `${String(target.pk)}|${String(target.sk)}`;
}
