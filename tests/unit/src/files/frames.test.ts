/**
 * The bulk channel's wire formats: chunk frames round-trip and their decoder never throws on any
 * bytes (seeded fuzz); control messages are size-checked before parsing; chunk sets survive the
 * bitmap and range encodings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILE_LIMITS, decodeChunkFrame, encodeChunkFrame, chooseChunkSize, checkManifest, type ChunkFrame } from '../../../../protocol/files.ts';
import { bitmapOf, fromRanges, indexesOf, toRanges } from '../../../../protocol/chunk-set.ts';
import { ERROR_CODES } from '../../../../protocol/errors.ts';
import { decodeBulk } from '../../../../src/files/bulk-codec.ts';
import { seededBytes, sharedFile } from './support.ts';

const RUNS = { seed: 42, numRuns: 2000 } as const;
const fileId = fc.stringMatching(/^[0-9A-Za-z-]{8,64}$/);
const frame: fc.Arbitrary<ChunkFrame> = fc
  .record({ fileId, index: fc.integer({ min: 0, max: FILE_LIMITS.maxChunks - 1 }), parts: fc.integer({ min: 1, max: 16 }), len: fc.oneof(fc.integer({ min: 1, max: 2048 }), fc.constant(FILE_LIMITS.partBytes)) })
  .chain((r) =>
    // Payload bytes from a seed: fast-check's own byte arrays are slow at 64 KiB.
    fc.record({ part: fc.integer({ min: 0, max: r.parts - 1 }), seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }).map(({ part, seed }) => ({ fileId: r.fileId, index: r.index, parts: r.parts, part, payload: seededBytes(r.len, seed) })),
  );

function typed(r: ReturnType<typeof decodeChunkFrame>): boolean {
  return r.ok || (ERROR_CODES as readonly string[]).includes(r.error.code);
}

describe('chunk frames', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const bytes = encodeChunkFrame(f);
        expect(bytes.byteLength).toBeLessThanOrEqual(FILE_LIMITS.frameBytes);
        const d = decodeChunkFrame(bytes.buffer);
        if (!d.ok) throw d.error;
        expect({ ...d.value, payload: null }).toEqual({ ...f, payload: null });
        expect(Buffer.from(d.value.payload).equals(Buffer.from(f.payload))).toBe(true);
      }),
      { ...RUNS, numRuns: 300 },
    );
  });

  it('never throw on arbitrary or mutated bytes, and answer a typed error', () => {
    const mutated = fc.tuple(frame, fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 90 })).map(([f, at, v, cut]) => {
      const b = encodeChunkFrame(f);
      b[at % b.length] = v;
      return b.subarray(0, Math.max(0, b.length - cut));
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated, fc.anything()), (input) => {
        expect(typed(decodeChunkFrame(input))).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuse what is too large, of another version or kind, or inconsistent', () => {
    const ok = encodeChunkFrame({ fileId: 'abcdefgh', index: 1, part: 0, parts: 1, payload: new Uint8Array(10) });
    expect(decodeChunkFrame(new Uint8Array(FILE_LIMITS.frameBytes + 1))).toMatchObject({ ok: false, error: { code: 'too-large' } });
    const v2 = ok.slice();
    v2[0] = 2;
    expect(decodeChunkFrame(v2)).toMatchObject({ ok: false, error: { code: 'protocol-version' } });
    const kind = ok.slice();
    kind[1] = 7;
    expect(decodeChunkFrame(kind)).toMatchObject({ ok: false, error: { code: 'unknown-type' } });
    const badPart = encodeChunkFrame({ fileId: 'abcdefgh', index: 1, part: 3, parts: 2, payload: new Uint8Array(10) });
    expect(decodeChunkFrame(badPart)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const badId = encodeChunkFrame({ fileId: 'abc/../x', index: 1, part: 0, parts: 1, payload: new Uint8Array(10) });
    expect(decodeChunkFrame(badId)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(decodeChunkFrame('text')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('bulk control messages', () => {
  it('are size-checked before parsing and never throw', () => {
    expect(decodeBulk('x'.repeat(FILE_LIMITS.controlBytes + 1))).toMatchObject({ ok: false, error: { code: 'too-large' } });
    expect(decodeBulk(JSON.stringify({ v: 1, t: 'want', fileId: 'abcdefgh', ranges: [[3, 3]] }))).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(decodeBulk(JSON.stringify({ v: 2, t: 'hello', fileId: 'abcdefgh' }))).toMatchObject({ ok: false, error: { code: 'protocol-version' } });
    expect(decodeBulk(JSON.stringify({ v: 1, t: 'gimme', fileId: 'abcdefgh' }))).toMatchObject({ ok: false, error: { code: 'unknown-type' } });
    expect(decodeBulk(JSON.stringify({ v: 1, t: 'want', fileId: 'abcdefgh', ranges: [[0, 4], [9, 10]] })).ok).toBe(true);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.record({ v: fc.constant(1), t: fc.constantFrom('hello', 'have', 'want', 'missing', 'ack', 'cancel', 'error'), fileId: fc.string(), ranges: fc.anything() }).map((o) => JSON.stringify(o))), (s) => {
        const r = decodeBulk(s);
        expect(r.ok || (ERROR_CODES as readonly string[]).includes(r.error.code)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('chunk sets', () => {
  it('survive bitmaps and ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, n - 1) }), { maxLength: n }))), ([n, set]) => {
        const sorted = n ? [...set].sort((a, b) => a - b) : [];
        expect(indexesOf(bitmapOf(sorted, n), n)).toEqual(sorted);
        expect(fromRanges(toRanges(sorted))).toEqual(sorted);
      }),
      { ...RUNS, numRuns: 300 },
    );
    expect(indexesOf('AAAA', 8)).toBeNull(); // 3 bytes for 8 bits
    expect(indexesOf('!!', 8)).toBeNull();
  });
});

describe('manifests', () => {
  it('pick a chunk size that keeps files within the chunk limit', () => {
    expect(chooseChunkSize(200 * 2 ** 20)).toBe(256 * 1024);
    expect(Math.ceil((8 * 2 ** 30) / chooseChunkSize(8 * 2 ** 30))).toBeLessThanOrEqual(FILE_LIMITS.maxChunks);
  });

  it('must agree with themselves', async () => {
    const { meta } = await sharedFile(null, 600_000, { chunkSize: 256 * 1024 });
    expect(checkManifest(meta)).toBeNull();
    expect(checkManifest({ ...meta, chunkHashes: [...meta.chunkHashes, meta.chunkHashes[0]!] })?.code).toBe('bad-request');
  });
});
