/**
 * Reading order: rows top to bottom, boxes in a row left to right. A photo is rarely level, so
 * boxes are first turned by the page's skew (the median slope of the boxes' top edges), then two
 * boxes share a row when each one's vertical centre lies within the other's height. PaddleOCR's
 * own rule (tops within 10 pixels) depends on the photo's size and breaks on a tilted whiteboard.
 */
import type { Point, Quad } from './geometry.ts';

export interface Placed {
  /** Index of the row (0 = top), in reading order. */
  row: number;
  /** The box's index in the input. */
  index: number;
}

/** Median angle of the boxes' top edges (radians), for boxes wider than tall. */
export function skew(quads: readonly Quad[]): number {
  const angles = quads
    .filter(([tl, tr, , bl]) => Math.hypot(tr[0] - tl[0], tr[1] - tl[1]) > Math.hypot(bl[0] - tl[0], bl[1] - tl[1]))
    .map(([tl, tr]) => Math.atan2(tr[1] - tl[1], tr[0] - tl[0]))
    .sort((a, b) => a - b);
  return angles.length ? angles[angles.length >> 1]! : 0;
}

/** The boxes' indices in reading order, each with its row. */
export function readingOrder(quads: readonly Quad[]): Placed[] {
  const a = -skew(quads);
  const cos = Math.cos(a), sin = Math.sin(a);
  const turn = (p: Point) => ({ x: p[0] * cos - p[1] * sin, y: p[0] * sin + p[1] * cos });
  const items = quads.map((q, index) => {
    const ps = q.map(turn);
    const ys = ps.map((p) => p.y);
    const top = Math.min(...ys), bottom = Math.max(...ys);
    return { index, left: Math.min(...ps.map((p) => p.x)), top, bottom, mid: (top + bottom) / 2 };
  });
  items.sort((p, q) => p.mid - q.mid);
  const rows: (typeof items)[] = [];
  for (const it of items) {
    // The row whose members all share the line with this box (each centre within the other's span).
    const row = rows.find((r) => r.every((o) => it.mid >= o.top && it.mid <= o.bottom && o.mid >= it.top && o.mid <= it.bottom));
    if (row) row.push(it);
    else rows.push([it]);
  }
  const mid = (r: typeof items) => r.reduce((s, o) => s + o.mid, 0) / r.length;
  rows.sort((p, q) => mid(p) - mid(q));
  return rows.flatMap((r, row) => [...r].sort((p, q) => p.left - q.left).map((o) => ({ row, index: o.index })));
}

/** The page's text: a row's lines joined by spaces, rows by line breaks (lines in reading order). */
export function textOf(lines: readonly { text: string; row: number }[]): string {
  const rows: string[][] = [];
  for (const l of lines) (rows[l.row] ??= []).push(l.text.trim());
  return rows.filter(Boolean).map((r) => r.join(' ')).join('\n');
}
