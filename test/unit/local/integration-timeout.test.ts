/**
 * The local gateway's integration timeout: a handler's own result or failure
 * before the deadline, API Gateway's note that it stopped waiting after it,
 * and what the handler still does afterwards only logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withinIntegrationTimeout } from '../../../local/gateway/integration-timeout.js';

function logged(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

describe('withinIntegrationTimeout', () => {
  it('gives the value of a handler that answers in time, and logs nothing', async () => {
    const { lines, log } = logged();
    await expect(withinIntegrationTimeout('$default', 1_000, log, async () => 'reply')).resolves.toEqual({ timedOut: false, value: 'reply' });
    expect(lines).toEqual([]);
  });

  it("rejects with the handler's own failure before the deadline, thrown synchronously or not", async () => {
    const { log } = logged();
    await expect(withinIntegrationTimeout('$default', 1_000, log, () => Promise.reject(new Error('async failure')))).rejects.toThrow('async failure');
    await expect(
      withinIntegrationTimeout('$default', 1_000, log, () => {
        throw new Error('sync failure');
      }),
    ).rejects.toThrow('sync failure');
  });

  it('reports the timeout, and only logs what a late handler does', async () => {
    const { lines, log } = logged();
    const late = withinIntegrationTimeout('$default', 20, log, async () => {
      await sleep(60);
      return 'too late';
    });
    await expect(late).resolves.toEqual({ timedOut: true });
    const failing = withinIntegrationTimeout('$connect', 20, log, async () => {
      await sleep(60);
      throw new Error('late failure');
    });
    await expect(failing).resolves.toEqual({ timedOut: true });
    await expect.poll(() => lines.length).toBe(2);
    expect(lines).toEqual([
      '$default finished after the 20 ms integration timeout: its result is discarded',
      '$connect failed after the 20 ms integration timeout: Error: late failure',
    ]);
  });
});
