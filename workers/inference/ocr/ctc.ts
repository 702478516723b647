/**
 * The recognition model's classes and CTC greedy decoding (PaddleOCR's `CTCLabelDecode`).
 * Class 0 is CTC's blank, then one class per line of the dictionary file, then the space
 * (`use_space_char`): 1 + 6,623 + 1 = 6,625 classes for `ppocr_keys_v1.txt`.
 */

/** The class list for a dictionary file's text (one character per line). */
export function ctcClasses(dictionary: string): string[] {
  const lines = dictionary.split(/\r?\n/);
  // The file ends with a newline: no empty last character. (A line of one space is a character.)
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return ['', ...lines, ' '];
}

export interface Decoded {
  text: string;
  /** Mean probability of the characters kept (0 when none). */
  confidence: number;
  /** Per character kept, its probability. */
  charConfidence: number[];
}

/**
 * Greedy CTC over one line's `steps`×`classes` probabilities starting at `offset` in `probs`:
 * the most likely class per step; repeats of the same class merge, blanks drop out.
 */
export function ctcGreedy(probs: Float32Array, offset: number, steps: number, classes: readonly string[]): Decoded {
  const c = classes.length;
  let text = '';
  const charConfidence: number[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const row = offset + t * c;
    let best = 0;
    let p = probs[row]!;
    for (let k = 1; k < c; k++) {
      const v = probs[row + k]!;
      if (v > p) (p = v), (best = k);
    }
    if (best !== 0 && best !== prev) {
      text += classes[best]!;
      charConfidence.push(p);
    }
    prev = best;
  }
  const confidence = charConfidence.length ? charConfidence.reduce((a, b) => a + b, 0) / charConfidence.length : 0;
  return { text, confidence, charConfidence };
}
