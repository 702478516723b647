/** Fixed-window counters per key (an address). Memory is bounded by pruning old windows. */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; `ok: false` once over the limit, with seconds until the window ends. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
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

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
  }
}
