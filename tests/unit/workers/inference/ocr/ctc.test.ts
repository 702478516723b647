import { describe, it, expect } from 'vitest';
import { ctcClasses, ctcGreedy } from '../../../../../workers/inference/ocr/ctc.ts';

/** Probabilities for a sequence of best classes (each step: `p` on its class, the rest spread). */
function steps(best: number[], classes: number, p = 0.9): Float32Array {
  const out = new Float32Array(best.length * classes).fill((1 - p) / (classes - 1));
  best.forEach((k, t) => (out[t * classes + k] = p));
  return out;
}

describe('CTC', () => {
  it('builds the classes: blank, one per dictionary line (a space line included), then the space', () => {
    expect(ctcClasses('a\nb\n \nc\n')).toEqual(['', 'a', 'b', ' ', 'c', ' ']);
    expect(ctcClasses('a\r\nb')).toEqual(['', 'a', 'b', ' ']);
  });

  it('merges repeats, drops blanks, keeps a repeat split by a blank', () => {
    const classes = ctcClasses('h\ne\nl\no\n');
    // h h e _ l l _ l o o _ → "hello"
    const probs = steps([1, 1, 2, 0, 3, 3, 0, 3, 4, 4, 0], classes.length);
    const d = ctcGreedy(probs, 0, 11, classes);
    expect(d.text).toBe('hello');
    expect(d.charConfidence).toHaveLength(5);
    expect(d.confidence).toBeCloseTo(0.9, 6);
  });

  it('reads one line of a batch at its offset, and gives 0 confidence for nothing read', () => {
    const classes = ctcClasses('x\ny\n');
    const a = steps([1, 0, 2], classes.length, 0.6);
    const b = steps([0, 0, 0], classes.length);
    const batch = new Float32Array([...a, ...b]);
    expect(ctcGreedy(batch, 0, 3, classes)).toMatchObject({ text: 'xy', confidence: expect.closeTo(0.6, 6) });
    expect(ctcGreedy(batch, 3 * classes.length, 3, classes)).toEqual({ text: '', confidence: 0, charConfidence: [] });
    // The space class is the last one.
    expect(ctcGreedy(steps([1, 3, 2], classes.length), 0, 3, classes).text).toBe('x y');
  });
});
