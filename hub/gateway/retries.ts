/**
 * The gateway's one retry scheduler. What this hub must do over the network until it works
 * (dial a guest link again, tell the other hub that a link ended here) is keyed (`l…` for a
 * link, `end:l…` for an end to deliver), one timer per key, its delays from one Backoff per key.
 * A key is forgotten once its work is done or its link is over, so the table holds only live work.
 */
import { Backoff } from '../../protocol/backoff.ts';

/** The first retry, and the wait before dialling again after a connection drops. */
export const RETRY_FIRST_MS = 500;
/** Backoff jitters each delay by ±25%: at most 30 s between tries (PROTOCOL.md, "Reconnection"), as before the split. */
export const RETRY_MAX_MS = 24_000;

interface Entry {
  timer: NodeJS.Timeout | null;
  backoff: Backoff;
}

export class Retries {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  /** Runs `work` after `delay` ms, or after the key's next backoff delay; a timer already set for the key is replaced. */
  schedule(key: string, work: () => void, delay: number | 'backoff'): void {
    if (this.closed) return;
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { timer: null, backoff: new Backoff(RETRY_FIRST_MS, RETRY_MAX_MS) }));
    if (entry.timer) clearTimeout(entry.timer);
    const e = entry;
    e.timer = setTimeout(() => {
      e.timer = null;
      work();
    }, delay === 'backoff' ? e.backoff.next() : delay);
    e.timer.unref();
  }

  /** The work for `key` succeeded: its next failure waits the first delay again. */
  succeeded(key: string): void {
    this.entries.get(key)?.backoff.reset();
  }

  /** The work for `key` is over (done, or its link ended): no timer, no entry. */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.timer) clearTimeout(entry.timer);
    this.entries.delete(key);
  }

  /** Keys with work pending or a connection up (the soak benchmark watches it stay bounded). */
  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.entries.keys()]) this.forget(key);
  }
}
