/**
 * Wake-word models rewritten at build time from openWakeWord's own files (no converter, no
 * download): the embedding model as a chain of steps (embedding-step.ts). The source file must be
 * the one the registry pins for `embedding_model`, so a changed package fails here, and the SHA-256
 * of each result is pinned in models/registry.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { findModel } from '../../models/registry.ts';
import { buildEmbeddingGraphs } from './embedding-step.ts';

export const WAKE_BUILDERS = {
  'openwakeword/embedding_step': 'step',
  'openwakeword/embedding_window': 'window',
} as const;

export type WakeBuilder = keyof typeof WAKE_BUILDERS;

export function isWakeBuilder(s: string): s is WakeBuilder {
  return Object.hasOwn(WAKE_BUILDERS, s);
}

/** The ONNX bytes of one rewritten model, from `file` (the package's embedding_model.onnx). */
export function buildWakeModel(builder: WakeBuilder, file: string): Uint8Array {
  const source = fs.readFileSync(file);
  const pinned = findModel('embedding_model');
  const sha256 = createHash('sha256').update(source).digest('hex');
  if (!pinned || sha256 !== pinned.sha256) throw new Error(`wake models: ${path.basename(file)} has SHA-256 ${sha256}, the registry pins ${pinned?.sha256}: look at the new model before rebuilding the step graphs`);
  return buildEmbeddingGraphs(source)[WAKE_BUILDERS[builder]];
}
