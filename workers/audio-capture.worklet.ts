/**
 * The microphone's AudioWorklet: cuts the input into 80 ms blocks of 16 kHz samples (resampling
 * if the context runs at another rate) and posts each block with its level to the page, the
 * buffer transferred. Only wiring: the cutting is workers/audio/block-buffer.ts.
 */
import { BlockBuffer } from './audio/block-buffer.ts';

// The AudioWorklet global scope is not in TypeScript's libs.
declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}

interface Options {
  processorOptions?: { blockSize?: number; outputRate?: number };
}

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly buffer: BlockBuffer;

  constructor(options: Options) {
    super(options);
    const blockSize = options.processorOptions?.blockSize ?? 1280;
    const outputRate = options.processorOptions?.outputRate ?? 16_000;
    this.buffer = new BlockBuffer(blockSize, sampleRate, outputRate, (samples, level) => {
      this.port.postMessage({ t: 'block', samples, rms: level.rms, peak: level.peak }, [samples.buffer]);
    });
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel) this.buffer.push(channel);
    return true;
  }
}

registerProcessor('osmose-capture', CaptureProcessor);
