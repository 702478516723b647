/**
 * The room's features on this device, built when it enters a room and closed when it leaves: the
 * room's memory (opened from this device's storage first, so that the room opens offline), the
 * voice events and timers in it, what its cameras saw and its face templates, its files, its
 * links to other rooms, and its scribe. (The voice and camera services, one per device, live as
 * long as the app: room-app.svelte.ts.)
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
import { RoomVisionState } from '../vision/room-vision.svelte.ts';
import { VisionService } from '../vision/vision-service.svelte.ts';
import { runtimeFaceEngine } from '../vision/engine.ts';
import type { Identity } from '../room/identity.ts';
import { PhotoNotes } from '../vision/photo-notes.svelte.ts';
import { photoPixels } from '../inference/photo-pixels.ts';
import { runtimeStt } from '../voice/stt-engine.ts';
import { ScribeState } from '../scribe/scribe.svelte.ts';
import type { KeyHolder, KeyMesh } from '../room/sealed-keys.ts';
import type { ScribeTarget } from '../voice/scribe-feed.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { commandRoom } from './command-room.ts';
import type { AppDeps } from './deps.ts';
import type { RoomApp } from './room-app.svelte.ts';
import type { RoomLinks } from './room-links.ts';

export interface RoomFeatures {
  memory: RoomMemoryState;
  roomVoice: RoomVoiceState;
  roomVision: RoomVisionState;
  photoNotes: PhotoNotes;
  files: FilesState;
  gateway: GatewayState;
  scribe: ScribeState;
}

/** What the features need of the room's links and of this device. */
export interface FeatureContext {
  deviceId: string;
  name: () => string;
  /** This device's keys (face templates are signed, and their keys unwrapped, with them). */
  identity: Identity;
  /** The hub's APIs, with this device's credential. */
  http: HubHttp;
  inference: AppDeps['inference'];
  chunkStore: ChunkStore;
  hasher: HasherFactory;
  /** A memory frame to the hub; false when the room channel is down. */
  sendToHub(frame: Uint8Array): boolean;
  /** A frame to one authenticated peer (dropped if there is none). */
  sendToPeer(peerId: string, frame: Uint8Array): void;
  openBulk(peerId: string, label: string): DataConnection | null;
  openPeers(): string[];
  /** This device's X25519 key (room/identity.ts): what keys handed to it are wrapped for. */
  keyHolder: KeyHolder;
  /** The mesh, for handing keys to the devices present (room/sealed-keys.ts). */
  keyMesh(): KeyMesh | null;
  nameOf(deviceId: string): string;
  /** The scribe session this device's microphone may feed. */
  feedScribe(target: ScribeTarget | null): void;
}

