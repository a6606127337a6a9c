/**
 * A short soak: the same churn `npm run soak` runs, with fewer clients for
 * a few seconds. Clients that stayed connected get every message once,
 * nothing fails on the server, and the table is left sound and free of
 * connections once everyone has gone.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../soak/soak.js';

describe('churn under load (short soak)', () => {
  it('delivers every acked message once to every client that stayed, and leaves a sound table with no connections', async () => {
    const report = await runSoak({ clients: 48, rooms: 8, seconds: 12, sendIntervalMs: 3_000, dropIntervalMs: 4_000 });

    const { stayers, churners } = report.deliveries;
    expect(report.messages.acked).toBeGreaterThan(0);
    expect(report.reconnects).toBeGreaterThan(0);
    expect(stayers.expected).toBeGreaterThan(0);
    expect({ lost: stayers.lost, duplicated: stayers.duplicated, ownEchoed: stayers.ownEchoed, samples: stayers.lostSamples }).toEqual({
      lost: 0,
      duplicated: 0,
      ownEchoed: 0,
      samples: [],
    });
    expect(stayers.made).toBe(stayers.expected);
    expect(report.internalServerErrorFrames).toBe(0);
    expect(report.handlerFailures).toEqual({ count: 0, samples: [] });
    expect(report.invariantViolations).toEqual([]);
    expect(report.leftoverConnectionItems).toBe(0);
    // The SDK resumes from history after every drop: what churners were expected to get, they got, once.
    expect({ lost: churners.lost, duplicated: churners.duplicated, samples: churners.lostSamples }).toEqual({ lost: 0, duplicated: 0, samples: [] });
    expect(report.failures).toEqual([]);
  }, 120_000);
});
