import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../protocol/backoff.ts';

describe('Backoff (app and hub)', () => {
  it('doubles from the first delay up to the cap, jittered by a quarter either way, and starts again after a reset', () => {
    const b = new Backoff(500, 30_000);
    const bases = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    for (const base of bases) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(base * 0.75);
      expect(d).toBeLessThanOrEqual(base * 1.25);
    }
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(625);
  });

  it('spreads retries: a room of devices does not retry in step', () => {
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff(1_000, 1_000).next()));
    expect(delays.size).toBeGreaterThan(10);
  });
});
