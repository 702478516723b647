import { describe, expect, it } from 'vitest';
import { costOf, FloodGuard } from '../../../../hub/gateway/flood-guard.ts';
import { GATEWAY_LIMITS } from '../../../../protocol/gateway.ts';

describe('FloodGuard', () => {
  it('allows up to a window’s budget of cost, per link, and starts again with the next window', () => {
    let t = 0;
    const g = new FloodGuard({ budget: 100, windowMs: 1000 }, () => t);
    expect([g.take('a', 40), g.take('a', 40), g.take('a', 20)]).toEqual([true, true, true]);
    expect(g.take('a', 1)).toBe(false);
    expect(g.take('b', 100)).toBe(true);
    expect(g.take('b', 1)).toBe(false);
    t = 1000;
    expect(g.take('a', 10)).toBe(true);
    g.forget('b');
    expect(g.take('b', 50)).toBe(true);
  });

  it('counts what a frame made the hub do: bytes sent back and durable writes', () => {
    expect(costOf({ bytes: 0, writes: 0 })).toBe(0);
    expect(costOf({ bytes: 1000, writes: 2 })).toBe(1000 + 2 * GATEWAY_LIMITS.writeCost);
  });
});
