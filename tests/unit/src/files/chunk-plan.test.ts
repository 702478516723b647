/**
 * The plan every source of a download takes chunks from at once (src/files/chunk-plan.ts): lowest
 * first, never the same chunk to two sources, a chunk given back goes to another source (never
 * again to one that lacks it or sent it damaged), and the round ends only when every source waits.
 */
import { describe, expect, it } from 'vitest';
import { ChunkPlan } from '../../../../src/files/chunk-plan.ts';

const settled = async <T>(p: Promise<T>) => {
  let out: { v: T } | null = null;
  void p.then((v) => (out = { v }));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return out as { v: T } | null;
};

describe('chunk plan', () => {
  it('hands out the lowest missing chunks a source holds, each to one source only', () => {
    const plan = new ChunkPlan(10, [1, 2, 3, 5, 8, 9], new Map(), 3);
    const a = plan.fetcher('a');
    const b = plan.fetcher('b');
    expect(a.take(2)).toEqual([1, 2]);
    expect(b.take(10, (i) => i !== 3)).toEqual([5, 8, 9]);
    expect(a.take(10)).toEqual([3]);
    expect(plan.openCount).toBe(0);
  });

  it('a chunk given back goes to another source, never again to one that lacks it or sent it damaged', () => {
    const attempts = new Map<number, number>();
    const plan = new ChunkPlan(4, [0, 1, 2, 3], attempts, 2);
    const a = plan.fetcher('a');
    const b = plan.fetcher('b');
    expect(a.take(4)).toEqual([0, 1, 2, 3]);
    a.lacks(1);
    a.damaged(2);
    expect(attempts.get(2)).toBe(1);
    expect(a.take(4)).toEqual([]);
    expect(b.take(4)).toEqual([1, 2]);
    // A second damaged copy uses up the attempts: nobody is given the chunk again.
    b.damaged(2);
    expect(plan.fetcher('c').take(4)).toEqual([]);
    // What a leaving source still held is free again, for anyone (it did not refuse it).
    a.leave();
    expect(b.take(4)).toEqual([0, 3]);
  });

  it('the round ends when every source waits; work that comes back wakes the waiting ones', async () => {
    const plan = new ChunkPlan(3, [0, 1, 2], new Map(), 3);
    const a = plan.fetcher('a');
    const b = plan.fetcher('b');
    expect(a.take(3, (i) => i < 2)).toEqual([0, 1]);
    expect(b.take(3, (i) => i !== 0)).toEqual([2]);
    b.stored(2);
    const bWaits = b.idle();
    expect(await settled(bWaits)).toBeNull(); // a still has chunks in flight
    a.stored(0);
    a.leave(); // a went away holding chunk 1: b can take it
    expect(await settled(bWaits)).toEqual({ v: true });
    expect(b.take(3, (i) => i !== 0)).toEqual([1]);
    b.stored(1);
    expect(await settled(b.idle())).toEqual({ v: false }); // alone and idle: over
  });

  it('stop ends the round for every waiting source', async () => {
    const plan = new ChunkPlan(2, [0, 1], new Map(), 3);
    const a = plan.fetcher('a');
    const b = plan.fetcher('b');
    a.take(1);
    const waits = b.idle();
    plan.stop();
    expect(await settled(waits)).toEqual({ v: false });
    expect(b.take(1)).toEqual([]);
  });
});
