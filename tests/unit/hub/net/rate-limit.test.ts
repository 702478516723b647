import { beforeEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../../hub/net/rate-limit.ts';

const WINDOW_MS = 60_000;
const T0 = 1_700_000_000_000;
let now: number;
let limiter: RateLimiter;

beforeEach(() => {
  now = T0;
  limiter = new RateLimiter(3, WINDOW_MS, () => now);
});

function takeN(key: string, n: number) {
  return Array.from({ length: n }, () => limiter.take(key));
}

describe('RateLimiter.take', () => {
  it('allows `limit` attempts per window and refuses the next with the seconds left', () => {
    expect(takeN('10.0.0.1', 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(limiter.take('10.0.0.1')).toEqual({ ok: false, retryAfterSeconds: 60 });
  });

  it('counts retryAfterSeconds down to the end of the window, rounding up', () => {
    takeN('k', 3);
    now = T0 + 10_000;
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 50 });
    now = T0 + WINDOW_MS - 400;
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('starts a fresh window once the old one has run its length', () => {
    takeN('k', 4);
    now = T0 + WINDOW_MS - 1;
    expect(limiter.take('k').ok).toBe(false);
    now = T0 + WINDOW_MS;
    expect(takeN('k', 3).every((r) => r.ok)).toBe(true);
    expect(limiter.take('k').ok).toBe(false);
  });

  it('keeps windows fixed: attempts late in a window do not extend it', () => {
    now = T0;
    limiter.take('k');
    now = T0 + 59_000;
    takeN('k', 2);
    now = T0 + WINDOW_MS;
    expect(takeN('k', 3).every((r) => r.ok)).toBe(true);
  });

  it('counts each key on its own', () => {
    takeN('10.0.0.1', 4);
    expect(limiter.take('10.0.0.1').ok).toBe(false);
    expect(takeN('10.0.0.2', 3).every((r) => r.ok)).toBe(true);
    expect(limiter.blocked('10.0.0.3')).toBeNull();
  });
});

describe('RateLimiter.blocked', () => {
  it('is null until the key has used its whole allowance', () => {
    expect(limiter.blocked('k')).toBeNull();
    takeN('k', 2);
    expect(limiter.blocked('k')).toBeNull();
  });

  it('reports the seconds left once the allowance is used up', () => {
    takeN('k', 3);
    now = T0 + 15_500;
    expect(limiter.blocked('k')).toEqual({ retryAfterSeconds: 45 });
  });

  it('does not count as an attempt', () => {
    takeN('k', 2);
    for (let i = 0; i < 50; i++) limiter.blocked('k');
    expect(limiter.take('k')).toEqual({ ok: true });
  });

  it('clears when the window ends', () => {
    takeN('k', 5);
    now = T0 + WINDOW_MS;
    expect(limiter.blocked('k')).toBeNull();
  });

  it('never blocks another key', () => {
    takeN('a', 5);
    expect(limiter.blocked('a')).not.toBeNull();
    expect(limiter.blocked('b')).toBeNull();
  });
});

describe('RateLimiter memory', () => {
  it('holds only the keys of the last window or two, however many addresses ever came', () => {
    for (let i = 0; i < 5_000; i++) {
      limiter.take(`10.0.${i >> 8}.${i & 255}`);
      if (i % 100 === 99) now += WINDOW_MS / 10;
    }
    // 5,000 addresses over five windows, 1,000 a window: at most two windows' worth remain.
    expect(limiter.size).toBeLessThanOrEqual(2_000);
    now += 2 * WINDOW_MS;
    limiter.take('10.9.9.9');
    expect(limiter.size).toBe(1);
  });
});
