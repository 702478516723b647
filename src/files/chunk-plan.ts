/**
 * The chunks one round of a download still has to fetch, shared by every source fetching at once:
 * a room is a swarm (the sharer, every device that already has the file, the hub's copy). Each
 * source takes the lowest-numbered chunks it holds that nobody else is fetching, a window at a
 * time, so a faster source simply takes more and chunks arrive nearly in order (the whole-file
 * hash follows them). A chunk a source turns out not to have, could not deliver, or sent damaged
 * goes back for the others; a source is never given again, in the same round, a chunk it lacks
 * or sent damaged. A source with nothing to take waits (`idle`): work may come back when another
 * source fails; the round is over once every source waits or has left.
 */

const OPEN = 0;
const TAKEN = 1;
const DONE = 2;

export class ChunkPlan {
  private readonly state: Uint8Array;
  /** Lowest index that may still be open. */
  private low = 0;
  private open: number;
  /** Sources that must not be given a chunk again this round (they lack it or sent it damaged). */
  private readonly refused = new Map<number, Set<string>>();
  private readonly fetchers = new Set<Fetcher>();
  private readonly waiting = new Map<Fetcher, (more: boolean) => void>();
  private stopped = false;

  constructor(
    total: number,
    missing: Iterable<number>,
    /** Damaged copies received per chunk (shared across rounds), and the most allowed. */
    private readonly attempts: Map<number, number>,
    private readonly maxAttempts: number,
  ) {
    this.state = new Uint8Array(total).fill(DONE);
    let n = 0;
    for (const i of missing) {
      if (i >= 0 && i < total && this.state[i] === DONE) {
        this.state[i] = OPEN;
        n++;
      }
    }
    this.open = n;
  }

  /** A new fetcher for `source` (a source may run several, e.g. parallel HTTP requests). */
  fetcher(source: string): Fetcher {
    const f = new Fetcher(this, source);
    this.fetchers.add(f);
    return f;
  }

  /** Chunks nobody has taken yet. */
  get openCount(): number {
    return this.open;
  }

  /** The round ends now (cancelled, or storage failed): waiting fetchers are told to finish. */
  stop(): void {
    this.stopped = true;
    this.settle();
  }

  // ---- for Fetcher ---------------------------------------------------------------------------

  /** @internal */
  takeFor(f: Fetcher, n: number, holds: (i: number) => boolean): number[] {
    const out: number[] = [];
    if (this.stopped) return out;
    while (this.low < this.state.length && this.state[this.low] !== OPEN) this.low++;
    for (let i = this.low; i < this.state.length && out.length < n; i++) {
      if (this.state[i] !== OPEN || !holds(i) || this.refused.get(i)?.has(f.source)) continue;
      if ((this.attempts.get(i) ?? 0) >= this.maxAttempts) continue;
      this.state[i] = TAKEN;
      this.open--;
      out.push(i);
    }
    return out;
  }

  /** @internal */
  finished(i: number): void {
    this.state[i] = DONE;
  }

  /** @internal A taken chunk goes back; `refuse`: never to this source again this round. */
  returned(f: Fetcher, i: number, refuse: boolean): void {
    if (this.state[i] !== TAKEN) return;
    this.state[i] = OPEN;
    this.open++;
    if (i < this.low) this.low = i;
    if (refuse) this.refused.set(i, (this.refused.get(i) ?? new Set()).add(f.source));
    // Someone waiting may be able to take it.
    for (const [w, wake] of [...this.waiting]) {
      this.waiting.delete(w);
      wake(true);
    }
  }

  /** @internal */
  damaged(i: number): void {
    this.attempts.set(i, (this.attempts.get(i) ?? 0) + 1);
  }

  /** @internal */
  wait(f: Fetcher): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    const p = new Promise<boolean>((r) => this.waiting.set(f, r));
    this.settle();
    return p;
  }

  /** @internal */
  left(f: Fetcher): void {
    this.fetchers.delete(f);
    this.waiting.get(f)?.(false);
    this.waiting.delete(f);
    this.settle();
  }

  /** Once every fetcher waits (nobody holds a chunk in flight), nothing more can come back. */
  private settle(): void {
    if (!this.stopped && [...this.fetchers].some((f) => !this.waiting.has(f))) return;
    for (const [w, wake] of [...this.waiting]) {
      this.waiting.delete(w);
      wake(false);
    }
  }
}

/** One source's (or one of its parallel workers') share of a plan. */
export class Fetcher {
  /** Taken and not yet stored or given back. */
  readonly outstanding = new Set<number>();
  private gone = false;

  constructor(
    private readonly plan: ChunkPlan,
    readonly source: string,
  ) {}

  /** Up to `n` chunks this source holds, lowest first. */
  take(n: number, holds: (i: number) => boolean = () => true): number[] {
    if (this.gone || n <= 0) return [];
    const got = this.plan.takeFor(this, n, holds);
    for (const i of got) this.outstanding.add(i);
    return got;
  }

  /** Stored: nobody fetches it again. */
  stored(i: number): void {
    if (!this.outstanding.delete(i)) return;
    this.plan.finished(i);
  }

  /** This source does not have it (or no longer): another may. */
  lacks(i: number): void {
    if (this.outstanding.delete(i)) this.plan.returned(this, i, true);
  }

  /** Arrived damaged: counts as an attempt; another source may send a good copy. */
  damaged(i: number): void {
    if (!this.outstanding.delete(i)) return;
    this.plan.damaged(i);
    this.plan.returned(this, i, true);
  }

  /**
   * Nothing to take now: resolves true when chunks came back (take again), false when the round
   * is over (every fetcher waits or has left, or the plan stopped).
   */
  idle(): Promise<boolean> {
    if (this.gone) return Promise.resolve(false);
    return this.plan.wait(this);
  }

  /** Done with the plan: what it still holds goes back for the others. */
  leave(): void {
    if (this.gone) return;
    this.gone = true;
    for (const i of [...this.outstanding]) {
      this.outstanding.delete(i);
      this.plan.returned(this, i, false);
    }
    this.plan.left(this);
  }
}
