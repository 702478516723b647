/** Round trips over the mesh, measured with the page's clock (diagnostics and benchmarks). */
export class PingMeter {
  private waiters = new Map<number, (rttMs: number) => void>();

  /** Sequential pings to one peer; `send` returns the ping's number. */
  async run(send: () => number | null, count: number, timeoutMs = 5000): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const n = send();
      if (n === null) break;
      out.push(
        await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => (this.waiters.delete(n), reject(new Error('ping timeout'))), timeoutMs);
          this.waiters.set(n, (ms) => (clearTimeout(timer), resolve(ms)));
        }),
      );
    }
    return out;
  }

  /** A pong for ping `n`, sent at `sentAt` (performance.now() on this page). */
  pong(n: number, sentAt: number): void {
    this.waiters.get(n)?.(performance.now() - sentAt);
    this.waiters.delete(n);
  }
}
