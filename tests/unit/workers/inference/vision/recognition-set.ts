/**
 * The recognition set from face-api's demo photos: every face enrolled from two shots, then looked
 * for in three changed photos (cropped, shifted, brightened). Positives: a probe against its own
 * face's template; negatives: a probe against every other face's template.
 */
import type { FacePipeline } from '../../../../../workers/inference/vision/pipeline.ts';
import type { RgbaFrame } from '../../../../../workers/inference/vision/image.ts';
import { meanDistance, type Template } from '../../../../../workers/inference/vision/match.ts';
import { brighten, cropPhoto, demoPhoto, fitFrame, DEMO_PHOTOS } from '../../../../support/face-photos.ts';

/** A frame made from a part of a photo, and how to map its pixels back to the photo's. */
interface Shot {
  frame: RgbaFrame;
  toPhoto(x: number, y: number): [number, number];
}

function shot(photo: RgbaFrame, crop: { x: number; y: number; w: number; h: number }, width: number, height: number, light = 1): Shot {
  const part = cropPhoto(light === 1 ? photo : brighten(photo, light), crop.x, crop.y, crop.w, crop.h);
  const s = Math.min(width / part.width, height / part.height);
  const ox = Math.floor((width - Math.round(part.width * s)) / 2);
  const oy = Math.floor((height - Math.round(part.height * s)) / 2);
  return { frame: fitFrame(part, width, height), toPhoto: (x, y) => [(x - ox) / s + crop.x, (y - oy) / s + crop.y] };
}

export interface Probe {
  face: string;
  kind: 'cropped' | 'shifted' | 'brightened';
  descriptor: Float32Array | null;
}

export interface RecognitionSet {
  templates: Template[];
  probes: Probe[];
}

/** Faces found in a shot, as photo-space centres and widths with their descriptors. */
async function facesIn(pipeline: FacePipeline, s: Shot): Promise<{ cx: number; cy: number; w: number; d: Float32Array }[]> {
  const pass = await pipeline.run(s.frame, { descriptors: true });
  return pass.faces.filter((f) => f.descriptor).map((f) => {
    const [x0, y0] = s.toPhoto(f.box.x, f.box.y);
    const [x1, y1] = s.toPhoto(f.box.x + f.box.width, f.box.y + f.box.height);
    return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, d: f.descriptor! };
  });
}

export async function recognitionSet(pipeline: FacePipeline): Promise<RecognitionSet> {
  const templates: Template[] = [];
  const probes: Probe[] = [];
  for (const n of DEMO_PHOTOS) {
    const photo = demoPhoto(n);
    const W = photo.width;
    const H = photo.height;
    const all = { x: 0, y: 0, w: W, h: H };
    // Two enrolment shots: the photo at two camera sizes.
    const enrol = [await facesIn(pipeline, shot(photo, all, 1280, 960)), await facesIn(pipeline, shot(photo, all, 960, 720))];
    const faces = enrol[0]!.map((f, i) => ({ ...f, id: `sample${n}#${i}` }));
    const near = (list: { cx: number; cy: number; w: number }[], f: { cx: number; cy: number; w: number }) =>
      list.find((g) => Math.hypot(g.cx - f.cx, g.cy - f.cy) < f.w / 2);
    for (const f of faces) {
      const second = near(enrol[1]!, f) as { d: Float32Array } | undefined;
      templates.push({ id: f.id, descriptors: second ? [f.d, second.d] : [f.d] });
    }
    const changed: [Probe['kind'], Shot][] = [
      ['cropped', shot(photo, { x: W * 0.1, y: H * 0.05, w: W * 0.8, h: H * 0.9 }, 1280, 960)],
      ['shifted', shot(photo, { x: 64, y: 48, w: W - 64, h: H - 48 }, 1280, 960)],
      ['brightened', shot(photo, all, 1280, 960, 1.35)],
    ];
    for (const [kind, s] of changed) {
      const found = await facesIn(pipeline, s);
      for (const f of faces) probes.push({ face: f.id, kind, descriptor: (near(found, f) as { d: Float32Array } | undefined)?.d ?? null });
    }
  }
  return { templates, probes };
}

export interface Rates {
  threshold: number;
  positives: number;
  falseRejects: number;
  negatives: number;
  falseAccepts: number;
  frr: number;
  far: number;
}

/** False reject and false accept rates at `threshold` (a face not found in a probe is a false reject). */
export function rates(set: RecognitionSet, threshold: number): Rates {
  let positives = 0;
  let falseRejects = 0;
  let negatives = 0;
  let falseAccepts = 0;
  for (const p of set.probes) {
    for (const t of set.templates) {
      if (t.id === p.face) {
        positives++;
        if (!p.descriptor || !(meanDistance(p.descriptor, t) < threshold)) falseRejects++;
      } else if (p.descriptor) {
        negatives++;
        if (meanDistance(p.descriptor, t) < threshold) falseAccepts++;
      }
    }
  }
  return { threshold, positives, falseRejects, negatives, falseAccepts, frr: falseRejects / positives, far: falseAccepts / negatives };
}
