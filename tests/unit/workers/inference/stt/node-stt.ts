/** Moonshine under Node for the tests: the registry's files, onnxruntime-web wasm, one thread. */
import path from 'node:path';
import { session } from '../wake/node-models.ts';
import { ortTensorRunner, type SessionHandle } from '../../../../../workers/inference/stt/runner.ts';
import { ortRunner } from '../../../../../workers/inference/runner.ts';
import { MoonshineDecoder } from '../../../../../workers/inference/stt/decoder.ts';
import { loadTokenizer } from '../../../../../workers/inference/stt/tokenizer.ts';
import { DECODER_MODEL, ENCODER_MODEL } from '../../../../../workers/inference/stt/moonshine.ts';
import { VAD_MODEL } from '../../../../../workers/inference/vad.ts';
import type { ModelRunner } from '../../../../../workers/inference/runner.ts';
import { REPO } from '../../../../e2e/support/env.ts';

/** Where the spoken clips are cached (shared with the wake-word tests). */
export const CLIP_DIR = path.join(REPO, '.tmp', 'voice-fixtures');

export async function nodeDecoder(): Promise<MoonshineDecoder> {
  const open = new Map<string, SessionHandle>();
  for (const m of [ENCODER_MODEL, DECODER_MODEL]) open.set(m, await session(m));
  return new MoonshineDecoder(ortTensorRunner((m) => open.get(m)!), await loadTokenizer());
}

export async function nodeVadRunner(): Promise<ModelRunner> {
  const vad = await session(VAD_MODEL);
  return ortRunner(() => vad);
}

/** The clip's speech with `pad` seconds around it (as the segmenter and the wake flow hand it over). */
export function speechOf(samples: Float32Array, speech: { start: number; end: number }, pad = 0.25): Float32Array<ArrayBuffer> {
  return samples.slice(Math.max(0, Math.round((speech.start - pad) * 16_000)), Math.min(samples.length, Math.round((speech.end + pad) * 16_000)));
}
