import { describe, it, expect, vi, afterEach } from 'vitest';
import { InferenceRuntime } from '../../../../src/inference/runtime.ts';
import { FakeWorker } from './fake-worker.ts';
import { BackendChooser, verdictKey } from '../../../../src/inference/backend-choice.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import { findModel } from '../../../../models/registry.ts';



function setup(opts: Partial<ConstructorParameters<typeof InferenceRuntime>[0]> = {}) {
  const workers: FakeWorker[] = [];
  const rt = new InferenceRuntime({
    createWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
    verdicts: null,
    ...opts,
  });
  return { rt, workers };
}

const ran = (id: unknown, x: number) => ({ t: 'ran', id, ms: 1, outputs: { output: { dtype: 'float32', dims: [1], data: new Float32Array([x]).buffer } } });
const tick = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => vi.useRealTimers());

describe('InferenceRuntime', () => {
  it('starts no worker until first used', () => {
    const { workers } = setup();
    expect(workers).toHaveLength(0);
  });

  it('matches answers by id, not by order, and transfers input buffers', async () => {
    const { rt, workers } = setup();
    const buf1 = new Float32Array(512).buffer;
    const a = rt.run('silero_vad_v5', { input: { dtype: 'float32', dims: [1, 512], data: buf1 } }, { backend: 'wasm' });
    const b = rt.run('melspectrogram', { input: { dtype: 'float32', dims: [1, 1760], data: new Float32Array(1760) } }, { backend: 'wasm' });
    await tick();
    const w = workers[0]!;
    expect(w.sent).toHaveLength(2);
    expect(w.sent[0]!.transfer).toEqual([buf1]);
    const [idA, idB] = w.sent.map((s) => s.msg.id);
    expect(idA).not.toBe(idB);
    w.answer(ran(idB, 2)); // out of order
    w.answer(ran(idA, 1));
    expect(new Float32Array((await a).outputs.output!.data)[0]).toBe(1);
    expect(new Float32Array((await b).outputs.output!.data)[0]).toBe(2);
  });

  it('turns a worker error answer into an OsmoseError with its code', async () => {
    const { rt, workers } = setup();
    const p = rt.load('melspectrogram', 'wasm');
    await tick();
    workers[0]!.answer({ t: 'error', id: workers[0]!.sent[0]!.msg.id, error: { code: 'model-integrity', message: 'bad bytes' } });
    await expect(p).rejects.toMatchObject({ code: 'model-integrity' });
  });

  it('rejects everything in flight with worker-crashed and starts a new worker on the next request', async () => {
    const { rt, workers } = setup();
    const p1 = rt.load('silero_vad_v5', 'wasm');
    const p2 = rt.run('silero_vad_v5', { input: { dtype: 'float32', dims: [1], data: new Float32Array(1) } }, { backend: 'wasm' });
    await tick();
    workers[0]!.crash();
    await expect(p1).rejects.toMatchObject({ code: 'worker-crashed' });
    await expect(p2).rejects.toMatchObject({ code: 'worker-crashed' });
    expect(workers[0]!.terminated).toBe(true);
    const p3 = rt.run('silero_vad_v5', { input: { dtype: 'float32', dims: [1], data: new Float32Array(1) } }, { backend: 'wasm' });
    await tick();
    expect(workers).toHaveLength(2);
    workers[1]!.answer(ran(workers[1]!.sent[0]!.msg.id, 3));
    expect((await p3).ms).toBe(1);
  });

  it('times out a request; a worker that misses its own deadline is replaced', async () => {
    vi.useFakeTimers();
    const { rt, workers } = setup({ timeouts: { probe: 100 }, graceMs: 50 });
    const p = rt.probe();
    const other = rt.probe();
    const caught = Promise.allSettled([p, other]);
    await vi.advanceTimersByTimeAsync(151);
    const [r1, r2] = await caught;
    expect((r1 as PromiseRejectedResult).reason).toMatchObject({ code: 'timeout' });
    // The second request was lost with the stuck worker, at once (not at its own deadline).
    expect(((r2 as PromiseRejectedResult).reason as OsmoseError).code).toBe('worker-crashed');
    expect(workers[0]!.terminated).toBe(true);
    void rt.probe().catch(() => undefined);
    expect(workers).toHaveLength(2);
  });

  it('ignores a late answer to a request that timed out, and refuses models not in the registry', async () => {
    vi.useFakeTimers();
    const { rt, workers } = setup({ timeouts: { probe: 10 }, graceMs: 0 });
    const p = rt.probe().catch((e: OsmoseError) => e.code);
    await vi.advanceTimersByTimeAsync(11);
    expect(await p).toBe('timeout');
    workers[0]!.answer({ t: 'probed', id: 1, crossOriginIsolated: true, threads: 1, adapter: null }); // no throw
    await expect(rt.load('no_such_model', 'wasm')).rejects.toMatchObject({ code: 'model-unavailable' });
  });

  it('an invalid answer naming a request fails that request instead of letting it hang', async () => {
    const { rt, workers } = setup();
    const p = rt.probe();
    await tick();
    workers[0]!.answer({ t: 'probed', id: workers[0]!.sent[0]!.msg.id, threads: 'many' });
    await expect(p).rejects.toMatchObject({ code: 'bad-request' });
  });
});

