/**
 * This device's microphone, as 80 ms blocks of 16 kHz samples: getUserMedia → AudioContext (16 kHz
 * where the browser allows it) → the capture AudioWorklet (workers/audio-capture.worklet.ts).
 * Audio stays in memory: each block goes to the voice pipeline and is dropped.
 */
import captureWorkletUrl from '../../workers/audio-capture.worklet.ts?worker&url';
import { OsmoseError } from '../../protocol/errors.ts';
import { SAMPLE_RATE, STEP_SAMPLES } from '../../protocol/voice.ts';

export interface Level {
  rms: number;
  peak: number;
}

export type BlockHandler = (samples: Float32Array, level: Level) => void;

/** What the voice service holds of an open microphone. */
export type LiveMicrophone = Pick<Microphone, 'close' | 'suspended' | 'resume'>;
/** Asks for the microphone (the browser may prompt) and delivers blocks to `onBlock`. */
export type MicrophoneOpener = (onBlock: BlockHandler) => Promise<LiveMicrophone>;

export class Microphone {
  private constructor(
    private readonly stream: MediaStream,
    private readonly ctx: AudioContext,
    private readonly node: AudioWorkletNode,
  ) {}

  /** Asks for the microphone (the browser may prompt) and starts delivering blocks. */
  static async open(onBlock: BlockHandler): Promise<Microphone> {
    if (!navigator.mediaDevices?.getUserMedia) throw new OsmoseError('mic-unavailable', 'this browser gives no microphone here (it needs HTTPS)');
    let stream: MediaStream;
    try {
      // Raw audio: the wake-word models were trained without echo cancellation or gain control.
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      const name = (err as DOMException)?.name;
      if (name === 'NotAllowedError' || name === 'SecurityError') throw new OsmoseError('mic-denied', 'the microphone was not allowed: allow it in the browser to listen');
      throw new OsmoseError('mic-unavailable', `no microphone: ${(err as Error)?.message ?? err}`);
    }
    let ctx: AudioContext;
    try {
      ctx = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
    } catch {
      // Some browsers will not resample a microphone: run at the device rate, the worklet resamples.
      ctx = new AudioContext({ latencyHint: 'interactive' });
    }
    try {
      await ctx.audioWorklet.addModule(captureWorkletUrl);
      const node = new AudioWorkletNode(ctx, 'osmose-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: 'explicit',
        processorOptions: { blockSize: STEP_SAMPLES, outputRate: SAMPLE_RATE },
      });
      node.port.onmessage = (ev: MessageEvent<{ t: string; samples: Float32Array; rms: number; peak: number }>) => {
        if (ev.data?.t === 'block' && ev.data.samples instanceof Float32Array) onBlock(ev.data.samples, { rms: ev.data.rms, peak: ev.data.peak });
      };
      ctx.createMediaStreamSource(stream).connect(node);
      if (ctx.state === 'suspended') await ctx.resume().catch(() => undefined);
      return new Microphone(stream, ctx, node);
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      void ctx.close().catch(() => undefined);
      throw new OsmoseError('mic-unavailable', `could not start audio capture: ${(err as Error)?.message ?? err}`);
    }
  }

  /** The browser may hold audio until a tap (autoplay rules). */
  get suspended(): boolean {
    return this.ctx.state === 'suspended';
  }

  resume(): Promise<void> {
    return this.ctx.resume();
  }

  close(): void {
    this.node.port.onmessage = null;
    for (const t of this.stream.getTracks()) t.stop();
    void this.ctx.close().catch(() => undefined);
  }
}
