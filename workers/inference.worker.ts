/// <reference lib="webworker" />
/**
 * The inference worker: onnxruntime-web off the main thread. Only wiring: the shared message loop
 * (support/serve.ts) validates each request and hands it to the engine (inference/engine.ts),
 * which never throws and answers with its buffers transferred.
 */
import { InferenceRequest } from '../protocol/inference.ts';
import { InferenceEngine } from './inference/engine.ts';
import { loadOrt, threadCount, threadsAsked } from './inference/ort-loader.ts';
import { fetchVerifiedModel } from './inference/model-bytes.ts';
import { adapterInfo } from './inference/webgpu.ts';
import { diagnosticsHook, serve } from './support/serve.ts';

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

// The `crash` request is understood in diagnostics builds only (support/serve.ts).
serve(scope, InferenceRequest, (req) => engine.handle(req), diagnosticsHook());
