/**
 * Retry delays, shared by the app (reconnecting to the hub, redialling a peer, joining again) and
 * the hub (redialling another room's hub): quick first retries, doubling up to `maxMs`, each
 * jittered by ±25% so that a room of devices (or of links) does not retry in step.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly firstMs = 300,
    private readonly maxMs = 5_000,
  ) {}

  /** The delay before the next try; each call is one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  /** A try succeeded: the next failure starts again from `firstMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