describe('BackendChooser', () => {
  const hw = { vendor: 'acme', architecture: 'x', device: 'd', description: '', isFallbackAdapter: false };
  const sw = { ...hw, vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true };
  const mapStore = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, val: string) => void m.set(k, val), m };
  };

  it('wasm without an adapter; no check runs', async () => {
    const compare = vi.fn();
    const c = new BackendChooser({ probe: async () => null, compare, store: null, allowFallbackAdapter: true });
    expect(await c.choose('melspectrogram')).toBe('wasm');
    expect(compare).not.toHaveBeenCalled();
  });

  it('WebGPU only when the check agrees; the verdict is stored per model hash and adapter and reused', async () => {
    const store = mapStore();
    const compare = vi.fn(async (model: string) => ({ agrees: model !== 'silero_vad_v5', maxAbsDiff: model === 'silero_vad_v5' ? 0.64 : 1e-5, tolerance: 1e-3, adapter: hw }));
    const c = new BackendChooser({ probe: async () => hw, compare, store, allowFallbackAdapter: false });
    expect(await c.choose('silero_vad_v5')).toBe('wasm');
    expect(await c.choose('melspectrogram')).toBe('webgpu');
    expect(store.m.has(verdictKey(findModel('silero_vad_v5')!.sha256, hw))).toBe(true);
    // A new chooser (next start) decides from the stored verdicts without checking again.
    const again = vi.fn();
    const c2 = new BackendChooser({ probe: async () => hw, compare: again, store, allowFallbackAdapter: false });
    expect(await c2.choose('silero_vad_v5')).toBe('wasm');
    expect(await c2.choose('melspectrogram')).toBe('webgpu');
    expect(again).not.toHaveBeenCalled();
    // Another adapter is checked afresh.
    const c3 = new BackendChooser({ probe: async () => ({ ...hw, device: 'other' }), compare, store, allowFallbackAdapter: false });
    await c3.choose('melspectrogram');
    expect(compare).toHaveBeenCalledTimes(3);
  });

  it('a software adapter is checked but used only when allowed; a failed check means wasm', async () => {
    const agree = async () => ({ agrees: true, maxAbsDiff: 0, tolerance: 1e-3, adapter: sw });
    expect(await new BackendChooser({ probe: async () => sw, compare: agree, store: null, allowFallbackAdapter: false }).choose('melspectrogram')).toBe('wasm');
    expect(await new BackendChooser({ probe: async () => sw, compare: agree, store: null, allowFallbackAdapter: true }).choose('melspectrogram')).toBe('webgpu');
    const failing = async () => {
      throw new OsmoseError('worker-crashed', 'x');
    };
    expect(await new BackendChooser({ probe: async () => hw, compare: failing, store: null, allowFallbackAdapter: true }).choose('melspectrogram')).toBe('wasm');
  });
});
