/// <reference lib="webworker" />
/**
 * Decodes QR codes off the main thread with jsQR, for browsers without BarcodeDetector
 * (desktop Linux Chromium, Firefox, Safari).
 */
import jsQR from 'jsqr';
import { QrDecodeRequest, type QrDecodeResponse } from '../protocol/workers.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (ev: MessageEvent<unknown>) => {
  const req = QrDecodeRequest.safeParse(ev.data);
  if (!req.success) {
    const id = typeof (ev.data as { id?: unknown })?.id === 'number' ? (ev.data as { id: number }).id : -1;
    scope.postMessage({ t: 'error', id, error: { code: 'bad-request', message: 'not a decode request' } } satisfies QrDecodeResponse);
    return;
  }
  const { id, width, height, data } = req.data;
  if (data.byteLength !== width * height * 4) {
    scope.postMessage({ t: 'error', id, error: { code: 'bad-request', message: 'pixel buffer size does not match' } } satisfies QrDecodeResponse);
    return;
  }
  const code = jsQR(new Uint8ClampedArray(data), width, height, { inversionAttempts: 'attemptBoth' });
  scope.postMessage({ t: 'decoded', id, text: code?.data ?? null } satisfies QrDecodeResponse);
};
