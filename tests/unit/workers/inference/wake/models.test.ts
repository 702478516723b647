/** workers/inference/wake/models.ts against the real model files: names, shapes, the timer's labels. */
import { describe, it, expect } from 'vitest';
import { CLASSIFIERS, EMBEDDING_SIZE, EMBEDDING_STATES, FEATURE_FRAMES, PHRASES } from '../../../../../workers/inference/wake/models.ts';
import { findModel } from '../../../../../models/registry.ts';
import { session } from './node-models.ts';

type Meta = { name: string; shape?: (number | string)[] };

describe('voice model table', () => {
  it('every phrase model is in the registry, with the input name and length the table says', { timeout: 60_000 }, async () => {
    for (const name of PHRASES) {
      expect(findModel(name), name).toBeDefined();
      const { session: s } = await session(name);
      const spec = CLASSIFIERS[name]!;
      expect(s.inputNames, name).toEqual([spec.input]);
      const input = (s.inputMetadata as unknown as Meta[])[0]!;
      expect(input.shape, name).toEqual([1, spec.frames, EMBEDDING_SIZE]);
      const output = (s.outputMetadata as unknown as Meta[])[0]!;
      expect(output.shape, name).toEqual([1, spec.labels ? spec.labels.length : 1]);
      if (spec.labels) {
        // openWakeWord names a multi-class model's output after its label map.
        const map = JSON.parse(s.outputNames[0]!) as Record<string, string>;
        expect(Object.entries(map).map(([i, label]) => spec.labels![Number(i)])).toEqual(Object.values(map));
      }
    }
    expect(FEATURE_FRAMES).toBe(Math.max(...PHRASES.map((p) => CLASSIFIERS[p]!.frames)));
  });

  it('feature models: silero (input, state, sr -> output, stateN), melspectrogram, embedding', { timeout: 60_000 }, async () => {
    const vad = (await session('silero_vad_v5')).session;
    expect(vad.inputNames).toEqual(['input', 'state', 'sr']);
    expect(vad.outputNames).toEqual(['output', 'stateN']);
    expect((await session('melspectrogram')).session.inputNames).toEqual(['input']);
    expect((await session('embedding_model')).session.inputNames).toEqual(['input_1']);
  });

  it('the embedding chain (built from embedding_model): inputs, outputs and states as the table says', { timeout: 60_000 }, async () => {
    const states = EMBEDDING_STATES.map((_, i) => `state_${i}`);
    const nexts = EMBEDDING_STATES.map((_, i) => `next_${i}`);
    const step = (await session('embedding_step')).session;
    expect(step.inputNames).toEqual(['frames', ...states]);
    expect(step.outputNames).toEqual(['embedding', ...nexts]);
    const shapes = (step.inputMetadata as unknown as Meta[]).map((m) => m.shape);
    expect(shapes).toEqual([[1, 1, 8, 32], ...EMBEDDING_STATES]);
    expect((step.outputMetadata as unknown as Meta[]).map((m) => m.shape)).toEqual([[1, EMBEDDING_SIZE], ...EMBEDDING_STATES]);
    const window = (await session('embedding_window')).session;
    expect(window.inputNames).toEqual(['window']);
    expect((window.inputMetadata as unknown as Meta[])[0]!.shape).toEqual([1, 1, 76, 32]);
    expect(window.outputNames).toEqual(['embedding', ...nexts]);
  });
});
