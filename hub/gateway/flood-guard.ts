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

  get size(): number {
    return this.windows.size;
  }
}

/**
 * The gateway's use of the guard: a frame's own cost as it arrives, then what handling it (or
 * opening a connection) made the link's session spend. Each returns false once the link is over.
 */
export class LinkBudget {
  private readonly guard = new FloodGuard({ budget: GATEWAY_LIMITS.floodCost, windowMs: GATEWAY_LIMITS.floodWindowMs });

  frame(linkId: string, bytes: number): boolean {
    return this.guard.take(linkId, bytes + GATEWAY_LIMITS.frameCost);
  }

  /** The link is over: its window goes with it. */
  forget(linkId: string): void {
    this.guard.forget(linkId);
  }

  get size(): number {
    return this.guard.size;
  }

  spend(linkId: string, session: { spent: { bytes: number; writes: number } }, base: number, work: () => void): boolean {
    const before = costOf(session.spent);
    work();
    return this.guard.take(linkId, base + costOf(session.spent) - before);
  }
}
