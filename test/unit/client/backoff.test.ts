import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../../../client/backoff.js';
import { RealtimeClient, type StateChange } from '../../../client/index.js';

describe('backoffDelay', () => {
  it('draws from [0, min(cap, base × 2^retry)): full jitter', () => {
    const options = { baseMs: 1_000, capMs: 30_000 };
    for (let retry = 0; retry < 12; retry += 1) {
      const ceiling = Math.min(30_000, 1_000 * 2 ** retry);
      expect(backoffDelay(retry, options, () => 0)).toBe(0);
      expect(backoffDelay(retry, options, () => 0.999_999)).toBe(ceiling - 1);
      for (let draw = 0; draw < 50; draw += 1) {
        const delay = backoffDelay(retry, options);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('stays at the cap however many retries have failed', () => {
    expect(backoffDelay(10_000, { baseMs: 1_000, capMs: 30_000 }, () => 0.5)).toBe(15_000);
  });
});

/** A WebSocket whose every handshake fails, as when the server is down. */
class UnreachableSocket {
  static opened = 0;
  static openedAt: number[] = [];
  readonly readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: (() => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    UnreachableSocket.opened += 1;
    UnreachableSocket.openedAt.push(Date.now());
    setTimeout(() => {
      this.onerror?.({});
      this.onclose?.({ code: 1006, reason: '' });
    }, 0);
  }
  send(): void {}
  close(): void {}
}

describe('RealtimeClient reconnect timing', () => {
  let states: StateChange[];
  let client: RealtimeClient;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    UnreachableSocket.opened = 0;
    UnreachableSocket.openedAt = [];
    states = [];
  });
  afterEach(() => {
    client.close();
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  function unreachable(options: { maxAttempts?: number } = {}): RealtimeClient {
    client = new RealtimeClient({ url: 'ws://127.0.0.1:9', getToken: () => 'token', WebSocket: UnreachableSocket, reconnect: options });
    client.on('state', (change) => states.push(change));
    client.connect().catch(() => undefined);
    return client;
  }

  it('retries within 1 s at first, doubles up to a 30 s cap, and waits exactly as long as it says', async () => {
    const announced: { at: number; retryInMs: number | undefined }[] = [];
    unreachable();
    client.on('state', (change) => announced.push({ at: Date.now(), retryInMs: change.retryInMs }));

    await vi.advanceTimersByTimeAsync(100_000);

    const ceilings = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    expect(announced.slice(0, ceilings.length).map((change) => change.retryInMs)).toEqual(ceilings.map((ceiling) => ceiling - 1));
    // Each attempt starts exactly when the wait announced before it ends.
    for (const [index, change] of announced.slice(0, ceilings.length).entries()) {
      expect(UnreachableSocket.openedAt[index + 1]).toBe(change.at + (change.retryInMs ?? Number.NaN));
    }
  });

  it('draws every wait afresh: with a random draw of 0 it retries at once', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    unreachable();
    await vi.advanceTimersByTimeAsync(5);
    expect(UnreachableSocket.opened).toBeGreaterThanOrEqual(3);
    expect(states.filter((change) => change.state === 'reconnecting').every((change) => change.retryInMs === 0)).toBe(true);
  });

  it('gives up after maxAttempts failures in a row and says so', async () => {
    const failures: string[] = [];
    unreachable({ maxAttempts: 3 });
    client.on('error', (error) => failures.push(error.code));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(UnreachableSocket.opened).toBe(3);
    expect(client.state).toBe('closed');
    expect(failures).toEqual(['CONNECT_FAILED']);
    expect(states.at(-1)?.reason).toMatch(/gave up after 3/);
  });

  it('never reconnects after close()', async () => {
    unreachable();
    await vi.advanceTimersByTimeAsync(0);
    client.close();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(UnreachableSocket.opened).toBe(1);
    expect(client.state).toBe('closed');
  });
});
