/**
 * The OCR pipeline on the real models under Node: onnxruntime-web's wasm build (one thread) on
 * the files in node_modules, each checked against the registry's SHA-256, and the dictionary.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { findDataFile } from '../../../../../models/registry.ts';
import { ortRunner, type OrtSessionHandle } from '../../../../../workers/inference/runner.ts';
import { OcrPipeline } from '../../../../../workers/inference/ocr/pipeline.ts';
import { ctcClasses } from '../../../../../workers/inference/ocr/ctc.ts';
import { CLS_MODEL, DET_MODEL, DICTIONARY, REC_MODEL } from '../../../../../workers/inference/ocr/models.ts';
import { session } from '../wake/node-models.ts';
import { REPO } from '../../../../e2e/support/env.ts';

export function dictionaryText(): string {
  const entry = findDataFile(DICTIONARY)!;
  const bytes = fs.readFileSync(path.join(REPO, 'node_modules', entry.package, entry.path));
  if (crypto.createHash('sha256').update(bytes).digest('hex') !== entry.sha256) throw new Error(`${DICTIONARY}: SHA-256 does not match the registry`);
  return new TextDecoder().decode(bytes);
}

let pipeline: Promise<OcrPipeline> | null = null;

/** One pipeline with the three OCR models open (shared by the tests of a file). */
export function nodeOcr(): Promise<OcrPipeline> {
  pipeline ??= (async () => {
    const open = new Map<string, OrtSessionHandle>();
    for (const m of [DET_MODEL, REC_MODEL, CLS_MODEL]) open.set(m, await session(m));
    return new OcrPipeline(ortRunner((m) => open.get(m)!), ctcClasses(dictionaryText()));
  })();
  return pipeline;
}
