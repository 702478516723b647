/**
 * The timeline snapshot (src/memory/timeline-reader.ts): the same entries, in the same order, as
 * protocol/room-doc.ts `readTimeline`; each entry validated once; a budget that reads the newest
 * first and says how many are left.
 */
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { TimelineReader } from '../../../../src/memory/timeline-reader.ts';
import { TimelineEntry, newDoc, readTimeline, timeline } from '../../../../protocol/room-doc.ts';

const DEV = 'd' + 'a'.repeat(32);
const entry = (i: number, sentAt = 1_000 + i) => ({ id: `msg-${String(i).padStart(6, '0')}`, author: DEV, authorName: 'Ada', text: `message ${i}`, sentAt });

function roomWith(items: unknown[]): Y.Doc {
  const doc = newDoc();
  timeline(doc).push(items);
  return doc;
}

describe('TimelineReader', () => {
  it('reads what readTimeline reads: invalid entries skipped, ties broken by id, duplicates kept', () => {
    const doc = roomWith([
      entry(3),
      { ...entry(1), id: 'B-tied-0001', sentAt: 50 },
      'not an entry',
      { ...entry(2), text: '' },
      { ...entry(4), id: 'a-tied-0001', sentAt: 50 },
      null,
      entry(5),
      { ...entry(5), text: 'same id and time' },
      { ...entry(6), author: 'nobody' },
    ]);
    const read = new TimelineReader().read(doc);
    expect(read.pending).toBe(0);
    expect(read.entries).toEqual(readTimeline(doc));
    expect(read.entries.map((e) => e.id)).toEqual(['a-tied-0001', 'B-tied-0001', 'msg-000003', 'msg-000005', 'msg-000005']);
  });

  it('validates each entry once across reads, and what arrives later as it arrives', () => {
    const doc = roomWith(Array.from({ length: 50 }, (_, i) => entry(i)));
    const reader = new TimelineReader();
    const parse = vi.spyOn(TimelineEntry, 'safeParse');
    try {
      expect(reader.read(doc).entries).toHaveLength(50);
      expect(parse).toHaveBeenCalledTimes(50);
      timeline(doc).push([entry(50), { ...entry(51), sentAt: 'late' }]);
      const again = reader.read(doc);
      expect(parse).toHaveBeenCalledTimes(52);
      expect(reader.read(doc).entries).toHaveLength(51);
      expect(parse).toHaveBeenCalledTimes(52);
      parse.mockRestore();
      expect(again.entries).toEqual(readTimeline(doc));
    } finally {
      parse.mockRestore();
    }
  });

  it('within a budget, reads the newest first and says how many are left; the next reads finish', () => {
    const doc = roomWith(Array.from({ length: 1000 }, (_, i) => entry(i)));
    const reader = new TimelineReader();
    const first = reader.read(doc, 60);
    expect(first.entries.map((e) => e.text)).toEqual(Array.from({ length: 60 }, (_, i) => `message ${940 + i}`));
    expect(first.pending).toBe(940);
    const second = reader.read(doc, 500);
    expect(second.entries).toHaveLength(560);
    expect(second.pending).toBe(440);
    const last = reader.read(doc, 500);
    expect(last.pending).toBe(0);
    expect(last.entries).toEqual(readTimeline(doc));
  });

  it('forgets nothing it should not: a deleted entry is gone from the next read', () => {
    const doc = roomWith([entry(1), entry(2), entry(3)]);
    const reader = new TimelineReader();
    expect(reader.read(doc).entries).toHaveLength(3);
    timeline(doc).delete(1, 1);
    expect(reader.read(doc).entries.map((e) => e.id)).toEqual(['msg-000001', 'msg-000003']);
  });
});
