/** One QR decode request → its answer (the text, or null when no code was found). Never throws. */
import jsQR from 'jsqr';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { QrDecodeRequest, QrDecodeResponse } from '../../protocol/workers.ts';

export function decodeQr(req: QrDecodeRequest): QrDecodeResponse {
  const { id, width, height, data } = req;
  if (data.byteLength !== width * height * 4) {
    return { t: 'error', v: PROTOCOL_VERSION, id, error: { code: 'bad-request', message: 'pixel buffer size does not match' } };
  }
  const code = jsQR(new Uint8ClampedArray(data), width, height, { inversionAttempts: 'attemptBoth' });
  return { t: 'decoded', v: PROTOCOL_VERSION, id, text: code?.data.slice(0, 4096) ?? null };
}
