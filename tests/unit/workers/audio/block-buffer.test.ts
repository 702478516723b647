import { describe, expect, it } from 'vitest';
import { BlockBuffer } from '../../../../workers/audio/block-buffer.ts';

function collect(blockSize: number, inRate: number, outRate: number) {
  const blocks: Float32Array[] = [];
  const levels: { rms: number; peak: number }[] = [];
  const b = new BlockBuffer(blockSize, inRate, outRate, (x, l) => {
    blocks.push(x);
    levels.push(l);
  });
  return { b, blocks, levels };
}

describe('BlockBuffer', () => {
  it('cuts 16 kHz input into 1280-sample blocks whatever the push sizes', () => {
    const input = Float32Array.from({ length: 1280 * 3 + 17 }, (_, i) => Math.sin(i / 10) * 0.5);
    for (const sizes of [[128], [1], [127, 1000], [4000]]) {
      const { b, blocks } = collect(1280, 16000, 16000);
      let at = 0;
      let k = 0;
      while (at < input.length) {
        const n = sizes[k++ % sizes.length]!;
        b.push(input.subarray(at, at + n));
        at += n;
      }
      expect(blocks).toHaveLength(3);
      expect(Array.from(blocks.flatMap((x) => Array.from(x)))).toEqual(Array.from(input.subarray(0, 1280 * 3)));
    }
  });

  it('reports the level of each block', () => {
    const { b, levels } = collect(4, 16000, 16000);
    b.push(Float32Array.from([0.5, -0.5, 0.5, -0.5, 0, 0, 0, 1]));
    expect(levels[0]!.rms).toBeCloseTo(0.5, 6);
    expect(levels[0]!.peak).toBeCloseTo(0.5, 6);
    expect(levels[1]!.peak).toBe(1);
  });

  it('clamps and zeroes what a broken input would send', () => {
    const { b, blocks } = collect(4, 16000, 16000);
    b.push(Float32Array.from([2, -3, NaN, Infinity]));
    expect(Array.from(blocks[0]!)).toEqual([1, -1, 0, 0]);
  });

  it('resamples 48 kHz to 16 kHz: one output sample per three inputs, the tone kept', () => {
    const { b, blocks } = collect(160, 48000, 16000);
    const hz = 440;
    const input = Float32Array.from({ length: 48000 / 10 }, (_, i) => Math.sin((2 * Math.PI * hz * i) / 48000));
    for (let i = 0; i < input.length; i += 128) b.push(input.subarray(i, i + 128));
    expect(blocks.length).toBe(10); // 100 ms at 16 kHz = 1600 samples
    const out = blocks.flatMap((x) => Array.from(x));
    for (let k = 0; k < out.length; k++) expect(out[k]).toBeCloseTo(Math.sin((2 * Math.PI * hz * k) / 16000), 2);
  });

  it('resamples 44.1 kHz to 16 kHz with the right number of samples', () => {
    const { b, blocks } = collect(1600, 44100, 16000);
    const input = new Float32Array(44100);
    for (let i = 0; i < input.length; i += 441) b.push(input.subarray(i, i + 441));
    expect(blocks.length).toBe(10);
  });

  it('refuses nonsense sizes', () => {
    expect(() => new BlockBuffer(0, 16000, 16000, () => undefined)).toThrow(RangeError);
  });
});
