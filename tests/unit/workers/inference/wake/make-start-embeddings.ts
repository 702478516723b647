/**
 * Writes workers/inference/wake/start-embeddings.ts: the pipeline's start embeddings (initialFeatures() on
 * the real models), so that opening a stream need not compute them (~0.3-1.3 s on a 2-core
 * machine). Run by hand when the melspectrogram or embedding model changes:
 *   node --import tsx tests/unit/workers/inference/wake/make-start-embeddings.ts
 * tests/unit/workers/inference/wake/start-embeddings.test.ts checks the file against a fresh computation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findModel } from '../../../../../models/registry.ts';
import { REPO } from '../../../../e2e/support/env.ts';
import { nodeRunner } from './node-models.ts';

const { initial } = await nodeRunner();
const b64 = Buffer.from(initial.buffer, initial.byteOffset, initial.byteLength).toString('base64');
const lines = b64.match(/.{1,120}/g)!.map((l) => `  '${l}'`).join(',\n');
const file = path.join(REPO, 'workers/inference/wake/start-embeddings.ts');
fs.writeFileSync(
  file,
  `/**
 * The start embeddings (initial-features.ts) of the models with these SHA-256, precomputed so that
 * opening a stream costs no model runs. Made by tests/unit/workers/inference/wake/make-start-embeddings.ts; checked
 * by tests/unit/workers/inference/wake/start-embeddings.test.ts. Float32, little-endian, base64.
 */
export const START_EMBEDDINGS = {
  melspectrogram: '${findModel('melspectrogram')!.sha256}',
  embedding_model: '${findModel('embedding_model')!.sha256}',
  values: ${initial.length},
  base64: [
${lines},
  ].join(''),
} as const;
`,
);
console.log(`wrote ${file} (${initial.length} values)`);
