/**
 * The real voice models under Node: onnxruntime-web's wasm build (one thread) on the files in
 * node_modules, checked against the registry's SHA-256, behind the pipeline's ModelRunner.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import * as ort from 'onnxruntime-web';
import { findModel } from '../../../../../models/registry.ts';
import { ortRunner, type ModelRunner, type OrtSessionHandle } from '../../../../../workers/inference/runner.ts';
import { initialFeatures } from '../../../../../workers/inference/wake/initial-features.ts';
import { CLASSIFIERS, EMBEDDING_MODEL, EMBEDDING_STEP_MODEL, EMBEDDING_WINDOW_MODEL, MEL_MODEL, VAD_MODEL } from '../../../../../workers/inference/wake/models.ts';
import { modelBytes } from '../../../../../scripts/vite-plugin-models.ts';
import { REPO } from '../../../../e2e/support/env.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const sessions = new Map<string, Promise<OrtSessionHandle>>();

export function modelFile(name: string): string {
  const entry = findModel(name);
  if (!entry) throw new Error(`no model ${name}`);
  return path.join(REPO, 'node_modules', entry.package, entry.path);
}

export function session(name: string): Promise<OrtSessionHandle> {
  let p = sessions.get(name);
  if (!p) {
    p = (async () => {
      // The package's file, or the graph built from it (embedding_window, embedding_step).
      const bytes = modelBytes(findModel(name)!, REPO);
      const sha = crypto.createHash('sha256').update(bytes).digest('hex');
      if (sha !== findModel(name)!.sha256) throw new Error(`${name}: SHA-256 does not match the registry`);
      return { ort: ort as unknown as OrtSessionHandle['ort'], session: await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] }) };
    })();
    sessions.set(name, p);
  }
  return p;
}

export const ALL_MODELS = [VAD_MODEL, MEL_MODEL, EMBEDDING_MODEL, EMBEDDING_WINDOW_MODEL, EMBEDDING_STEP_MODEL, ...Object.keys(CLASSIFIERS)];

/** A runner with every voice model open, and the pipeline's start embeddings. */
export async function nodeRunner(): Promise<{ runner: ModelRunner; initial: Float32Array }> {
  const open = new Map<string, OrtSessionHandle>();
  for (const m of ALL_MODELS) open.set(m, await session(m));
  const runner = ortRunner((m) => open.get(m)!);
  initialP ??= initialFeatures(runner);
  return { runner, initial: await initialP };
}
let initialP: Promise<Float32Array> | null = null;

/** 16-bit PCM mono WAV -> Float32 in [-1, 1] (x / 32768, as browsers decode it). */
export function readWav(file: string): { rate: number; samples: Float32Array } {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV`);
  let at = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      channels = b.readUInt16LE(body + 2);
      rate = b.readUInt32LE(body + 4);
      bits = b.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (channels !== 1 || bits !== 16) throw new Error(`${file}: want mono 16-bit, got ${channels} channels, ${bits} bits`);
      const n = Math.floor(Math.min(size, b.length - body) / 2);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(body + 2 * i) / 32768;
      return { rate, samples };
    }
    at = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}
