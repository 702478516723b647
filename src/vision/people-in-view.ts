/**
 * From one frame's faces to what the room is told: how many people are in view (steadied over the
 * last frames, so one missed face does not flicker the count), who is recognised (only once a
 * match has held over several recognition frames: the descriptor's 0.6 threshold accepted 4.6% of
 * stranger pairs in our tests, one frame is not enough), whether a face nobody enrolled is in view,
 * and the room events the change calls for. Pure: the clock is passed in.
 */
import type { VisionEventKind } from '../../protocol/camera.ts';

/** One frame's faces; `match` is absent on frames that were only counted. */
export interface FrameFaces {
  faces: { score: number; match?: { id: string; distance: number } | null }[];
}

export interface ViewState {
  /** People in view, steadied; null before the first frame. */
  inView: number | null;
  /** Template ids recognised over several recognition frames. */
  recognised: string[];
  /** A face that matched nobody enrolled, over several recognition frames. */
  unknown: boolean;
}

/** Counts kept to steady the number in view (one second at 4 frames a second). */
const COUNT_WINDOW = 4;
/** Recognition frames kept; a person shows once matched in AGREE of them, goes once matched in none. */
const RECOGNITION_WINDOW = 3;
const AGREE = 2;
/** A room event of one kind is recorded at most once a minute per camera (a count that flaps). */
export const EVENT_GAP_MS = 60_000;

export class PeopleInView {
  private counts: number[] = [];
  private recognitions: { ids: Set<string>; unknown: boolean }[] = [];
  private shown = new Set<string>();
  private unknownShown = false;

  /** Takes one frame's result and returns the state to show. */
  frame(result: FrameFaces): ViewState {
    this.counts.push(result.faces.length);
    if (this.counts.length > COUNT_WINDOW) this.counts.shift();
    const described = result.faces.some((f) => f.match !== undefined);
    if (described) {
      const ids = new Set(result.faces.flatMap((f) => (f.match ? [f.match.id] : [])));
      this.recognitions.push({ ids, unknown: result.faces.some((f) => f.match === null) });
      if (this.recognitions.length > RECOGNITION_WINDOW) this.recognitions.shift();
      const seen = (id: string) => this.recognitions.filter((r) => r.ids.has(id)).length;
      for (const id of ids) if (seen(id) >= AGREE) this.shown.add(id);
      for (const id of [...this.shown]) if (seen(id) === 0) this.shown.delete(id);
      const unknownIn = this.recognitions.filter((r) => r.unknown).length;
      if (unknownIn >= AGREE) this.unknownShown = true;
      else if (unknownIn === 0) this.unknownShown = false;
    }
    return this.state();
  }

  state(): ViewState {
    return { inView: this.counts.length ? steady(this.counts) : null, recognised: [...this.shown].sort(), unknown: this.unknownShown };
  }

  /** Recognition stopped (turned off, or templates changed): nobody is shown as recognised. */
  forgetRecognition(): void {
    this.recognitions = [];
    this.shown.clear();
    this.unknownShown = false;
  }

  reset(): void {
    this.counts = [];
    this.forgetRecognition();
  }
}

/** The count most frames agree on; between equally common counts, the latest frame's. */
export function steady(counts: readonly number[]): number {
  const freq = new Map<number, number>();
  for (const c of counts) freq.set(c, (freq.get(c) ?? 0) + 1);
  let best = counts[counts.length - 1]!;
  for (const [c, n] of freq) if (n > freq.get(best)!) best = c;
  return best;
}

/**
 * The room events a change of view calls for: someone in view where nobody was; more people in
 * view than devices present (when it becomes so); a face nobody enrolled (when one appears).
 * `last` holds when each kind was last recorded by this camera (updated here).
 */
export function eventsFor(prev: ViewState & { devices: number }, next: ViewState & { devices: number }, last: Map<VisionEventKind, number>, now: number): VisionEventKind[] {
  const out: VisionEventKind[] = [];
  const want = (kind: VisionEventKind, edge: boolean) => {
    if (!edge || now - (last.get(kind) ?? -Infinity) < EVENT_GAP_MS) return;
    last.set(kind, now);
    out.push(kind);
  };
  const inNow = next.inView ?? 0;
  const inBefore = prev.inView ?? 0;
  want('in-view', inNow > 0 && inBefore === 0);
  want('more-than-devices', inNow > next.devices && !(inBefore > prev.devices));
  want('unknown-face', next.unknown && !prev.unknown);
  return out;
}
