/**
 * Writes fixtures/hey-jarvis.vectors.json from the naive reference (reference.ts) on the
 * checked-in clip. Run once, by hand, when the clip or a model changes:
 *   node --import tsx tests/unit/workers/inference/wake/make-vectors.ts
 * The unit tests never regenerate it; they check the streaming pipeline (and the reference
 * itself) against it.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { nodeRunner } from './node-models.ts';
import { REPO } from '../../../../e2e/support/env.ts';
import { CLIP_FILE, FIXTURES, loadFixtureClip } from './fixture-clip.ts';
import { referenceRun } from './reference.ts';
import { REFERENCE_CLASSIFIERS, VECTOR_STEPS, type Vectors } from './vectors.ts';

const round = (xs: ArrayLike<number>) => Array.from(xs, (v) => Number(v.toPrecision(7)));

const { runner } = await nodeRunner();
const clip = loadFixtureClip().samples;
const ref = await referenceRun(runner, clip, REFERENCE_CLASSIFIERS, 'per-window');
const whole = await referenceRun(runner, clip, REFERENCE_CLASSIFIERS, 'whole-clip');
const ortVersion = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }).version;
const vectors: Vectors = {
  note: 'Made by tests/unit/workers/inference/wake/make-vectors.ts from the naive batch reference (reference.ts); do not edit by hand.',
  clip: path.basename(CLIP_FILE),
  clipSha256: crypto.createHash('sha256').update(fs.readFileSync(CLIP_FILE)).digest('hex'),
  onnxruntimeWeb: ortVersion,
  steps: ref.steps,
  mel: Object.fromEntries(VECTOR_STEPS.map((s) => [String(s), round(ref.mel[s]!)])),
  embedding: Object.fromEntries(VECTOR_STEPS.map((s) => [String(s), round(ref.embedding[s]!)])),
  scores: Object.fromEntries(Object.entries(ref.scores).map(([k, v]) => [k, round(v)])),
  vad: round(ref.vad),
  wholeClipScores: Object.fromEntries(Object.entries(whole.scores).map(([k, v]) => [k, round(v)])),
};
const out = path.join(FIXTURES, 'hey-jarvis.vectors.json');
fs.writeFileSync(out, JSON.stringify(vectors) + '\n');
console.log(`wrote ${out}: ${ref.steps} steps; hey_jarvis max ${Math.max(...ref.scores['hey_jarvis_v0.1']!).toFixed(4)} (whole-clip mel: ${Math.max(...whole.scores['hey_jarvis_v0.1']!).toFixed(4)})`);
