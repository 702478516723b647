/**
 * The camera service on this device, as its UI sees it:
 *
 *   - this device's camera (off until the person turns it on), its spot, and the people in view;
 *   - where its frames are processed: here (the inference worker) or on a room device that offers
 *     its compute (vision-client.ts), decided by the person or, on "auto", by the battery;
 *   - serving other devices' cameras when this device offers its compute (vision-server.ts);
 *   - recognition of enrolled faces, when the person allows it here (templates from
 *     room-vision.svelte.ts), and enrolling the person at this device (enrol.ts);
 *   - room events (people-in-view.ts) recorded in the room's memory.
 *
 * Frames are taken a few times a second, one in flight at a time, processed in memory and
 * dropped: no frame is stored, and none is sent anywhere but to the chosen room device.
 *
 * (~380 lines: the one object the camera UI reads; frames, offload, people in view and enrolment
 * are their own modules; left here is the paced frame loop and one method per thing a person does.)
 */
import { OsmoseError } from '../../protocol/errors.ts';
import type { VisionPresence } from '../../protocol/common.ts';
import { CAMERA, decodeCameraFrame, type CameraControl, type ServedFace, type VisionEventKind } from '../../protocol/camera.ts';
import type { FaceEngine } from './engine.ts';
import type { CameraOpener, LiveCamera } from './camera.ts';
import type { FrameCodec } from './frame-codec.ts';
import { VisionClient, type VisionCandidate } from './vision-client.ts';
import { VisionServer } from './vision-server.ts';
import { PeopleInView, eventsFor, type ViewState } from './people-in-view.ts';
import { defaultVisionSettings, loadVisionSettings, saveVisionSettings, type VisionSettings } from './settings.ts';
import type { RoomVisionState } from './room-vision.svelte.ts';
import type { Recipient } from './template-keys.ts';
import { Enrolment } from './enrol.svelte.ts';

export interface VisionDeps {
  deviceId: string;
  engine: FaceEngine;
  codec: FrameCodec;
  openCamera: CameraOpener;
  send(to: string, msg: CameraControl): boolean;
  sendFrame(to: string, frame: Uint8Array): void;
  candidates(): VisionCandidate[];
  /** Devices present that recognise faces, with their vouched key-agreement keys. */
  recognisers(): Recipient[];
  room(): RoomVisionState | null;
  /** Devices present in the room now (this one included). */
  devicesPresent(): number;
  presenceChanged(): void;
  onBattery(): boolean | null;
  /** The person lets this device's compute serve the room (voice's setting, shared). */
  offerCompute(): boolean;
}

export type CameraState = 'off' | 'starting' | 'live' | 'error';

/** Between a frame's answer and the next frame, at least this (audio in the same worker gets its turn). */
const MIN_GAP_MS = 20;

export class VisionService {
  settings = $state<VisionSettings>(defaultVisionSettings());
  camera = $state<CameraState>('off');
  cameraError = $state<string | null>(null);
  /** The device running the models (this one's id when here), or null while none does. */
  runningOn = $state<string | null>(null);
  pipelineLive = $state(false);
  pipelineError = $state<string | null>(null);
  view = $state.raw<ViewState>({ inView: null, recognised: [], unknown: false });
  /** Frames whose faces came back. */
  frames = $state(0);
  /** Devices whose cameras this device runs. */
  serving = $state.raw<string[]>([]);
  readonly enrolment: Enrolment;
  /** Recent round trips of offloaded frames, and frame times here (ms), newest last. */
  offloadRtts: number[] = [];
  localRtts: number[] = [];

  private cam: LiveCamera | null = null;
  private client: VisionClient | null = null;
  private readonly server: VisionServer;
  private readonly tracker = new PeopleInView();
  private readonly lastEvents = new Map<VisionEventKind, number>();
  private token = 0;
  private frameNo = 0;
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastStart = 0;
  private loaded = false;
  private templatesSent = -1;
  private templatesSending: Promise<void> | null = null;

  constructor(private readonly deps: VisionDeps) {
    this.server = new VisionServer({
      engine: deps.engine,
      codec: deps.codec,
      send: (to, msg) => void deps.send(to, msg),
      offering: () => this.offering(),
      recognition: async () => {
        if (!this.recognises()) return false;
        await this.templatesReady();
        return true;
      },
      ownLoad: () => (this.runningHere() ? 1 : 0),
      changed: () => {
        this.serving = this.server.clients();
        deps.presenceChanged();
      },
    });
    this.enrolment = new Enrolment({
      engine: deps.engine,
      openCamera: deps.openCamera,
      liveCamera: () => this.cam,
      room: deps.room,
      recipients: () => deps.recognisers(),
      cameraOpen: () => deps.presenceChanged(),
    });
  }

