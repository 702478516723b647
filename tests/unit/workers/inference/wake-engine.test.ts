/** The worker's engine with wake streams, on the real models under Node (wasm, one thread). */
import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import * as ort from 'onnxruntime-web';
import { InferenceEngine } from '../../../../workers/inference/engine.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';
import type { InferenceRequest, InferenceResponse } from '../../../../protocol/inference.ts';
import { modelsFor } from '../../../../workers/inference/wake/models.ts';
import { modelBytes } from '../../../../scripts/vite-plugin-models.ts';
import { REPO } from '../../../e2e/support/env.ts';
import { loadFixtureClip } from './wake/fixture-clip.ts';

const v = PROTOCOL_VERSION;
type Body = InferenceRequest extends infer R ? (R extends unknown ? Omit<R, 'v' | 'id'> : never) : never;

let engine: InferenceEngine;
let nextId = 1;
const ask = async (body: Body): Promise<InferenceResponse> => (await engine.handle({ ...body, v, id: nextId++ } as InferenceRequest)).message;
const wasmFor = (phrases: string[]) => Object.fromEntries(modelsFor(phrases).map((m) => [m, 'wasm' as const]));

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  engine = new InferenceEngine({
    loadOrt: async () => ort as never,
    fetchModel: async (entry) => {
      // The package's file, or the graph built from it (the embedding chain).
      const bytes = new Uint8Array(modelBytes(entry, REPO));
      return { bytes, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), from: 'network', ms: { fetch: 0, verify: 0 } };
    },
    adapterInfo: async () => null,
    crossOriginIsolated: false,
    threads: 1,
    now: () => performance.now(),
  });
});

describe('wake streams in the engine', () => {
  it('opens two streams at once, answers each push with its steps, and keeps the streams apart', { timeout: 120_000 }, async () => {
    const a = await ask({ t: 'wake-open', stream: 'local', phrases: ['hey_jarvis_v0.1'], backends: wasmFor(['hey_jarvis_v0.1']), timeoutMs: 60_000 });
    expect(a.t).toBe('wake-opened');
    if (a.t !== 'wake-opened') return;
    expect(Object.keys(a.load).sort()).toEqual(modelsFor(['hey_jarvis_v0.1']).sort());
    const b = await ask({ t: 'wake-open', stream: 'remote:phone-1', phrases: ['hey_jarvis_v0.1', 'alexa_v0.1'], backends: wasmFor(['hey_jarvis_v0.1', 'alexa_v0.1']), timeoutMs: 60_000 });
    expect(b.t).toBe('wake-opened');
    // Sessions are shared: the second stream loaded only its new phrase model.
    if (b.t === 'wake-opened') expect(b.load['embedding_step']).toEqual({ fetch: 0, verify: 0, create: 0 });

    const clip = loadFixtureClip().samples;
    const silence = new Float32Array(clip.length);
    // Interleave the two streams' pushes, in odd sizes, without awaiting in between.
    const pending: Promise<InferenceResponse>[] = [];
    for (let at = 0; at < clip.length; at += 3000) {
      pending.push(ask({ t: 'wake-audio', stream: 'local', samples: clip.slice(at, at + 3000).buffer, timeoutMs: 60_000 }));
      pending.push(ask({ t: 'wake-audio', stream: 'remote:phone-1', samples: silence.slice(at, at + 3000).buffer, timeoutMs: 60_000 }));
    }
    const answers = await Promise.all(pending);
    const stepsOf = (s: string) => answers.flatMap((x) => (x.t === 'wake-scores' && x.stream === s ? x.steps : []));
    const local = stepsOf('local');
    const remote = stepsOf('remote:phone-1');
    expect(local).toHaveLength(Math.floor(clip.length / 1280));
    expect(local.map((s) => s.endSample)).toEqual(local.map((_, i) => (i + 1) * 1280));
    expect(remote).toHaveLength(local.length);
    expect(Math.max(...local.map((s) => s.scores['hey_jarvis_v0.1']!))).toBeGreaterThan(0.5);
    expect(Math.max(...remote.map((s) => s.scores['hey_jarvis_v0.1']!))).toBeLessThan(0.1);
    expect(Object.keys(remote[0]!.scores).sort()).toEqual(['alexa_v0.1', 'hey_jarvis_v0.1']);

    expect(await ask({ t: 'wake-close', stream: 'local' })).toMatchObject({ t: 'wake-closed', stream: 'local' });
    expect(await ask({ t: 'wake-close', stream: 'remote:phone-1' })).toMatchObject({ t: 'wake-closed' });
  });

  it('refuses unknown streams, a name in use, unknown phrases, missing backends, and unloading a model a stream runs', { timeout: 60_000 }, async () => {
    const code = (r: InferenceResponse) => (r.t === 'error' ? r.error.code : r.t);
    expect(code(await ask({ t: 'wake-audio', stream: 'nobody', samples: new Float32Array(4).buffer, timeoutMs: 1000 }))).toBe('not-found');
    expect(code(await ask({ t: 'wake-close', stream: 'nobody' }))).toBe('not-found');
    expect(code(await ask({ t: 'wake-open', stream: 's', phrases: ['ok_google'], backends: {}, timeoutMs: 1000 }))).toBe('model-unavailable');
    expect(code(await ask({ t: 'wake-open', stream: 's', phrases: ['alexa_v0.1'], backends: { 'alexa_v0.1': 'wasm' }, timeoutMs: 1000 }))).toBe('bad-request');
    expect(code(await ask({ t: 'wake-open', stream: 's', phrases: ['alexa_v0.1'], backends: wasmFor(['alexa_v0.1']), timeoutMs: 60_000 }))).toBe('wake-opened');
    expect(code(await ask({ t: 'wake-open', stream: 's', phrases: ['alexa_v0.1'], backends: wasmFor(['alexa_v0.1']), timeoutMs: 60_000 }))).toBe('bad-request');
    expect(code(await ask({ t: 'unload', model: 'alexa_v0.1' }))).toBe('bad-request');
    expect(code(await ask({ t: 'wake-close', stream: 's' }))).toBe('wake-closed');
    expect(code(await ask({ t: 'unload', model: 'alexa_v0.1' }))).toBe('unloaded');
  });
});

