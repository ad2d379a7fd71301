import { setTimeout as delay } from 'node:timers/promises';
import { DeadlineExceededError, withDeadline } from './deadline.js';

describe(withDeadline.name, () => {
  it('returns what the work returns before the deadline', async () => {
    await expect(withDeadline(1_000, () => Promise.resolve('answer'))).resolves.toBe('answer');
  });

  it('passes on the work’s own failure unchanged', async () => {
    const failure = new Error('operator said no');
    await expect(withDeadline(1_000, () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it('rejects at the deadline even when the work ignores its signal', async () => {
    const started = performance.now();
    const ignoring = new Promise<string>(() => undefined);
    await expect(withDeadline(50, () => ignoring)).rejects.toBeInstanceOf(DeadlineExceededError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('aborts the signal it gave the work at the deadline', async () => {
    let seen: AbortSignal | undefined;
    await expect(
      withDeadline(30, async (signal) => {
        seen = signal;
        await delay(5_000, undefined, { signal });
      }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(seen?.aborted).toBe(true);
  });

  it('stops at once when the parent signal aborts first', async () => {
    const parent = new AbortController();
    const started = performance.now();
    const running = withDeadline(
      5_000,
      (signal) => delay(10_000, undefined, { signal }),
      parent.signal,
    );
    parent.abort();
    await expect(running).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('rejects without running late when the parent was already aborted', async () => {
    const parent = new AbortController();
    parent.abort();
    await expect(
      withDeadline(5_000, () => new Promise(() => undefined), parent.signal),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
  });
});
