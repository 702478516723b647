/**
 * The face models under Node: built from face-api's weights as the build does, checked against
 * the registry's SHA-256, opened on onnxruntime-web's wasm build (one thread), behind the
 * pipeline's ModelRunner.
 */
import crypto from 'node:crypto';
import * as ort from 'onnxruntime-web';
import { findModel } from '../../../../../models/registry.ts';
import { modelBytes } from '../../../../../scripts/vite-plugin-models.ts';
import { ortRunner, type ModelRunner, type OrtSessionHandle } from '../../../../../workers/inference/runner.ts';
import { FACE_MODELS } from '../../../../../workers/inference/vision/models.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const sessions = new Map<string, Promise<OrtSessionHandle>>();

export function faceSession(name: string): Promise<OrtSessionHandle> {
  let p = sessions.get(name);
  if (!p) {
    p = (async () => {
      const entry = findModel(name);
      if (!entry) throw new Error(`no model ${name}`);
      const bytes = modelBytes(entry);
      if (crypto.createHash('sha256').update(bytes).digest('hex') !== entry.sha256) throw new Error(`${name}: SHA-256 does not match the registry`);
      return { ort: ort as unknown as OrtSessionHandle['ort'], session: await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }) };
    })();
    sessions.set(name, p);
  }
  return p;
}

/** A runner with the three face models open. */
export async function faceRunner(): Promise<ModelRunner> {
  const open = new Map<string, OrtSessionHandle>();
  for (const m of FACE_MODELS) open.set(m, await faceSession(m));
  return ortRunner((m) => {
    const s = open.get(m);
    if (!s) throw new Error(`no session for ${m}`);
    return s;
  });
}
