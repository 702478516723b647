/**
 * Character error rate: edit distance (insertions, deletions, substitutions, per Unicode code
 * point) between what was read and the truth, over the truth's length. Both sides are normalised
 * the same way first: NFKC (a full-width "：" is a ":"), runs of spaces to one, empty lines dropped.
 * Line breaks count as characters, so text read in the wrong order is an error too.
 */

export function normaliseText(s: string): string {
  return s
    .normalize('NFKC')
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l !== '')
    .join('\n');
}

export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** Edits needed and the truth's length, after normalising both. */
export function charErrors(read: string, truth: string): { edits: number; chars: number } {
  const t = normaliseText(truth);
  return { edits: editDistance(normaliseText(read), t), chars: [...t].length };
}
