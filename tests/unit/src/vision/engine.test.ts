/** The camera's face engine on the inference runtime: recognition asked with no template to match. */
import { describe, expect, it, vi } from 'vitest';
import { runtimeFaceEngine, type VisionRuntimeLike } from '../../../../src/vision/engine.ts';

function runtime() {
  let templates = 0;
  const detect = vi.fn(async (_f: unknown, o: { match?: boolean }) => {
    // The worker refuses to match against no templates (workers/inference/faces.ts).
    if (o.match && !templates) throw Object.assign(new Error('no face templates to match against'), { code: 'bad-request' });
    return { faces: [{ box: { x: 0, y: 0, width: 9, height: 9 }, score: 0.9, ...(o.match ? { match: { id: 'anil-template', distance: 0.3 } } : {}) }], ms: { prepare: 1, detect: 2, landmarks: 0, descriptors: 0 }, runs: 1 };
  });
  const rt = {
    faces: { detect, enrol: vi.fn(), warm: vi.fn(), setTemplates: vi.fn(async (l: unknown[]) => (templates = l.length)) },
    ocr: { read: vi.fn(), warm: vi.fn() },
  } as unknown as VisionRuntimeLike;
  return { rt, detect };
}

describe('the camera face engine', () => {
  it('with nobody enrolled, recognition says each face is one nobody enrolled (no match asked of the worker)', async () => {
    const { rt, detect } = runtime();
    const engine = runtimeFaceEngine(async () => rt);
    await engine.setTemplates([]);
    const r = await engine.detect({ width: 2, height: 2, data: new Uint8ClampedArray(16) }, true);
    expect(r.faces).toEqual([{ score: 0.9, match: null }]);
    expect(detect.mock.calls[0]![1]).toEqual({});
  });

  it('matches in the worker once templates are set; counts without recognition', async () => {
    const { rt, detect } = runtime();
    const engine = runtimeFaceEngine(async () => rt);
    await engine.setTemplates([{ id: 'anil-template', descriptors: [new Float32Array(128)] }]);
    expect((await engine.detect({ width: 2, height: 2, data: new Uint8ClampedArray(16) }, true)).faces).toEqual([{ score: 0.9, match: { id: 'anil-template', distance: 0.3 } }]);
    expect(detect.mock.calls[0]![1]).toEqual({ match: true });
    expect((await engine.detect({ width: 2, height: 2, data: new Uint8ClampedArray(16) }, false)).faces).toEqual([{ score: 0.9 }]);
  });
});
