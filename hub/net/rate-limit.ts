/** Fixed-window counters per key (an address). Windows that are over go at `sweep()`, and at once past 10,000 keys. */
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

  /** Keys with a window open (or over, not yet swept). */
  get size(): number {
    return this.windows.size;
  }

  /** Forgets windows that are over: call now and then, so keys that stopped coming do not stay. */
  sweep(): void {
    this.prune(this.now());
  }

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
  }
}
