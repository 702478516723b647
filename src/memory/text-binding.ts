/** Binds a plain textarea to a Y.Text: minimal edits out, cursor kept on edits coming in. */
import type * as Y from 'yjs';
import { ORIGIN } from '../../protocol/doc-sync.ts';

/** Turns the textarea's new value into one delete + insert on the shared text. */
export function applyTextareaEdit(text: Y.Text, next: string): void {
  const prev = text.toString();
  if (prev === next) return;
  let start = 0;
  const max = Math.min(prev.length, next.length);
  while (start < max && prev.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endPrev = prev.length;
  let endNext = next.length;
  while (endPrev > start && endNext > start && prev.charCodeAt(endPrev - 1) === next.charCodeAt(endNext - 1)) {
    endPrev--;
    endNext--;
  }
  text.doc!.transact(() => {
    if (endPrev > start) text.delete(start, endPrev - start);
    if (endNext > start) text.insert(start, next.slice(start, endNext));
  }, ORIGIN.local);
}

/** Moves a selection through a Yjs text delta (someone else's edit). */
export function shiftSelection(delta: Y.YTextEvent['delta'], selStart: number, selEnd: number): [number, number] {
  let pos = 0;
  let start = selStart;
  let end = selEnd;
  for (const op of delta) {
    if (op.retain !== undefined) pos += op.retain;
    else if (typeof op.insert === 'string') {
      const n = op.insert.length;
      if (pos <= start) start += n;
      if (pos < end) end += n;
      pos += n;
    } else if (op.delete !== undefined) {
      const n = op.delete;
      if (pos < start) start = Math.max(pos, start - n);
      if (pos < end) end = Math.max(pos, end - n);
    }
  }
  return [start, end];
}
