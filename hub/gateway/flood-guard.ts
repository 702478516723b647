/**
 * How much a linked room may make this hub do per link, counted as cost, not frames: each frame
 * costs its bytes plus a fixed amount for decoding and checking it, plus what it made this hub do
 * (bytes sent back, durable writes: a change stored in the per-link copy and in the room, a reply
 * recorded in the ledger), in a fixed window. A hub over the budget is cut off like one that
 * breaks the scope. Frames are also size-checked one by one; every check a frame triggers costs
 * what the frame holds (see note-update.ts, thread-index.ts), so the budget bounds the hub's work.
 */
import { GATEWAY_LIMITS } from '../../protocol/gateway.ts';

export interface FloodLimits {
  /** Cost units (about a byte each) per window. */
  budget: number;
  windowMs: number;
}

/** What a frame made the hub do, in cost units. */
export function costOf(spent: { bytes: number; writes: number }): number {
  return spent.bytes + spent.writes * GATEWAY_LIMITS.writeCost;
}

export class FloodGuard {
  private windows = new Map<string, { start: number; cost: number }>();

  constructor(
    private readonly limits: FloodLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Charges `cost` to `key`; false once the window's budget is spent. */
  take(key: string, cost: number): boolean {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.limits.windowMs) {
      w = { start: t, cost: 0 };
      this.windows.set(key, w);
    }
    w.cost += cost;
    return w.cost <= this.limits.budget;
  }

  forget(key: string): void {
    this.windows.delete(key);
  }
}
