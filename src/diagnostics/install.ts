/**
 * Diagnostics builds only (`vite build --mode diagnostics`: `npm test`, `npm run test:e2e`,
 * `npm run bench`): the handles tests and benchmarks drive the app through, and the hooks behind
 * them. main.ts loads this module under `__OSMOSE_DIAGNOSTICS__`, so the build people run does not
 * contain it (tests/unit/build/shipped.test.ts greps the bundle).
 *
 *   window.osmose           the app as plain data, and `post` (room-handle.ts)
 *   window.osmoseInference  the inference runtime; `crashWorker`, `workersStarted` (inference-handle.ts)
 *   window.osmoseFiles      files on this device; `corruptNextChunks` (files-handle.ts)
 *   window.osmoseVision     the camera service, templates this device opens, `matchFaces` (vision-handle.ts)
 *   `?allow-fallback-adapter`  lets the runtime use a software WebGPU adapter
 */
import type { RoomApp } from '../app/room-app.svelte.ts';
import { BULK_LABEL_PREFIX } from '../mesh/mesh.ts';
import type { BrowserOptions } from '../app/browser.ts';
import type { InferenceRuntime } from '../inference/runtime.ts';
import { WorkerTracker } from './worker-tracker.ts';
import { ChunkCorruptor } from './chunk-corruptor.ts';
import { roomHandle } from './room-handle.ts';
import { inferenceHandle } from './inference-handle.ts';
import { filesHandle } from './files-handle.ts';
import { visionHandle } from './vision-handle.ts';

const inferenceWorkers = new WorkerTracker();
const corruptor = new ChunkCorruptor();

/** The browser's deps as a diagnostics build runs them. */
export function browserOptions(shipped: BrowserOptions): BrowserOptions {
  corruptBulkSends(corruptor);
  return {
    ...shipped,
    inferenceWorker: inferenceWorkers.wrap(shipped.inferenceWorker),
    allowFallbackAdapter: new URLSearchParams(location.search).has('allow-fallback-adapter'),
  };
}

export function install(app: RoomApp, inference: () => Promise<InferenceRuntime>): void {
  Object.assign(window, {
    osmose: roomHandle(app),
    osmoseInference: inferenceHandle(inference, inferenceWorkers),
    osmoseFiles: filesHandle(app, corruptor),
    osmoseVision: visionHandle(app, inference),
  });
}

/**
 * File chunks leave on a bulk channel's RTCDataChannel (files/channel.ts sends on it directly):
 * the corruptor sees every binary message sent on a channel whose label is a bulk one.
 */
function corruptBulkSends(c: ChunkCorruptor): void {
  const proto = globalThis.RTCDataChannel?.prototype;
  if (!proto) return;
  const send = proto.send as (this: RTCDataChannel, data: unknown) => void;
  proto.send = function (this: RTCDataChannel, data: unknown) {
    send.call(this, this.label.startsWith(BULK_LABEL_PREFIX) ? c.apply(data) : data);
  } as RTCDataChannel['send'];
}
