/**
 * Reads QR codes from the camera: BarcodeDetector where the browser has it, otherwise jsQR in the
 * QR worker (workers/qr-decode.worker.ts) through the one worker client: each decode has a
 * deadline, a crashed or stuck worker is replaced on the next frame.
 */
import { QrDecodeResponse, type QrDecodeRequest } from '../../protocol/workers.ts';
import { WorkerClient, type WorkerLike } from '../platform/worker-client.ts';

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
declare const BarcodeDetector: { new (opts: { formats: string[] }): BarcodeDetectorLike; getSupportedFormats(): Promise<string[]> } | undefined;

const DECODE_TIMEOUT_MS = 2_000;

/** The app's QR worker. */
export function qrWorker(): WorkerLike {
  return new Worker(new URL('../../workers/qr-decode.worker.ts', import.meta.url), { type: 'module', name: 'osmose-qr' }) as unknown as WorkerLike;
}

export class QrDecoder {
  private readonly client: WorkerClient<QrDecodeRequest, QrDecodeResponse>;
  private detector: BarcodeDetectorLike | null = null;
  readonly ready: Promise<void>;

  constructor(createWorker: () => WorkerLike) {
    this.client = new WorkerClient({ name: 'the QR worker', create: createWorker, answers: QrDecodeResponse, graceMs: 500 });
    this.ready = this.init();
  }

  private async init(): Promise<void> {
    try {
      if (typeof BarcodeDetector !== 'undefined' && (await BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        this.detector = new BarcodeDetector({ formats: ['qr_code'] });
      }
    } catch {
      this.detector = null; // fall back to the worker
    }
  }

  get engine(): 'BarcodeDetector' | 'jsQR' {
    return this.detector ? 'BarcodeDetector' : 'jsQR';
  }

  /** The code's text; null when there is none in the frame, or the decoder failed on it. */
  async decode(canvas: HTMLCanvasElement): Promise<string | null> {
    await this.ready;
    if (this.detector) {
      const codes = await this.detector.detect(canvas);
      return codes[0]?.rawValue ?? null;
    }
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const data = img.data.buffer as ArrayBuffer;
    try {
      return (await this.client.request({ t: 'decode', width: canvas.width, height: canvas.height, data }, 'decoded', DECODE_TIMEOUT_MS, [data])).text;
    } catch (err) {
      console.warn('[osmose] QR decode failed:', (err as Error).message);
      return null;
    }
  }

  dispose(): void {
    this.client.dispose();
  }
}
