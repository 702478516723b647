/**
 * Cuts a stream of audio into fixed blocks at the target rate (16 kHz), resampling by linear
 * interpolation when the input runs at another rate (a browser that would not open a 16 kHz
 * AudioContext). Chromium's 16 kHz context resamples the microphone itself with a proper filter:
 * this path is the fallback, and a plain interpolation aliases above 8 kHz, which the models'
 * features (mel bands up to 8 kHz) barely see. Pure: it runs in the AudioWorklet and in unit tests.
 */
export class BlockBuffer {
  private block: Float32Array;
  private filled = 0;
  private sumSq = 0;
  private peak = 0;
  private pos = 0;
  private prev = 0;
  private readonly step: number;

  constructor(
    readonly blockSize: number,
    inputRate: number,
    readonly outputRate: number,
    private readonly emit: (block: Float32Array, level: { rms: number; peak: number }) => void,
  ) {
    if (!(blockSize > 0) || !(inputRate > 0) || !(outputRate > 0)) throw new RangeError('block size and rates must be positive');
    this.block = new Float32Array(blockSize);
    this.step = inputRate / outputRate;
  }

  push(input: Float32Array): void {
    if (this.step === 1) {
      for (let i = 0; i < input.length; i++) this.add(input[i]!);
      return;
    }
    // Output sample k lies at input position k * step. `pos` is the next one's position relative
    // to this call's first sample; -1 is the previous call's last sample.
    const last = input.length - 1;
    while (this.pos <= last) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = i < 0 ? this.prev : input[i]!;
      const b = frac === 0 ? a : input[i + 1]!;
      this.add(a + (b - a) * frac);
      this.pos += this.step;
    }
    this.pos -= input.length;
    if (input.length) this.prev = input[last]!;
  }

  private add(s: number): void {
    const v = Number.isFinite(s) ? Math.max(-1, Math.min(1, s)) : 0;
    this.block[this.filled++] = v;
    this.sumSq += v * v;
    const m = Math.abs(v);
    if (m > this.peak) this.peak = m;
    if (this.filled === this.blockSize) {
      const full = this.block;
      const level = { rms: Math.sqrt(this.sumSq / this.blockSize), peak: this.peak };
      this.block = new Float32Array(this.blockSize);
      this.filled = 0;
      this.sumSq = 0;
      this.peak = 0;
      this.emit(full, level);
    }
  }
}
