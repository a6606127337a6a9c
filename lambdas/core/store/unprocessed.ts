import { setTimeout as sleep } from 'node:timers/promises';

/** Rounds before what DynamoDB keeps leaving unprocessed is an error. */
const MAX_ROUNDS = 8;

/**
 * Sends a batch request again with what DynamoDB left unprocessed (throttling,
 * or a response size limit) until nothing is left, backing off with full
 * jitter as AWS advises for BatchGetItem and BatchWriteItem. `send` sends
 * the pending part and returns what is still unprocessed. After MAX_ROUNDS it
 * throws rather than leave a silently partial result.
 */
export async function untilProcessed<T>(first: readonly T[], send: (pending: readonly T[]) => Promise<readonly T[]>, what: string): Promise<void> {
  let pending = first;
  for (let round = 0; pending.length > 0; round += 1) {
    if (round === MAX_ROUNDS) throw new Error(`${pending.length} ${what} still unprocessed after ${MAX_ROUNDS} rounds`);
    if (round > 0) await sleep(Math.random() * 25 * 2 ** round);
    pending = await send(pending);
  }
}
