/** The precomputed start embeddings are what initialFeatures() computes on the registry's models. */
import { describe, it, expect } from 'vitest';
import { findModel } from '../../../../../models/registry.ts';
import { precomputedFeatures } from '../../../../../workers/inference/wake/initial-features.ts';
import { nodeRunner } from './node-models.ts';

describe('precomputed start embeddings', () => {
  it('match a fresh computation on the real models (within 1e-4) and are tied to their hashes', { timeout: 120_000 }, async () => {
    const { initial } = await nodeRunner();
    const known = precomputedFeatures(findModel('melspectrogram')!.sha256, findModel('embedding_model')!.sha256);
    expect(known).not.toBeNull();
    let worst = 0;
    for (let i = 0; i < initial.length; i++) worst = Math.max(worst, Math.abs(initial[i]! - known![i]!));
    expect(worst).toBeLessThan(1e-4);
    expect(precomputedFeatures('0'.repeat(64), findModel('embedding_model')!.sha256)).toBeNull();
  });
});
