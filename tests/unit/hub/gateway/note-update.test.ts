/**
 * The note update check against hostile shapes, one by one: what Yjs would park, what reaches
 * outside the note, what a read-only link may not do; and what is new is all that is applied.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DeletedRanges } from '../../../../hub/gateway/deleted-ranges.ts';
import { screenUpdate, type NoteDoc } from '../../../../hub/gateway/note-update.ts';

function noteDoc(text = 'hello world'): NoteDoc {
  const doc = new Y.Doc({ gc: true });
  doc.getText('body').insert(0, text);
  doc.getMap('meta').set('title', 'Plan');
  return { doc, body: doc.getText('body'), meta: doc.getMap('meta'), deleted: new DeletedRanges(doc) };
}
/** Another hub's copy, in sync with `n`. */
function copyOf(n: NoteDoc): Y.Doc {
  const d = new Y.Doc();
  Y.applyUpdate(d, Y.encodeStateAsUpdate(n.doc));
  return d;
}
/** What `d` changed by `change`, as an update. */
function diff(d: Y.Doc, change: () => void): Uint8Array {
  const sv = Y.encodeStateVector(d);
  change();
  return Y.encodeStateAsUpdate(d, sv);
}
const apply = (n: NoteDoc, u: Uint8Array | null) => u && Y.applyUpdate(n.doc, u);

describe('screenUpdate', () => {
  it('applies what is new, drops what the document holds', () => {
    const n = noteDoc();
    const other = copyOf(n);
    const u = diff(other, () => other.getText('body').insert(5, ','));
    apply(n, screenUpdate(n, u, false));
    expect(n.body.toString()).toBe('hello, world');
    expect(screenUpdate(n, u, false)).toBeNull(); // the same again: nothing new
    expect(screenUpdate(n, Y.encodeStateAsUpdate(other), false)).toBeNull();
  });

  it('a deletion already made is dropped; only what is still there is deleted', () => {
    const n = noteDoc('abcdefghij');
    const other = copyOf(n);
    const first = diff(other, () => other.getText('body').delete(2, 3));
    apply(n, screenUpdate(n, first, false));
    expect(n.body.toString()).toBe('abfghij');
    expect(screenUpdate(n, first, false)).toBeNull();
    const wider = diff(other, () => other.getText('body').delete(0, 4)); // 'ab' and 'fg' around the deleted 'cde'
    const fresh = screenUpdate(n, wider, false)!;
    const ds = (Y.decodeUpdate(fresh).ds as unknown as { clients: Map<number, { clock: number; len: number }[]> }).clients;
    expect([...ds.values()].flat().reduce((a, r) => a + r.len, 0)).toBe(4); // not the 3 already deleted
    apply(n, fresh);
    expect(n.body.toString()).toBe('hij');
  });

  it('read only: nothing new, nothing deleted; what the guest already holds passes', () => {
    const n = noteDoc();
    const guest = copyOf(n);
    expect(screenUpdate(n, Y.encodeStateAsUpdate(guest), true)).toBeNull();
    expect(screenUpdate(n, Uint8Array.of(0, 0), true)).toBeNull();
    const g2 = copyOf(n);
    expect(() => screenUpdate(n, diff(g2, () => g2.getText('body').insert(0, 'x')), true)).toThrow(/read-only/);
    const g3 = copyOf(n);
    expect(() => screenUpdate(n, diff(g3, () => g3.getText('body').delete(0, 1)), true)).toThrow(/read-only/);
  });

  it('refuses what Yjs would park: a gap in clocks, an unknown origin, a deletion of what never came', () => {
    const n = noteDoc();
    const other = copyOf(n);
    const skipped = diff(other, () => other.getText('body').insert(0, 'a'));
    const later = diff(other, () => other.getText('body').insert(0, 'b'));
    void skipped;
    expect(() => screenUpdate(n, later, false)).toThrow(/never received/);
    // An item whose origin is a change this hub never saw (from a third client).
    const third = copyOf(n);
    const unseen = diff(third, () => third.getText('body').insert(0, 'z'));
    Y.applyUpdate(other, unseen);
    const onTop = diff(other, () => other.getText('body').insert(1, 'y'));
    expect(() => screenUpdate(n, onTop, false)).toThrow(/never received/);
    const ghost = new Y.Doc();
    ghost.getText('body').insert(0, 'ghost');
    const delUnseen = diff(ghost, () => ghost.getText('body').delete(0, 5));
    const dsOnly = Y.encodeStateAsUpdate(ghost, Y.encodeStateVector(ghost));
    void delUnseen;
    expect(() => screenUpdate(n, dsOnly, false)).toThrow(/never received/);
    expect(n.doc.store.pendingStructs).toBeNull();
  });

  it('refuses anything outside the note’s text and title', () => {
    const n = noteDoc();
    const cases: [string, (d: Y.Doc) => void, RegExp][] = [
      ['another root type', (d) => d.getMap('timeline').set('x', 1), /does not cover/],
      ['another meta key', (d) => d.getMap('meta').set('owner', 'me'), /other than a title/],
      ['a long title', (d) => d.getMap('meta').set('title', 'x'.repeat(121)), /other than a title/],
      ['a title that is not text', (d) => d.getMap('meta').set('title', 42), /other than a title/],
      ['an embed in the text', (d) => d.getText('body').insertEmbed(0, { x: 1 }), /only text/],
      ['formatting in the text', (d) => d.getText('body').format(0, 2, { bold: true }), /only text/],
      ['a nested type in the text', (d) => d.getText('body').insertEmbed(0, new Y.Map()), /only text|nests/],
    ];
    for (const [what, change, error] of cases) {
      const other = copyOf(n);
      expect(() => screenUpdate(n, diff(other, () => change(other)), false), what).toThrow(error);
    }
    expect(n.body.toString()).toBe('hello world');
  });

  it('a chain of 30,000 items costs no deeper a stack', () => {
    const n = noteDoc('');
    const other = copyOf(n);
    const text = other.getText('body');
    // Each character typed before the previous one: no two items merge.
    const u = diff(other, () => {
      for (let i = 0; i < 30_000; i++) text.insert(0, 'x');
    });
    apply(n, screenUpdate(n, u, false));
    expect(n.body.length).toBe(30_000);
  });
});
