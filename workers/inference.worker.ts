/// <reference lib="webworker" />
/**
 * The inference worker: onnxruntime-web off the main thread. Only wiring: validate each request,
 * hand it to the engine (workers/inference/engine.ts), post the answer with its buffers transferred.
 */
import { validateMessage } from '../protocol/codec.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { InferenceRequest, type InferenceResponse } from '../protocol/inference.ts';
import { InferenceEngine } from './inference/engine.ts';
import { loadOrt, threadCount, threadsAsked } from './inference/ort-loader.ts';
import { fetchVerifiedModel } from './inference/model-bytes.ts';
import { adapterInfo } from './inference/webgpu.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const origin = scope.location.origin;
const threads = threadCount(scope.crossOriginIsolated, scope.navigator.hardwareConcurrency || 1, threadsAsked(scope.name));
const now = () => performance.now();

const engine = new InferenceEngine({
  loadOrt: (backend) => loadOrt(backend, { origin, threads }),
  fetchModel: (entry, signal) => fetchVerifiedModel(entry, { fetch: scope.fetch.bind(scope), caches: scope.caches, origin, now }, signal),
  adapterInfo,
  crossOriginIsolated: scope.crossOriginIsolated,
  threads,
  now,
});

// Whoever starts this worker is about to run a model: start ORT's wasm runtime (~1 s on a slow
// device) now, while the first request and its models are still on their way.
engine.warmUp('wasm').catch((err: unknown) => console.warn('[osmose] inference: warming the wasm runtime failed; the first load will retry', err));

scope.onmessage = (ev: MessageEvent<unknown>) => {
  const parsed = validateMessage(InferenceRequest, ev.data);
  if (!parsed.ok) {
    const raw = (ev.data as { id?: unknown } | null)?.id;
    const id = typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw : 0;
    scope.postMessage({ t: 'error', v: PROTOCOL_VERSION, id, error: parsed.error.toWire() } satisfies InferenceResponse);
    return;
  }
  void engine.handle(parsed.value).then(({ message, transfer }) => scope.postMessage(message, transfer));
};
