/**
 * Matching a face descriptor against enrolled templates. dlib trained its descriptor so that one
 * person's faces fall within a ball of radius 0.6 (its loss is a pairwise hinge at 0.6, and its
 * README reports 99.38% on LFW with that threshold); face-api's FaceMatcher uses 0.6 too. A person
 * enrolled with several shots is at the mean of the distances to them, as in face-api's FaceMatcher:
 * one lucky shot does not make a stranger match.
 */
export const MATCH_THRESHOLD = 0.6;

export interface Template {
  /** Whose face: an opaque id chosen by the app (never shown to the model code). */
  id: string;
  /** One 128-d descriptor per enrolment shot. */
  descriptors: readonly Float32Array[];
}

export interface Match {
  id: string;
  distance: number;
}

export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`descriptors of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export function meanDistance(d: ArrayLike<number>, t: Template): number {
  if (!t.descriptors.length) return Infinity;
  return t.descriptors.reduce((s, e) => s + euclidean(d, e), 0) / t.descriptors.length;
}

/** The closest template under the threshold, or null (nobody enrolled looks like this). */
export function bestMatch(d: ArrayLike<number>, templates: readonly Template[], threshold = MATCH_THRESHOLD): Match | null {
  let best: Match | null = null;
  for (const t of templates) {
    const distance = meanDistance(d, t);
    if (distance < threshold && (!best || distance < best.distance)) best = { id: t.id, distance };
  }
  return best;
}
