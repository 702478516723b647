import { describe, it, expect } from 'vitest';
import { readingOrder, skew, textOf } from '../../../../../workers/inference/ocr/reading-order.ts';
import type { Point, Quad } from '../../../../../workers/inference/ocr/geometry.ts';

/** An axis-aligned box, then turned by `a` about (0, 0). */
function box(x: number, y: number, w: number, h: number, a = 0): Quad {
  const c = Math.cos(a), s = Math.sin(a);
  const t = ([px, py]: Point): Point => [px * c - py * s, px * s + py * c];
  return [t([x, y]), t([x + w, y]), t([x + w, y + h]), t([x, y + h])];
}

describe('reading order', () => {
  it('reads rows top to bottom and a row left to right, with two columns on one row', () => {
    const quads = [box(400, 100, 200, 30), box(10, 10, 300, 30), box(10, 104, 250, 28), box(10, 200, 500, 30)];
    expect(readingOrder(quads)).toEqual([
      { row: 0, index: 1 },
      { row: 1, index: 2 },
      { row: 1, index: 0 },
      { row: 2, index: 3 },
    ]);
  });

  it('follows a tilted page: lines whose tops differ by more than a line height still share a row', () => {
    const a = 0.08; // ~4.6°: across 1500 pixels the line drops ~120, four line heights
    const quads = [box(1000, 100, 500, 30, a), box(10, 100, 600, 30, a), box(10, 160, 1500, 30, a)];
    expect(skew(quads)).toBeCloseTo(a, 6);
    expect(readingOrder(quads)).toEqual([
      { row: 0, index: 1 },
      { row: 0, index: 0 },
      { row: 1, index: 2 },
    ]);
  });

  it('joins a row with spaces and rows with line breaks', () => {
    expect(textOf([{ text: 'Name:', row: 0 }, { text: ' Anil ', row: 0 }, { text: 'Room 4', row: 1 }])).toBe('Name: Anil\nRoom 4');
    expect(textOf([])).toBe('');
  });
});
