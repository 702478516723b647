/**
 * What a Yjs document has deleted, per client, as sorted disjoint clock ranges, kept up to date
 * transaction by transaction: built once from the document (O(structs)), then each transaction's
 * delete set is merged in. It answers, by binary search, whether a range is already deleted and
 * which parts of a range are not, so checking another hub's delete set costs what that delete
 * set holds, never a walk over the document.
 */
import * as Y from 'yjs';

interface Range {
  clock: number;
  len: number;
}

export class DeletedRanges {
  private readonly clients = new Map<number, Range[]>();

  constructor(private readonly doc: Y.Doc) {
    const ds = Y.createDeleteSetFromStructStore(doc.store) as unknown as { clients: Map<number, Range[]> };
    for (const [client, items] of ds.clients) this.clients.set(client, items.map((i) => ({ clock: i.clock, len: i.len })));
    doc.on('afterTransaction', this.onTransaction);
  }

  destroy(): void {
    this.doc.off('afterTransaction', this.onTransaction);
  }

  /** Whether every clock of [clock, clock + len) of `client` is deleted. */
  covers(client: number, clock: number, len: number): boolean {
    const rs = this.clients.get(client);
    if (!rs) return len <= 0;
    const i = lastStartingAtOrBefore(rs, clock);
    return i >= 0 && rs[i]!.clock + rs[i]!.len >= clock + len;
  }

  /**
   * The parts of [clock, clock + len) of `client` that are not deleted, in order. The work is the
   * number of deleted ranges inside the query: each of those is merged away once the parts are
   * deleted, so it is paid for once.
   */
  missing(client: number, clock: number, len: number): Range[] {
    const end = clock + len;
    const rs = this.clients.get(client);
    if (!rs) return len > 0 ? [{ clock, len }] : [];
    const out: Range[] = [];
    let at = clock;
    let i = Math.max(0, lastStartingAtOrBefore(rs, clock));
    for (; i < rs.length && at < end; i++) {
      const r = rs[i]!;
      if (r.clock + r.len <= at) continue;
      if (r.clock >= end) break;
      if (r.clock > at) out.push({ clock: at, len: r.clock - at });
      at = Math.max(at, r.clock + r.len);
    }
    if (at < end) out.push({ clock: at, len: end - at });
    return out;
  }

  private readonly onTransaction = (tr: Y.Transaction): void => {
    const ds = tr.deleteSet as unknown as { clients: Map<number, Range[]> };
    for (const [client, items] of ds.clients) for (const r of items) this.add(client, r.clock, r.len);
  };

  private add(client: number, clock: number, len: number): void {
    if (len <= 0) return;
    let rs = this.clients.get(client);
    if (!rs) this.clients.set(client, (rs = []));
    // The first range that ends at or after `clock` (touching ranges merge), up to the last that starts at or before the end.
    let lo = lastStartingAtOrBefore(rs, clock);
    if (lo < 0 || rs[lo]!.clock + rs[lo]!.len < clock) lo++;
    let hi = lo;
    let start = clock;
    let end = clock + len;
    while (hi < rs.length && rs[hi]!.clock <= end) {
      start = Math.min(start, rs[hi]!.clock);
      end = Math.max(end, rs[hi]!.clock + rs[hi]!.len);
      hi++;
    }
    rs.splice(lo, hi - lo, { clock: start, len: end - start });
  }
}

/** Index of the last range whose start is <= clock, or -1. */
function lastStartingAtOrBefore(rs: readonly Range[], clock: number): number {
  let lo = 0;
  let hi = rs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rs[mid]!.clock <= clock) (found = mid), (lo = mid + 1);
    else hi = mid - 1;
  }
  return found;
}
