/**
 * Sets of chunk indexes as they travel: a bitmap (bit i = chunk i, least significant bit first,
 * base64url) for "which chunks I have", and sorted half-open ranges [start, end) for "send me
 * these". Shared by devices and the hub so both read the same bytes the same way.
 */
import { b64uDecode, b64uEncode } from './crypto.ts';

export type Range = readonly [start: number, end: number];

export function bitmapOf(indexes: Iterable<number>, count: number): string {
  const bytes = new Uint8Array(Math.ceil(count / 8));
  for (const i of indexes) if (i >= 0 && i < count) bytes[i >> 3]! |= 1 << (i & 7);
  return b64uEncode(bytes);
}

/** The indexes set in `bitmap`, below `count`; null when it is not a bitmap of that many bits. */
export function indexesOf(bitmap: string, count: number): number[] | null {
  let bytes: Uint8Array;
  try {
    bytes = b64uDecode(bitmap);
  } catch {
    return null;
  }
  if (bytes.length !== Math.ceil(count / 8)) return null;
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (bytes[i >> 3]! & (1 << (i & 7))) out.push(i);
  return out;
}

/** Sorted, merged ranges covering `indexes`. */
export function toRanges(indexes: Iterable<number>): Range[] {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

export function fromRanges(ranges: readonly Range[]): number[] {
  const out: number[] = [];
  for (const [a, b] of ranges) for (let i = a; i < b; i++) out.push(i);
  return out;
}

export function rangesSize(ranges: readonly Range[]): number {
  return ranges.reduce((n, [a, b]) => n + Math.max(0, b - a), 0);
}
