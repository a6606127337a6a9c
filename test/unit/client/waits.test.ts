/**
 * The client's timed waits and what ends them early: close() (Sleeps.endAll)
 * and, in a browser, the network coming back (OnlineWake).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OnlineWake } from '../../../client/online-wake.js';
import { Sleeps } from '../../../client/sleeps.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Whether `promise` has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('Sleeps', () => {
  it('resolves a wait after its time, and endAll() ends every wait under way at once', async () => {
    const sleeps = new Sleeps();
    const short = sleeps.sleep(100);
    const long = sleeps.sleep(60_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(short)).toBe(true);
    expect(await settled(long)).toBe(false);
    sleeps.endAll();
    expect(await settled(long)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('OnlineWake', () => {
  function browserWindow() {
    const listeners = new Set<() => void>();
    vi.stubGlobal('addEventListener', (type: string, listener: () => void) => type === 'online' && listeners.add(listener));
    vi.stubGlobal('removeEventListener', (type: string, listener: () => void) => type === 'online' && listeners.delete(listener));
    return { listeners, goOnline: () => listeners.forEach((listener) => listener()) };
  }

  it('ends a wait early when the browser comes back online, and no longer once it stops listening', async () => {
    const browser = browserWindow();
    const sleeps = new Sleeps();
    const wake = new OnlineWake();
    wake.listen();
    const first = wake.cutShort(sleeps.sleep(60_000));
    expect(await settled(first)).toBe(false);
    browser.goOnline();
    expect(await settled(first)).toBe(true);

    wake.stopListening();
    expect(browser.listeners.size).toBe(0);
    const second = wake.cutShort(sleeps.sleep(1_000));
    browser.goOnline();
    expect(await settled(second)).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled(second)).toBe(true);
  });

  it('leaves waits to run their course where there is no event target', async () => {
    const sleeps = new Sleeps();
    const wake = new OnlineWake();
    wake.listen();
    const wait = wake.cutShort(sleeps.sleep(1_000));
    expect(await settled(wait)).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await settled(wait)).toBe(true);
    wake.stopListening();
  });
});