/** The features' view of this device and of the room's links (whichever are up when they send). */
export function featureContext(app: RoomApp, links: RoomLinks, deps: Pick<AppDeps, 'chunkStore' | 'hasher' | 'inference'>, identity: Identity): FeatureContext {
  return {
    keyHolder: { deviceId: identity.deviceId, x25519: identity.kx },
    keyMesh: () => links.mesh,
    nameOf: (id) => app.members.find((m) => m.peerId === id)?.name ?? (id === app.deviceId ? app.name : `device ${id.slice(1, 5)}`),
    feedScribe: (t) => app.voice?.feedScribe(t),
    deviceId: app.deviceId,
    name: () => app.name,
    identity,
    http: app.http,
    inference: deps.inference,
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
  const roomVision = new RoomVisionState(memory.doc, { deviceId: ctx.deviceId, publicKey: ctx.identity.publicKey, secretKey: ctx.identity.secretKey, kx: ctx.identity.kx, name: ctx.name });
  const photoNotes = new PhotoNotes({
    read: async (photo) => {
      const [rt, pixels] = await Promise.all([ctx.inference(), photoPixels(photo)]);
      const r = await rt.ocr.read(pixels);
      return { text: r.text, lines: r.lines.length };
    },
    share: async (photo) => {
      const [id] = await files.share([photo]);
      if (!id) throw new Error(files.preparing.find((p) => p.name === photo.name)?.error?.message ?? 'the photo could not be shared');
      return id;
    },
    createNote: (title, body) => memory.createNote(title, body),
    pin: (kind, ref) => memory.pin(kind, ref),
    warm: () => void ctx.inference().then((rt) => rt.ocr.warm()).catch((err: unknown) => console.warn('[osmose] OCR models could not be warmed', err)),
  });
  const scribe = new ScribeState({
    doc: memory.doc,
    me: { ...ctx.keyHolder, name: ctx.name },
    mesh: ctx.keyMesh,
    nameOf: ctx.nameOf,
    feed: ctx.feedScribe,
    compact: () => memory.forgetDeleted(),
  });
  return { memory, roomVoice: new RoomVoiceState(memory.doc, me), roomVision, photoNotes, files, gateway: new GatewayState(new GatewayApi(ctx.http)), scribe };
}

export async function closeRoomFeatures(f: RoomFeatures): Promise<void> {
  f.gateway.stop();
  f.scribe.dispose();
  f.files.dispose();
  f.roomVoice.dispose();
  f.roomVision.dispose();
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
    stt: runtimeStt(async () => (await deps.inference()).stt ?? Promise.reject(new OsmoseError('model-unavailable', 'no speech to text in this runtime'))),
    send: (to, msg) => app.mesh?.sendVoice(to, msg) ?? false,
    sendAudio: (to, frame) => app.mesh?.sendBinary(frame, to),
    candidates: () =>
      (app.mesh?.openPeers() ?? []).map((peerId) => {
        const p = app.mesh?.profileOf(peerId);
        return { peerId, voice: p?.voice, visible: p?.visibility !== 'hidden' };
      }),
    room: () => app.roomVoice,
    commandRoom: () => commandRoom({ roomVoice: app.roomVoice, memory: app.memory, scribe: app.scribe, people: () => [app.name, ...app.members.filter((m) => m.status === 'present').map((m) => m.name)] }),
    speak: (text) => {
      const synth = globalThis.speechSynthesis;
      if (synth && typeof SpeechSynthesisUtterance === 'function') synth.speak(new SpeechSynthesisUtterance(text));
    },
    presenceChanged: () => app.profileChanged(),
    onBattery: () => (app.caps?.battery ? !app.caps.battery.charging : null),
    openMicrophone: deps.openMicrophone,
  });
}

/**
 * This device's camera service (one per device, for the app's lifetime): its camera, where its
 * frames run, the room devices' cameras it serves, and enrolment, over the mesh.
 */
export function createVisionService(app: RoomApp, deps: Pick<AppDeps, 'inference' | 'openCamera' | 'frameCodec'>): VisionService {
  return new VisionService({
    deviceId: app.deviceId,
    engine: runtimeFaceEngine(deps.inference),
    codec: deps.frameCodec,
    openCamera: deps.openCamera,
    send: (to, msg) => app.mesh?.sendCamera(to, msg) ?? false,
    sendFrame: (to, frame) => app.mesh?.sendBinary(frame, to),
    candidates: () =>
      (app.mesh?.openPeers() ?? []).map((peerId) => {
        const p = app.mesh?.profileOf(peerId);
        return { peerId, vision: p?.vision, visible: p?.visibility !== 'hidden' };
      }),
    recognisers: () =>
      (app.mesh?.openPeers() ?? []).flatMap((peerId) => {
        const key = app.mesh?.sessions.get(peerId)?.keyAgreementKey;
        return key && app.mesh?.profileOf(peerId)?.vision?.recognises ? [{ deviceId: peerId, x25519Public: key }] : [];
      }),
    room: () => app.roomVision,
    devicesPresent: () => 1 + app.members.filter((m) => m.status === 'present').length,
    presenceChanged: () => app.profileChanged(),
    onBattery: () => (app.caps?.battery ? !app.caps.battery.charging : null),
    offerCompute: () => app.voice?.settings.offer ?? false,
  });
}
