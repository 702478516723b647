/// <reference lib="webworker" />
/**
 * Decodes QR codes off the main thread with jsQR, for browsers without BarcodeDetector (desktop
 * Linux Chromium, Firefox, Safari). Only wiring: the shared message loop (support/serve.ts) and
 * the decoder (qr/decode.ts).
 */
import { QrDecodeRequest } from '../protocol/workers.ts';
import { decodeQr } from './qr/decode.ts';
import { serve } from './support/serve.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const hooks = __OSMOSE_DIAGNOSTICS__ ? await import('../src/diagnostics/worker-hooks.ts') : null;
serve(scope, QrDecodeRequest, (req) => ({ message: decodeQr(req), transfer: [] }), hooks?.crashOnRequest);
