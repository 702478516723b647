/** The shape of fixtures/hey-jarvis.vectors.json and what the reference computes for it. */
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES } from './fixture-clip.ts';
import type { ClassifierInfo } from './reference.ts';

/** Steps whose mel frames and embedding are kept (start, first scored step, mid-phrase, peak, end). */
export const VECTOR_STEPS = [0, 5, 12, 18, 22] as const;

/** Written out here rather than read from workers/inference/wake/models.ts, so that a wrong table there shows. */
export const REFERENCE_CLASSIFIERS: Record<string, ClassifierInfo> = {
  'hey_jarvis_v0.1': { input: 'x.1', frames: 16, multi: false },
  'alexa_v0.1': { input: 'onnx::Flatten_0', frames: 16, multi: false },
  'hey_mycroft_v0.1': { input: 'onnx::Flatten_0', frames: 16, multi: false },
  'hey_rhasspy_v0.1': { input: 'onnx::Flatten_0', frames: 16, multi: false },
  'weather_v0.1': { input: 'onnx::Flatten_0', frames: 22, multi: false },
  'timer_v0.1': { input: 'onnx::Flatten_0', frames: 34, multi: true },
};

export interface Vectors {
  note: string;
  clip: string;
  clipSha256: string;
  onnxruntimeWeb: string;
  steps: number;
  mel: Record<string, number[]>;
  embedding: Record<string, number[]>;
  scores: Record<string, number[]>;
  vad: number[];
  /** openWakeWord's batch `_get_embeddings` (one melspectrogram over the whole clip): scores per step. */
  wholeClipScores: Record<string, number[]>;
}

export function loadVectors(): Vectors {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'hey-jarvis.vectors.json'), 'utf8')) as Vectors;
}
