/**
 * The room's features on this device, built when it enters a room and closed when it leaves: the
 * room's memory (opened from this device's storage first, so that the room opens offline), the
 * voice events and timers in it, its files, and its links to other rooms. (The voice service, one
 * per device, lives as long as the app: room-app.svelte.ts.)
 */
import type { DataConnection } from 'peerjs';
import { RoomMemoryState } from '../memory/room-memory.svelte.ts';
import { RoomVoiceState } from '../voice/room-voice.svelte.ts';
import { FilesState } from '../files/files.svelte.ts';
import { HubFiles } from '../files/hub-files.ts';
import type { ChunkStore } from '../files/chunk-store.ts';
import type { HasherFactory } from '../files/hash-worker.ts';
import { GatewayApi } from '../gateway/gateway-api.ts';
import { GatewayState } from '../gateway/gateway.svelte.ts';
import type { HubHttp } from '../platform/hub-http.ts';
import { VoiceService } from '../voice/voice-service.svelte.ts';
import { runtimeEngine } from '../voice/engine.ts';
import type { AppDeps } from './deps.ts';
import type { RoomApp } from './room-app.svelte.ts';
import type { RoomLinks } from './room-links.ts';

export interface RoomFeatures {
  memory: RoomMemoryState;
  roomVoice: RoomVoiceState;
  files: FilesState;
  gateway: GatewayState;
}

/** What the features need of the room's links and of this device. */
export interface FeatureContext {
  deviceId: string;
  name: () => string;
  /** The hub's APIs, with this device's credential. */
  http: HubHttp;
  chunkStore: ChunkStore;
  hasher: HasherFactory;
  /** A memory frame to the hub; false when the room channel is down. */
  sendToHub(frame: Uint8Array): boolean;
  /** A frame to one authenticated peer (dropped if there is none). */
  sendToPeer(peerId: string, frame: Uint8Array): void;
  openBulk(peerId: string, label: string): DataConnection | null;
  openPeers(): string[];
}

/** The features' view of this device and of the room's links (whichever are up when they send). */
export function featureContext(app: RoomApp, links: RoomLinks, deps: Pick<AppDeps, 'chunkStore' | 'hasher'>): FeatureContext {
  return {
    deviceId: app.deviceId,
    name: () => app.name,
    http: app.http,
    chunkStore: deps.chunkStore,
    hasher: deps.hasher,
    sendToHub: (frame) => links.hub?.sendBinary(frame) ?? false,
    sendToPeer: (peerId, frame) => links.mesh?.sendBinary(frame, peerId),
    openBulk: (peerId, label) => links.mesh?.openBulk(peerId, label) ?? null,
    openPeers: () => links.mesh?.openPeers() ?? [],
  };
}

/**
 * Opens the room's features. The stored history is loaded before anything may arrive from the hub
 * or peers, so that every update taken in afterwards also reaches this device's store. Null when
 * `cancelled()` turned true meanwhile (the person left, or entered another room).
 */
export async function openRoomFeatures(roomId: string, ctx: FeatureContext, cancelled: () => boolean): Promise<RoomFeatures | null> {
  const me = { deviceId: ctx.deviceId, name: ctx.name };
  const memory = new RoomMemoryState(roomId, me, { hub: ctx.sendToHub, peer: ctx.sendToPeer });
  await memory.open();
  if (cancelled()) {
    await memory.close();
    return null;
  }
  const files = new FilesState({
    doc: memory.doc,
    deviceId: ctx.deviceId,
    deviceName: ctx.name,
    hub: new HubFiles(ctx.http),
    store: ctx.chunkStore,
    hasher: ctx.hasher,
    openBulk: ctx.openBulk,
    openPeers: ctx.openPeers,
  });
  // Retention removed these files from the room: their bytes go from this device too.
  memory.onFilesExpired = (ids) => void files.forget(ids);
  return { memory, roomVoice: new RoomVoiceState(memory.doc, me), files, gateway: new GatewayState(new GatewayApi(ctx.http)) };
}

export async function closeRoomFeatures(f: RoomFeatures): Promise<void> {
  f.gateway.stop();
  f.files.dispose();
  f.roomVoice.dispose();
  await f.memory.close();
}

/**
 * This device's voice service (one per device, for the app's lifetime): its microphone, where its
 * models run, and the room devices' microphones it serves, over the mesh.
 */
export function createVoiceService(app: RoomApp, deps: Pick<AppDeps, 'inference' | 'openMicrophone'>): VoiceService {
  return new VoiceService({
    deviceId: app.deviceId,
    engine: runtimeEngine(deps.inference),
    send: (to, msg) => app.mesh?.sendVoice(to, msg) ?? false,
    sendAudio: (to, frame) => app.mesh?.sendBinary(frame, to),
    candidates: () =>
      (app.mesh?.openPeers() ?? []).map((peerId) => {
        const p = app.mesh?.profileOf(peerId);
        return { peerId, voice: p?.voice, visible: p?.visibility !== 'hidden' };
      }),
    room: () => app.roomVoice,
    presenceChanged: () => app.profileChanged(),
    onBattery: () => (app.caps?.battery ? !app.caps.battery.charging : null),
    openMicrophone: deps.openMicrophone,
  });
}
