/**
 * The room timeline as the UI shows it, read from the document without re-validating what was
 * read before, and without one long task when a device takes in a big room at once.
 *
 * Every entry comes from another member, so each is validated (protocol/room-doc.ts
 * `TimelineEntry`) before it is shown. Validating 10,000 entries takes ~100 ms on this machine
 * kind and the snapshot is refreshed after every burst of updates, so each entry is validated
 * once: Yjs hands out the same object for an item on every read, and the verdict is kept against
 * it (a WeakMap: an entry that retention deletes takes its verdict with it).
 *
 * A read validates at most `budget` entries it has not seen, newest first (the end of the array:
 * insertion order is causal per author), and says how many are left: the owner shows the newest
 * messages at once and reads the rest in later tasks, as they arrive.
 */
import type * as Y from 'yjs';
import { TimelineEntry, timeline } from '../../protocol/room-doc.ts';

export interface TimelineRead {
  /** The valid entries read so far, sorted as people read them (time, then id). */
  entries: TimelineEntry[];
  /** Entries not validated yet (0 when `entries` is the whole timeline). */
  pending: number;
}

export class TimelineReader {
  private verdicts = new WeakMap<object, TimelineEntry | null>();

  read(doc: Y.Doc, budget = Infinity): TimelineRead {
    const raw = timeline(doc).toArray();
    const out: TimelineEntry[] = [];
    let left = budget;
    let pending = 0;
    for (let i = raw.length - 1; i >= 0; i--) {
      const item = raw[i];
      const keyable = typeof item === 'object' && item !== null;
      let verdict = keyable ? this.verdicts.get(item) : undefined;
      if (verdict === undefined) {
        if (left <= 0) {
          pending++;
          continue;
        }
        left--;
        const parsed = TimelineEntry.safeParse(item);
        verdict = parsed.success ? parsed.data : null;
        if (keyable) this.verdicts.set(item, verdict);
      }
      if (verdict) out.push(verdict);
    }
    // Back in document order, then sorted as protocol/room-doc.ts `readTimeline` sorts (the
    // same order, duplicates included).
    out.reverse();
    out.sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
    return { entries: out, pending };
  }
}
