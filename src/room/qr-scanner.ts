/**
 * Reads QR codes from the camera: BarcodeDetector where the browser has it, otherwise jsQR in a
 * worker. The worker is restarted if it dies; each request times out.
 */
import { QrDecodeResponse } from '../../protocol/workers.ts';

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
declare const BarcodeDetector: { new (opts: { formats: string[] }): BarcodeDetectorLike; getSupportedFormats(): Promise<string[]> } | undefined;

const DECODE_TIMEOUT_MS = 2_000;

export class QrDecoder {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, (text: string | null) => void>();
  private detector: BarcodeDetectorLike | null = null;
  readonly ready: Promise<void>;

  constructor() {
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

  async decode(canvas: HTMLCanvasElement): Promise<string | null> {
    await this.ready;
    if (this.detector) {
      const codes = await this.detector.detect(canvas);
      return codes[0]?.rawValue ?? null;
    }
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return this.decodeInWorker(img.data.buffer as ArrayBuffer, canvas.width, canvas.height);
  }

  private decodeInWorker(data: ArrayBuffer, width: number, height: number): Promise<string | null> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, DECODE_TIMEOUT_MS);
      this.pending.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      worker.postMessage({ t: 'decode', id, width, height, data }, [data]);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('../../workers/qr-decode.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (ev: MessageEvent<unknown>) => {
      const msg = QrDecodeResponse.safeParse(ev.data);
      if (!msg.success) return console.warn('[osmose] bad message from QR worker');
      if (msg.data.t === 'error') console.warn('[osmose] QR worker:', msg.data.error.message);
      this.pending.get(msg.data.id)?.(msg.data.t === 'decoded' ? msg.data.text : null);
      this.pending.delete(msg.data.id);
    };
    w.onerror = (ev) => {
      // A crashed worker is replaced on the next frame; pending decodes resolve empty.
      console.warn('[osmose] QR worker failed:', ev.message);
      for (const resolve of this.pending.values()) resolve(null);
      this.pending.clear();
      this.worker?.terminate();
      this.worker = null;
    };
    this.worker = w;
    return w;
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
