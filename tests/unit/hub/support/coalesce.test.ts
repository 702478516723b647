import { describe, it, expect, vi, afterEach } from 'vitest';
import { coalesce } from '../../../../hub/support/coalesce.ts';

afterEach(() => vi.useRealTimers());

describe('coalesce', () => {
  it('runs at once, then once per interval for a burst, and always runs after the last call', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const c = coalesce(fn, 500);
    c.call();
    expect(fn).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100; i++) c.call();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(5_000);
    expect(fn).toHaveBeenCalledTimes(2);
    c.call();
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('follows an interval that changes with what the last run cost, and can be cancelled', () => {
    vi.useFakeTimers();
    let interval = 500;
    const fn = vi.fn(() => (interval = 3_000));
    const c = coalesce(fn, () => interval);
    c.call();
    c.call();
    vi.advanceTimersByTime(2_999);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(2);
    c.call();
    c.cancel();
    vi.advanceTimersByTime(10_000);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