describe('lazy embeddings through the engine', () => {
  it('are the default; options.lazyEmbeddings: false runs the embedding model on every step', { timeout: 120_000 }, async () => {
    const quiet = new Float32Array(1280 * 8);
    const counts: Record<string, number[]> = {};
    for (const [stream, options] of [['lazy-default', undefined], ['eager', { lazyEmbeddings: false }]] as const) {
      const o = await ask({ t: 'wake-open', stream, phrases: ['hey_jarvis_v0.1'], backends: wasmFor(['hey_jarvis_v0.1']), ...(options ? { options } : {}), timeoutMs: 60_000 });
      expect(o.t).toBe('wake-opened');
      const a = await ask({ t: 'wake-audio', stream, samples: quiet.slice().buffer, timeoutMs: 60_000 });
      counts[stream] = a.t === 'wake-scores' ? a.steps.map((s) => s.embeddings ?? -1) : [];
      await ask({ t: 'wake-close', stream });
    }
    expect(counts['lazy-default']).toEqual(new Array(8).fill(0));
    expect(counts['eager']).toEqual(new Array(8).fill(1));
  });
});

describe('one ORT run at a time', () => {
  // onnxruntime-web's run puts its input and output names on the wasm stack, then awaits once per
  // input: a run of another session in between moved that stack and ORT failed with "input/output
  // name cannot be empty". The engine runs one session at a time per backend.
  it('runs of different sessions asked for at once all succeed', { timeout: 120_000 }, async () => {
    const { sampleInputs } = await import('../../../../models/sample.ts');
    const { findModel } = await import('../../../../models/registry.ts');
    const models = ['embedding_step', 'silero_vad_v5', 'melspectrogram', 'hey_jarvis_v0.1'];
    for (const model of models) expect(await ask({ t: 'load', model, backend: 'wasm', timeoutMs: 60_000 })).toMatchObject({ t: 'loaded' });
    const pending: Promise<InferenceResponse>[] = [];
    for (let i = 0; i < 40; i++) {
      const model = models[i % models.length]!;
      pending.push(ask({ t: 'run', model, backend: 'wasm', inputs: sampleInputs(findModel(model)!.sample, i + 1), timeoutMs: 60_000 }));
    }
    const answers = await Promise.all(pending);
    const failed = answers.filter((a) => a.t !== 'ran').map((a) => (a.t === 'error' ? a.error.message : a.t));
    expect(failed).toEqual([]);
  });
});
