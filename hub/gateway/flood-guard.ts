/**
 * How much a linked room may send per link: frames and bytes in a sliding pair of fixed windows.
 * A hub that floods a note it may write (or anything else) is cut off like one that breaks the
 * scope: the link's frames are already size-checked one by one; this bounds their rate.
 */
export interface FloodLimits {
  frames: number;
  bytes: number;
  windowMs: number;
}

export class FloodGuard {
  private windows = new Map<string, { start: number; frames: number; bytes: number }>();

  constructor(
    private readonly limits: FloodLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one frame of `bytes` on `key`; false once the window's frames or bytes are over. */
  take(key: string, bytes: number): boolean {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.limits.windowMs) {
      w = { start: t, frames: 0, bytes: 0 };
      this.windows.set(key, w);
    }
    w.frames++;
    w.bytes += bytes;
    return w.frames <= this.limits.frames && w.bytes <= this.limits.bytes;
  }

  forget(key: string): void {
    this.windows.delete(key);
  }
}
