/** Reconnect delays: quick first retries, then at most `maxMs`, with jitter so a room doesn't stampede. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly firstMs = 300,
    private readonly maxMs = 5_000,
  ) {}
  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }
  reset(): void {
    this.attempt = 0;
  }
}
