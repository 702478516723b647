/** The runtime's face methods against a fake worker: what is sent, what is transferred, recovery. */
import { describe, it, expect } from 'vitest';
import { InferenceRuntime } from '../../../../src/inference/runtime.ts';
import { FakeWorker } from './fake-worker.ts';

function setup() {
  const workers: FakeWorker[] = [];
  const rt = new InferenceRuntime({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    verdicts: null,
  });
  return { rt, workers };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const wasm = { tiny_face_detector: 'wasm', face_landmark_68: 'wasm', face_recognition: 'wasm' } as const;
const found = (id: unknown, faces: unknown[] = []) => ({ t: 'faces-found', id, faces, ms: { prepare: 0, detect: 1, landmarks: 0, descriptors: 0 }, runs: 1 });
const frame = () => ({ width: 4, height: 2, data: new Uint8ClampedArray(32) });

describe('InferenceRuntime faces', () => {
  it('sends a frame with its size and transfers its buffer; only the detector is needed for boxes', async () => {
    const { rt, workers } = setup();
    const f = frame();
    const p = rt.faces.detect(f, { backends: wasm });
    await tick();
    const sent = workers[0]!.sent[0]!;
    expect(sent.msg.t).toBe('faces-detect');
    expect(sent.msg.backends).toEqual({ tiny_face_detector: 'wasm' });
    expect(sent.transfer).toEqual([f.data.buffer]);
    workers[0]!.answer(found(sent.msg.id, [{ box: { x: 1, y: 1, width: 2, height: 2 }, score: 0.9 }]));
    expect((await p).faces).toHaveLength(1);
  });

  it('gives every face model a backend when descriptors are asked for', async () => {
    const { rt, workers } = setup();
    const p = rt.faces.detect(frame(), { descriptors: true, backends: wasm });
    await tick();
    expect(workers[0]!.last('faces-detect').backends).toEqual(wasm);
    workers[0]!.answer(found(workers[0]!.last('faces-detect').id));
    await p;
  });

  it('sends the templates before matching, once per worker, and again to a new worker after a crash', async () => {
    const { rt, workers } = setup();
    const d = new Float32Array(128).fill(0.1);
    const set = rt.faces.setTemplates([{ id: 'p1', descriptors: [d] }]);
    await tick();
    workers[0]!.answer({ t: 'faces-templates-set', id: workers[0]!.last('faces-templates').id, count: 1 });
    expect(await set).toBe(1);
    const m1 = rt.faces.detect(frame(), { match: true, backends: wasm });
    await tick();
    expect(workers[0]!.sent.filter((s) => s.msg.t === 'faces-templates')).toHaveLength(1);
    workers[0]!.answer(found(workers[0]!.last('faces-detect').id));
    await m1;

    workers[0]!.crash();
    const m2 = rt.faces.detect(frame(), { match: true, backends: wasm });
    await tick();
    const w1 = workers[1]!;
    expect(w1.sent.map((s) => s.msg.t)).toEqual(['faces-templates']);
    expect(w1.last('faces-templates').templates).toEqual([{ id: 'p1', descriptors: [Array.from(d)] }]);
    w1.answer({ t: 'faces-templates-set', id: w1.last('faces-templates').id, count: 1 });
    await tick();
    w1.answer(found(w1.last('faces-detect').id));
    await m2;
  });

  it('enrolment sends every shot and returns the verdicts', async () => {
    const { rt, workers } = setup();
    const shots = [frame(), frame()];
    const p = rt.faces.enrol(shots, { backends: wasm });
    await tick();
    const sent = workers[0]!.sent[0]!;
    expect(sent.transfer).toEqual(shots.map((s) => s.data.buffer));
    workers[0]!.answer({ t: 'faces-enrolled', id: sent.msg.id, shots: [{ verdict: 'ok', descriptor: Array(128).fill(0) }, { verdict: 'no-face' }] });
    expect((await p).map((s) => s.verdict)).toEqual(['ok', 'no-face']);
  });
});
