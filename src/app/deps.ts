/**
 * What the app needs from the page it runs in, in one place. `browser.ts` gives the real ones
 * (main.ts); unit tests give Node's (fetch, `ws`), fake-indexeddb for storage, and in-memory fakes
 * where Node has no browser (WebRTC, the microphone and camera, page lifecycle events).
 */
import type { Capabilities } from '../../protocol/common.ts';
import type { PeerFactory } from '../mesh/mesh.ts';
import type { SocketFactory } from '../room/hub-connection.ts';
import type { ChunkStore } from '../files/chunk-store.ts';
import type { HasherFactory } from '../files/hash-worker.ts';
import type { MicrophoneOpener } from '../voice/microphone.ts';
import type { RuntimeLike } from '../voice/engine.ts';
import type { VisionRuntimeLike } from '../vision/engine.ts';
import type { CameraOpener } from '../vision/camera.ts';
import type { FrameCodec } from '../vision/frame-codec.ts';
import type { LifecycleHandlers } from './lifecycle.ts';

/** The page's address: the hub is its origin; a join link's secret arrives in its fragment. */
export interface PageAddress {
  /** The hub's origin (the page's own). */
  readonly origin: string;
  readonly hostname: string;
  /** The fragment (`#r=…&s=…` after a scan). */
  hash(): string;
  /** Removes the fragment (and a `/join` path) from the address bar, history and bookmarks. */
  clearFragment(): void;
}

/** What the browser says about this device. */
export interface DeviceProbes {
  capabilities(): Promise<Capabilities>;
  /** What a device says before its probes finish. */
  unknownCapabilities(): Capabilities;
  /** Plugged in or unplugged (where the browser tells). */
  watchBattery(cb: (battery: { charging: boolean; level: number }) => void): void;
  visibility(): 'visible' | 'hidden';
  /** A readable default name ("Android 3f2a"). */
  defaultName(deviceId: string): string;
}

export interface AppDeps {
  page: PageAddress;
  device: DeviceProbes;
  fetch: typeof fetch;
  openSocket: SocketFactory;
  createPeer: PeerFactory;
  /** Every RTCPeerConnection on the page gets these, and only these (mesh/ice-guard.ts). */
  setIceServers(servers: RTCIceServer[]): void;
  /** Listens to the page's lifecycle; returns the way to stop. */
  listenToLifecycle(h: LifecycleHandlers): () => void;
  /** The app's one inference runtime, started on first use. */
  inference: () => Promise<RuntimeLike & VisionRuntimeLike>;
  openMicrophone: MicrophoneOpener;
  openCamera: CameraOpener;
  /** Camera frames to and from JPEG (frames sent to the room device that runs them). */
  frameCodec: FrameCodec;
  chunkStore: ChunkStore;
  hasher: HasherFactory;
}
