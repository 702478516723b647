/**
 * Enrolling the person at this device, from this device's own camera only (a photo cannot be
 * picked): several shots a moment apart, each of which must show exactly one face (a shot of a
 * group enrols nobody). What is kept is one 128-number descriptor per shot, sealed, signed by this
 * device (room-vision.svelte.ts): never a photo. The person is shown exactly that.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { DESCRIPTOR_SIZE } from '../../protocol/vision.ts';
import type { CameraOpener, LiveCamera } from './camera.ts';
import type { FaceEngine, RgbaFrame } from './engine.ts';
import type { RoomVisionState } from './room-vision.svelte.ts';
import type { Recipient } from './template-keys.ts';

export interface EnrolDeps {
  engine: FaceEngine;
  openCamera: CameraOpener;
  /** The camera, when it is already on for the room. */
  liveCamera(): LiveCamera | null;
  room(): RoomVisionState | null;
  recipients(): Recipient[];
  /** The camera was opened or closed for enrolment (presence shows it). */
  cameraOpen(): void;
}

export type EnrolPhase = 'idle' | 'preview' | 'capturing' | 'done' | 'error';

/** Shots per enrolment, taken this far apart, and how many must show one face. */
export const ENROL_SHOTS = 5;
const SHOT_GAP_MS = 400;
const MIN_GOOD_SHOTS = 3;

export class Enrolment {
  phase = $state<EnrolPhase>('idle');
  /** Per shot: what the worker said of it. */
  verdicts = $state.raw<string[]>([]);
  error = $state<string | null>(null);
  /** What was kept: descriptors of 128 numbers (their mean, for the person to see). */
  kept = $state.raw<{ descriptors: number; numbers: number; mean: number[] } | null>(null);
  /** The camera is open for enrolment (not for the room's count). */
  cameraOpen = $state(false);
  /** The stream the preview shows while enrolling. */
  stream = $state.raw<MediaStream | null>(null);
  private own: LiveCamera | null = null;

  constructor(private readonly deps: EnrolDeps) {}

  /** Opens the camera so the person can see themselves before the shots. */
  async preview(): Promise<void> {
    this.error = null;
    this.kept = null;
    this.verdicts = [];
    // The models open while the person frames themself (seconds on a cold start).
    this.deps.engine.warm(true).catch((err: unknown) => console.warn('[osmose] face models could not be warmed', err));
    try {
      const cam = await this.camera();
      this.stream = cam.stream;
      this.phase = 'preview';
    } catch (err) {
      this.fail(err);
    }
  }

  /** Takes the shots, makes the descriptors, and enrols the person under `name`. */
  async capture(name: string): Promise<void> {
    const clean = name.trim();
    if (!clean) return this.fail(new OsmoseError('bad-request', 'give the name the room should show'));
    this.error = null;
    this.phase = 'capturing';
    try {
      // Opening the models has its own time limit; the descriptors' then counts only running them.
      await this.deps.engine.warm(true);
      const cam = await this.camera();
      this.stream = cam.stream;
      const shots: RgbaFrame[] = [];
      for (let i = 0; i < ENROL_SHOTS * 3 && shots.length < ENROL_SHOTS; i++) {
        await new Promise((r) => setTimeout(r, SHOT_GAP_MS));
        const f = cam.grab();
        if (f) shots.push(f);
      }
      if (!shots.length) throw new OsmoseError('camera-unavailable', 'the camera gave no picture');
      const results = await this.deps.engine.enrol(shots);
      this.verdicts = results.map((r) => r.verdict);
      const good = results.flatMap((r) => (r.verdict === 'ok' && r.descriptor?.length === DESCRIPTOR_SIZE ? [r.descriptor] : []));
      if (good.length < MIN_GOOD_SHOTS) {
        const several = results.filter((r) => r.verdict === 'several-faces').length;
        throw new OsmoseError('bad-request', several ? 'some shots showed more than one face: only you should be in view' : `only ${good.length} of ${results.length} shots showed a face: face the camera, in good light`);
      }
      const room = this.deps.room();
      if (!room) throw new OsmoseError('not-found', 'not in a room');
      room.enrol(clean, good, this.deps.recipients());
      const mean = Array.from({ length: DESCRIPTOR_SIZE }, (_, k) => good.reduce((s, d) => s + d[k]!, 0) / good.length);
      this.kept = { descriptors: good.length, numbers: DESCRIPTOR_SIZE, mean };
      this.phase = 'done';
    } catch (err) {
      this.fail(err);
    } finally {
      this.release();
    }
  }

  cancel(): void {
    this.release();
    if (this.phase === 'preview' || this.phase === 'capturing') this.phase = 'idle';
  }

  private async camera(): Promise<LiveCamera> {
    const live = this.deps.liveCamera();
    if (live) return live;
    if (!this.own) {
      this.own = await this.deps.openCamera();
      this.cameraOpen = true;
      this.deps.cameraOpen();
    }
    return this.own;
  }

  private release(): void {
    this.stream = null;
    if (!this.own) return;
    this.own.close();
    this.own = null;
    this.cameraOpen = false;
    this.deps.cameraOpen();
  }

  private fail(err: unknown): void {
    this.phase = 'error';
    this.error = err instanceof OsmoseError ? err.message : String((err as Error)?.message ?? err);
  }
}