  get deviceIdHere(): string {
    return this.deps.deviceId;
  }

  async start(): Promise<void> {
    this.settings = await loadVisionSettings();
    this.loaded = true;
    this.deps.presenceChanged();
    if (this.settings.camera) await this.startCamera();
  }

  offering(): boolean {
    return this.loaded && this.deps.offerCompute() && this.deps.onBattery() !== true;
  }

  /** This device recognises faces: the person allows it, and it runs a camera here or serves the room's. */
  recognises(): boolean {
    return this.settings.recognise && (this.runningHere() || this.offering());
  }

  private runningHere(): boolean {
    return this.camera === 'live' && this.runningOn === this.deps.deviceId;
  }

  presence(): VisionPresence {
    const room = this.deps.room();
    const live = this.camera === 'live' || this.enrolment.cameraOpen;
    return {
      camera: live ? 'live' : 'off',
      spot: this.enrolment.cameraOpen && this.camera !== 'live' ? 'enrolling a face' : this.settings.spot,
      inView: this.camera === 'live' ? this.view.inView : null,
      recognised: this.camera === 'live' ? this.view.recognised.flatMap((id) => { const name = room?.nameOf(id); return name ? [{ id, name }] : []; }).slice(0, 16) : [],
      recognises: this.recognises(),
      serving: this.offering(),
      load: Math.min(64, this.server.load + (this.runningHere() ? 1 : 0)),
    };
  }

  async update(change: Partial<VisionSettings>): Promise<void> {
    const before = this.settings;
    const next: VisionSettings = { ...before, ...change, spot: (change.spot ?? before.spot).trim().slice(0, CAMERA.spotChars) };
    this.settings = next;
    await saveVisionSettings(next).catch((err: unknown) => console.warn('[osmose] could not save camera settings', err));
    if (next.camera && !before.camera) await this.startCamera();
    else if (!next.camera && before.camera) this.stopCamera();
    else if (next.camera && before.where !== next.where) this.reroute(true);
    if (!next.recognise && before.recognise) {
      this.tracker.forgetRecognition();
      void this.deps.engine.setTemplates([]).catch(() => undefined);
      this.templatesSent = -1;
    }
    this.deps.presenceChanged();
  }

  /** Mesh: a camera-compute message from an authenticated peer. */
  control(from: string, msg: CameraControl): void {
    if (msg.op === 'open' || msg.op === 'close') void this.server.control(from, msg);
    else this.client?.control(from, msg);
  }

  /** Mesh: a camera frame from an authenticated peer. */
  frame(from: string, bytes: Uint8Array): void {
    const d = decodeCameraFrame(bytes);
    if (!d.ok) return console.warn('[osmose] camera frame refused from', from.slice(0, 9), d.error.code);
    void this.server.frame(from, d.frame);
  }

  peersChanged(): void {
    this.client?.reconsider();
    if (this.camera === 'live' && this.settings.where === 'auto') this.reroute(false);
    this.deps.room()?.ensureWraps(this.deps.recognisers());
  }

  peerGone(peerId: string): void {
    this.server.peerGone(peerId);
    this.client?.peerGone(peerId);
  }

  /** The room's face templates changed: matching uses the new set from the next frame. */
  templatesChanged(): void {
    this.templatesSent = -1;
    this.deps.room()?.ensureWraps(this.deps.recognisers());
    // A deleted template's name leaves presence now, not after the frames that stop matching it.
    if (this.view.recognised.length) this.deps.presenceChanged();
  }

  stop(): void {
    this.stopCamera();
    this.server.stopAll();
    this.enrolment.cancel();
  }

  private async templatesReady(): Promise<void> {
    const room = this.deps.room();
    const version = room?.templatesVersion ?? 0;
    if (this.templatesSent === version) return;
    this.templatesSending ??= (async () => {
      try {
        await this.deps.engine.setTemplates(room?.usable() ?? []);
        this.templatesSent = version;
      } finally {
        this.templatesSending = null;
      }
    })();
    await this.templatesSending;
  }

  private async startCamera(): Promise<void> {
    if (this.camera === 'live' || this.camera === 'starting') return;
    const token = ++this.token;
    this.camera = 'starting';
    this.cameraError = null;
    if (!this.wantsRoom()) this.deps.engine.warm(this.settings.recognise).catch((err: unknown) => console.warn('[osmose] face models could not be warmed', err));
    try {
      const cam = await this.deps.openCamera();
      if (token !== this.token) return cam.close();
      this.cam = cam;
      this.camera = 'live';
      this.tracker.reset();
      this.reroute(true);
    } catch (err) {
      if (token !== this.token) return;
      this.camera = 'error';
      this.cameraError = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
    }
    this.deps.presenceChanged();
  }

