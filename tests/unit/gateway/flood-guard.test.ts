import { describe, expect, it } from 'vitest';
import { FloodGuard } from '../../../hub/gateway/flood-guard.ts';

describe('FloodGuard', () => {
  it('allows up to the frames and bytes of a window, per link, and starts again with the next window', () => {
    let t = 0;
    const g = new FloodGuard({ frames: 3, bytes: 100, windowMs: 1000 }, () => t);
    expect([g.take('a', 10), g.take('a', 10), g.take('a', 10)]).toEqual([true, true, true]);
    expect(g.take('a', 10)).toBe(false);
    expect(g.take('b', 100)).toBe(true);
    expect(g.take('b', 1)).toBe(false);
    t = 1000;
    expect(g.take('a', 10)).toBe(true);
    g.forget('b');
    expect(g.take('b', 50)).toBe(true);
  });
});
