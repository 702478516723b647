/** The worker's engine with face requests, on the real face models under Node (wasm, one thread). */
import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import * as ort from 'onnxruntime-web';
import { InferenceEngine } from '../../../../workers/inference/engine.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';
import type { InferenceRequest, InferenceResponse } from '../../../../protocol/inference.ts';
import { modelBytes } from '../../../../scripts/vite-plugin-models.ts';
import { cropPhoto, demoPhoto, fitFrame } from '../../../support/face-photos.ts';
import type { RgbaFrame } from '../../../../workers/inference/vision/image.ts';

const v = PROTOCOL_VERSION;
type Body = InferenceRequest extends infer R ? (R extends unknown ? Omit<R, 'v' | 'id'> : never) : never;

let engine: InferenceEngine;
let nextId = 1;
const ask = async (body: Body): Promise<InferenceResponse> => (await engine.handle({ ...body, v, id: nextId++ } as InferenceRequest)).message;
const wire = (f: RgbaFrame) => ({ width: f.width, height: f.height, data: f.data.slice().buffer as ArrayBuffer });
const wasm = { tiny_face_detector: 'wasm', face_landmark_68: 'wasm', face_recognition: 'wasm' } as const;
const t = 60_000;

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  engine = new InferenceEngine({
    loadOrt: async () => ort as never,
    fetchModel: async (entry) => {
      const bytes = modelBytes(entry);
      return { bytes, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), from: 'network', ms: { fetch: 0, verify: 0 } };
    },
    adapterInfo: async () => null,
    crossOriginIsolated: false,
    threads: 1,
    now: () => performance.now(),
  });
});

describe('faces in the engine', () => {
  it('counts faces in a frame; descriptors only when asked', { timeout: t }, async () => {
    const frame = fitFrame(demoPhoto(4), 320, 240);
    const a = await ask({ t: 'faces-detect', frame: wire(frame), backends: { tiny_face_detector: 'wasm' }, timeoutMs: t });
    expect(a.t).toBe('faces-found');
    if (a.t !== 'faces-found') return;
    expect(a.faces).toHaveLength(4);
    expect(a.runs).toBe(1);
    expect(a.faces.every((f) => f.descriptor === undefined && f.landmarks === undefined)).toBe(true);
    const b = await ask({ t: 'faces-detect', frame: wire(frame), options: { descriptors: true }, backends: wasm, timeoutMs: t });
    expect(b.t === 'faces-found' && b.faces.every((f) => f.descriptor?.length === 128 && f.landmarks?.length === 136)).toBe(true);
  });

  it('a request without the backend of a model it needs is refused', async () => {
    const frame = fitFrame(demoPhoto(4), 64, 48);
    const a = await ask({ t: 'faces-detect', frame: wire(frame), options: { descriptors: true }, backends: { tiny_face_detector: 'wasm' }, timeoutMs: t });
    expect(a.t === 'error' && a.error.code).toBe('bad-request');
  });

  it('enrols one face per shot, refuses shots with none or several; matches in the worker', { timeout: 120_000 }, async () => {
    const photo = demoPhoto(1);
    // The person on the right of sample1, alone in the shot (as at her own device), at two sizes.
    const own = cropPhoto(photo, 1150, 0, 770, 1100);
    const grey: RgbaFrame = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 4).fill(128) };
    const e = await ask({ t: 'faces-enrol', shots: [wire(fitFrame(own, 480, 640)), wire(fitFrame(own, 360, 480)), wire(fitFrame(photo, 640, 480)), wire(grey)], backends: wasm, timeoutMs: 120_000 });
    expect(e.t).toBe('faces-enrolled');
    if (e.t !== 'faces-enrolled') return;
    expect(e.shots.map((s) => s.verdict)).toEqual(['ok', 'ok', 'several-faces', 'no-face']);

    const noTemplates = await ask({ t: 'faces-detect', frame: wire(fitFrame(photo, 640, 480)), options: { match: true }, backends: wasm, timeoutMs: t });
    expect(noTemplates.t === 'error' && noTemplates.error.code).toBe('bad-request');

    const set = await ask({ t: 'faces-templates', templates: [{ id: 'right', descriptors: e.shots.slice(0, 2).map((s) => s.descriptor!) }] });
    expect(set.t === 'faces-templates-set' && set.count).toBe(1);
    const m = await ask({ t: 'faces-detect', frame: wire(fitFrame(photo, 1280, 960)), options: { match: true }, backends: wasm, timeoutMs: t });
    expect(m.t).toBe('faces-found');
    if (m.t !== 'faces-found') return;
    // Matching leaves descriptors in the worker unless they were asked for.
    expect(m.faces.every((f) => f.descriptor === undefined)).toBe(true);
    const matched = m.faces.filter((f) => f.match);
    expect(matched).toHaveLength(1);
    expect(matched[0]!.match!.id).toBe('right');
    expect(matched[0]!.box.x).toBeGreaterThan(1150 / 1.5);
  });
});
