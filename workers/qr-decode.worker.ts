/// <reference lib="webworker" />
/**
 * Decodes QR codes off the main thread with jsQR, for browsers without BarcodeDetector (desktop
 * Linux Chromium, Firefox, Safari). Only wiring: the shared message loop (support/serve.ts) and
 * the decoder (qr/decode.ts).
 */
import { QrDecodeRequest } from '../protocol/workers.ts';
import { decodeQr } from './qr/decode.ts';
import { diagnosticsHook, serve } from './support/serve.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
serve(scope, QrDecodeRequest, (req) => ({ message: decodeQr(req), transfer: [] }), diagnosticsHook());
