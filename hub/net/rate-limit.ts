/**
 * Fixed-window counters per key (an address). A hub runs for months and sees many addresses:
 * windows that are over are swept once a window (on the next attempt), and at once past 10,000
 * keys, so only the keys of the last window or two are ever held.
 */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  private lastSweep = -Infinity;
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; `ok: false` once over the limit, with seconds until the window ends. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    if (t - this.lastSweep >= this.windowMs) this.prune(t);
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.prune(t);
    }
    w.count++;
    if (w.count > this.limit) return { ok: false, retryAfterSeconds: Math.ceil((w.start + this.windowMs - t) / 1000) };
    return { ok: true };
  }

  /** True when the key is already over its limit (without counting). */
  blocked(key: string): { retryAfterSeconds: number } | null {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs || w.count < this.limit) return null;
    return { retryAfterSeconds: Math.ceil((w.start + this.windowMs - t) / 1000) };
  }

  /** Keys held (their window open, or over and not swept yet). */
  get size(): number {
    return this.windows.size;
  }

  private prune(t: number): void {
    this.lastSweep = t;
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
  }
}
