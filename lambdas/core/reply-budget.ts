import { REPLY_BUDGET_BYTES } from './protocol.js';

/**
 * The longest prefix of `items` whose JSON fits the reply budget (at least
 * one item: a single message or member always fits). API Gateway does not
 * deliver a reply over 128 KiB, so a reply that would be larger is cut here;
 * `history` callers page on with the last `seq`.
 */
export function withinReplyBudget<T>(items: readonly T[], budget = REPLY_BUDGET_BYTES): T[] {
  let used = 0;
  const kept: T[] = [];
  for (const item of items) {
    used += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (used > budget && kept.length > 0) break;
    kept.push(item);
  }
  return kept;
}