  /**
   * A frame still running (here, or on a room device just left) belongs to the old pipeline: its
   * answer is ignored (the token) and the next frame does not wait for it (an answer that never
   * comes would otherwise stop the camera for good).
   */
  private newPipeline(): void {
    this.token++;
    this.busy = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private stopCamera(): void {
    this.newPipeline();
    this.cam?.close();
    this.cam = null;
    this.camera = 'off';
    this.client?.close();
    this.client = null;
    this.runningOn = null;
    this.pipelineLive = false;
    this.tracker.reset();
    this.view = this.tracker.state();
    this.deps.presenceChanged();
  }

  private wantsRoom(): boolean {
    if (this.settings.where === 'here') return false;
    if (this.settings.where === 'room') return true;
    return this.deps.onBattery() === true && this.deps.candidates().some((c) => c.vision?.serving && c.visible);
  }

  private reroute(force: boolean): void {
    if (this.camera !== 'live') return;
    const room = this.wantsRoom();
    if (!force && (this.client !== null) === room) return;
    this.client?.close();
    this.client = null;
    this.newPipeline();
    this.tracker.forgetRecognition();
    this.pipelineError = null;
    if (room) {
      this.runningOn = null;
      this.pipelineLive = false;
      this.client = new VisionClient({
        send: this.deps.send,
        sendFrame: this.deps.sendFrame,
        candidates: this.deps.candidates,
        result: (faces, server, ms, recognised) => {
          this.offloadRtts.push(ms);
          if (this.offloadRtts.length > 200) this.offloadRtts.shift();
          this.take(faces, server, recognised);
          this.done();
        },
        dropped: () => this.done(),
        state: (server, live) => {
          this.runningOn = server;
          this.pipelineLive = live;
          this.pipelineError = server ? null : 'No device in the room offers its compute right now.';
          this.deps.presenceChanged();
          if (live) this.schedule();
        },
      });
      this.client.reconsider();
    } else {
      this.runningOn = this.deps.deviceId;
      this.pipelineLive = true;
    }
    this.deps.presenceChanged();
    this.schedule();
  }

  /** The next frame: `paceMs` after the last one started, and a short gap after its answer. */
  private schedule(): void {
    if (this.timer || this.busy || this.camera !== 'live') return;
    const due = Math.max(this.lastStart + CAMERA.paceMs, performance.now() + MIN_GAP_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, due - performance.now());
  }

  private done(): void {
    this.busy = false;
    this.schedule();
  }

  private async tick(): Promise<void> {
    const token = this.token;
    const frame = this.cam?.grab();
    if (!frame) return this.schedule();
    const recognise = this.settings.recognise && this.frameNo % CAMERA.recogniseEvery === 0;
    this.busy = true;
    this.lastStart = performance.now();
    this.frameNo++;
    try {
      if (this.client) {
        if (!this.client.ready()) return this.done();
        const jpeg = await this.deps.codec.encode(frame);
        if (token !== this.token || !this.client?.ready()) return this.done();
        this.client.send(jpeg, recognise);
        // The answer (client `result` or `dropped`) schedules the next frame.
        return;
      }
      if (recognise) await this.templatesReady();
      const r = await this.deps.engine.detect(frame, recognise);
      if (token !== this.token) return;
      this.localRtts.push(performance.now() - this.lastStart);
      if (this.localRtts.length > 200) this.localRtts.shift();
      this.pipelineError = null;
      this.take(r.faces, this.deps.deviceId, recognise);
      this.done();
    } catch (err) {
      if (token !== this.token) return;
      this.pipelineError = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
      // A failed frame (the worker restarting, a model failing): try again a second later.
      this.lastStart = performance.now() + 1000;
      this.done();
    }
  }

  private take(faces: ServedFace[], processedBy: string, recognised: boolean): void {
    if (this.camera !== 'live') return;
    this.frames++;
    const devices = this.deps.devicesPresent();
    const prev = { ...this.view, devices: this.lastDevices };
    // Without recognition on this frame (asked, or possible where it ran), faces count only.
    const next = this.tracker.frame({ faces: recognised ? faces : faces.map(({ score }) => ({ score })) });
    const changed = next.inView !== this.view.inView || next.unknown !== this.view.unknown || next.recognised.join() !== this.view.recognised.join();
    this.view = next;
    this.lastDevices = devices;
    const room = this.deps.room();
    for (const kind of eventsFor(prev, { ...next, devices }, this.lastEvents, Date.now())) {
      room?.record({ kind, spot: this.settings.spot, processedBy, inView: next.inView ?? 0, ...(kind === 'more-than-devices' ? { devices } : {}) });
    }
    if (changed) this.deps.presenceChanged();
  }

  private lastDevices = 0;
}
