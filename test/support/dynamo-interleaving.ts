import { vi } from 'vitest';
import { dynamo } from '../../lambdas/core/clients.js';
import { roomPartition } from '../../lambdas/core/table.js';
import type { CallMatcher } from './dynamo-faults.js';

export interface Interleaving {
  restore(): void;
}

/**
 * Forces concurrent requests' DynamoDB calls into one order: every call that
 * `holds` matches waits for `release` before it goes to DynamoDB Local, and
 * `answered` hears of each call once DynamoDB Local has answered it. The
 * calls themselves are real; only their timing is chosen.
 */
export function interleaveDynamoCalls(
  holds: CallMatcher,
  release: Promise<void>,
  answered: (commandName: string, input: Record<string, unknown>) => void = () => undefined,
): Interleaving {
  const original = dynamo.send.bind(dynamo) as (command: unknown) => Promise<unknown>;
  const spy = vi.spyOn(dynamo, 'send').mockImplementation((async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name;
    if (holds(name, command.input)) await release;
    const result = await original(command);
    answered(name, command.input);
    return result;
  }) as unknown as typeof dynamo.send);
  return { restore: () => spy.mockRestore() };
}

/** A join's write of its membership in the room (of one connection, when given). */
export function isMembershipWrite(room: string, connectionId?: string): CallMatcher {
  return (name, input) => {
    if (name !== 'TransactWriteCommand') return false;
    const items = (input.TransactItems ?? []) as { Put?: { Item?: { pk?: unknown; connectionId?: unknown } } }[];
    return items.some(({ Put }) => Put?.Item?.pk === roomPartition(room) && (connectionId === undefined || Put.Item.connectionId === connectionId));
  };
}

/** A read of the room's memberships, as a join makes after its write. */
export function isRoomRead(room: string): CallMatcher {
  return (name, input) =>
    name === 'QueryCommand' && (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':pk'] === roomPartition(room);
}
