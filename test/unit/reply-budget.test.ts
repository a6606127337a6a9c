import { describe, expect, it } from 'vitest';
import { REPLY_BUDGET_BYTES } from '../../lambdas/core/protocol.js';
import { withinReplyBudget } from '../../lambdas/core/reply-budget.js';

describe('withinReplyBudget', () => {
  it('keeps everything that fits', () => {
    expect(withinReplyBudget([1, 2, 3], 100)).toEqual([1, 2, 3]);
  });

  it('keeps the longest prefix under the budget, in order', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ i, text: 'x'.repeat(20 * 1024) }));
    const kept = withinReplyBudget(items);
    expect(kept.map((item) => item.i)).toEqual([0, 1, 2, 3, 4]);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(REPLY_BUDGET_BYTES);
  });

  it('always keeps the first item, however large', () => {
    expect(withinReplyBudget(['y'.repeat(200), 'z'], 50)).toEqual(['y'.repeat(200)]);
  });
});
