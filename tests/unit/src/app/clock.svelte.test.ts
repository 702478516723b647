/** The view's clock: ticks while started, and leaves no timer behind once stopped. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';
import { Clock } from '../../../../src/app/clock.svelte.ts';

afterEach(() => vi.useRealTimers());

describe('Clock', () => {
  it('ticks every second while started, and stop() clears its interval', () => {
    vi.useFakeTimers();
    const clock = new Clock();
    const seen: number[] = [];
    const stopEffect = $effect.root(() => {
      $effect(() => void seen.push(clock.now));
    });
    flushSync();
    clock.start();
    expect(vi.getTimerCount()).toBe(1);
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(1_000);
      flushSync();
    }
    expect(seen.length).toBe(4);
    expect(seen[3]! - seen[0]!).toBe(3_000);
    clock.stop();
    expect(vi.getTimerCount()).toBe(0);
    stopEffect();
  });
});
