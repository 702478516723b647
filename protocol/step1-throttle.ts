/**
 * Answers a link's sync step 1 at most once per interval. A step 1 is a few bytes, its answer is
 * everything the asker lacks (the whole document for "I have nothing": 1.1 MB and 45 ms of work
 * for a 1-byte state vector on a busy room), so a member repeating it would make the hub encode
 * and send the room over and over. An honest replica sends one when a link comes up and one per
 * refused update, never two while the first is unanswered (protocol/doc-sync.ts), so waiting
 * costs it at most one interval. While one waits, only the newest state vector is kept (it
 * supersedes the older ones: a replica's state only grows).
 */
export type Scheduler = (fn: () => void, ms: number) => () => void;

export const STEP1_EVERY_MS = 1_000;

export const realTimers: Scheduler = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

interface LinkState {
  at: number;
  waiting: Uint8Array | null;
  cancel: (() => void) | null;
}

export class Step1Throttle {
  private readonly links = new Map<string, LinkState>();

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number,
    private readonly schedule: Scheduler,
  ) {}

  /** Runs `answer(stateVector)` now, or once the link's interval has passed (newest only). */
  request(linkId: string, stateVector: Uint8Array, answer: (stateVector: Uint8Array) => void): void {
    const t = this.now();
    const s = this.links.get(linkId);
    if (!s || t - s.at >= this.everyMs) {
      s?.cancel?.(); // a late timer: this answer covers what it waited for
      this.links.set(linkId, { at: t, waiting: null, cancel: null });
      return answer(stateVector);
    }
    s.waiting = stateVector;
    s.cancel ??= this.schedule(() => {
      s.cancel = null;
      const sv = s.waiting;
      s.waiting = null;
      if (!sv || this.links.get(linkId) !== s) return;
      s.at = this.now();
      answer(sv);
    }, s.at + this.everyMs - t);
  }

  /** The link went: nothing waits for it any more. */
  forget(linkId: string): void {
    this.links.get(linkId)?.cancel?.();
    this.links.delete(linkId);
  }

  clear(): void {
    for (const id of [...this.links.keys()]) this.forget(id);
  }
}
