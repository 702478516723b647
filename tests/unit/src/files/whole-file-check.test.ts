/** The whole-file hash computed during a download: any arrival order, resumed files, a failing hasher. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WholeFileCheck } from '../../../../src/files/whole-file-check.ts';
import { mainThreadHasher } from '../../../../src/files/hash-worker.ts';
import { MemoryChunkStore, sharedFile } from './support.ts';

describe('whole-file check', () => {
  it('gives the file hash whatever order chunks are stored in, some stored before it started', async () => {
    const { meta, chunks } = await sharedFile(null, 40 * 256 * 1024 + 999, { chunkSize: 256 * 1024 });
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(chunks.map((c) => c.index), { minLength: chunks.length }), fc.integer({ min: 0, max: chunks.length }), async (order, preStored) => {
        const store = new MemoryChunkStore();
        store.writeDelayMs = 0;
        const have = new Set<number>();
        for (const i of order.slice(0, preStored)) have.add(i);
        await store.write(order.slice(0, preStored).map((i) => chunks[i]!));
        const check = new WholeFileCheck(meta, store, (i) => have.has(i), mainThreadHasher());
        check.start();
        for (const i of order.slice(preStored)) {
          await store.write([chunks[i]!]);
          have.add(i);
          // Some arrive with their bytes in hand, some without (read back later).
          check.stored(i, i % 3 ? chunks[i]!.data : undefined);
        }
        expect(await check.finish()).toBe(meta.sha256);
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it('falls back to reading the file back when the hasher fails', async () => {
    const store = new MemoryChunkStore();
    const { meta, chunks } = await sharedFile(store, 1_000_000, { chunkSize: 256 * 1024 });
    const failing = { update: async () => Promise.reject(new Error('worker died')), digest: async () => 'x' };
    const check = new WholeFileCheck(meta, store, () => true, failing);
    for (const c of chunks) check.stored(c.index, c.data);
    expect(await check.finish()).toBe(meta.sha256);
  });

  it('answers null when a chunk is missing', async () => {
    const store = new MemoryChunkStore();
    const { meta, chunks } = await sharedFile(null, 1_000_000, { chunkSize: 256 * 1024 });
    await store.write(chunks.slice(1));
    const check = new WholeFileCheck(meta, store, (i) => i > 0, mainThreadHasher());
    expect(await check.finish()).toBeNull();
  });
});
