/**
 * The real page: everything AppDeps asks for, from the browser. Only main.ts imports this.
 */
import { detectCapabilities, unknownCapabilities, watchBattery } from '../platform/capabilities.ts';
import { setRoomIceServers } from '../mesh/ice-guard.ts';
import { createPeer } from '../mesh/peerjs.ts';
import { defaultDisplayName } from '../room/identity.ts';
import { IdbChunkStore } from '../files/chunk-store.ts';
import { mainThreadHasher, workerHashers } from '../files/hash-worker.ts';
import { Microphone } from '../voice/microphone.ts';
import { Camera } from '../vision/camera.ts';
import { browserFrameCodec } from '../vision/frame-codec.ts';
import type { WorkerLike } from '../platform/worker-client.ts';
import type { InferenceRuntime } from '../inference/runtime.ts';
import { listenToLifecycle } from './lifecycle.ts';
import type { AppDeps, PageAddress } from './deps.ts';

export function browserPage(): PageAddress {
  return {
    origin: location.origin,
    hostname: location.hostname,
    hash: () => location.hash,
    clearFragment: () => {
      // The secret must not stay in the address bar, history or a bookmark.
      const path = location.pathname === '/join' ? '/' : location.pathname;
      history.replaceState(null, '', path + location.search);
    },
  };
}

export function inferenceWorker(): WorkerLike {
  return new Worker(new URL('../../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'osmose-inference' }) as unknown as WorkerLike;
}

function hashWorker(): WorkerLike {
  return new Worker(new URL('../../workers/file-hash.worker.ts', import.meta.url), { type: 'module', name: 'osmose-hash' }) as unknown as WorkerLike;
}

function localVerdicts(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export interface BrowserOptions {
  /** Starts the inference worker (diagnostics builds wrap it to count and crash workers). */
  inferenceWorker: () => WorkerLike;
  /** Use a software WebGPU adapter (diagnostics builds, from `?allow-fallback-adapter`). */
  allowFallbackAdapter: boolean;
  createPeer?: AppDeps['createPeer'];
}

/** The one inference runtime, loaded and created on first use (it is not in the app's first chunk). */
export function lazyRuntime(o: BrowserOptions): () => Promise<InferenceRuntime> {
  let runtime: Promise<InferenceRuntime> | null = null;
  return () =>
    (runtime ??= import('../inference/runtime.ts').then(
      ({ InferenceRuntime }) => new InferenceRuntime({ createWorker: o.inferenceWorker, verdicts: localVerdicts(), allowFallbackAdapter: o.allowFallbackAdapter }),
    ));
}

export function browserDeps(o: BrowserOptions, inference: () => Promise<InferenceRuntime>): AppDeps {
  return {
    page: browserPage(),
    device: {
      capabilities: detectCapabilities,
      unknownCapabilities,
      watchBattery,
      visibility: () => (document.visibilityState === 'hidden' ? 'hidden' : 'visible'),
      defaultName: (deviceId) => defaultDisplayName(deviceId, navigator.userAgent),
    },
    fetch: fetch.bind(window),
    openSocket: (url, protocols) => new WebSocket(url, protocols),
    createPeer: o.createPeer ?? createPeer,
    setIceServers: setRoomIceServers,
    listenToLifecycle,
    inference,
    openMicrophone: (onBlock) => Microphone.open(onBlock),
    openCamera: () => Camera.open(),
    frameCodec: browserFrameCodec,
    chunkStore: new IdbChunkStore(),
    hasher: typeof Worker === 'undefined' ? mainThreadHasher : workerHashers(hashWorker),
  };
}
