/**
 * The room's camera service on a device that offers its compute: runs other devices' camera frames
 * through this device's face models and sends each frame's faces back. Frames arrive as JPEGs,
 * are decoded in memory, counted (and matched, when the camera asks and this device recognises),
 * and dropped; nothing is stored. What the room is told (counts, names, events) stays with the
 * camera's owner, who records it.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { CAMERA_LIMITS, type CameraControl, type CameraFrame } from '../../protocol/camera.ts';
import type { FaceEngine } from './engine.ts';
import type { FrameCodec } from './frame-codec.ts';

export interface VisionServerDeps {
  engine: FaceEngine;
  codec: FrameCodec;
  send(to: string, msg: CameraControl): void;
  /** May this device serve now (the person's setting, not on battery)? */
  offering(): boolean;
  /** May this device recognise faces for the room (the person's setting)? Ready the templates first. */
  recognition(): Promise<boolean>;
  /** Streams this device runs besides the ones served here (its own camera). */
  ownLoad(): number;
  changed(): void;
}

interface Served {
  peerId: string;
  stream: number;
  lastSeq: number;
  busy: boolean;
}

export class VisionServer {
  private served = new Map<string, Served>();

  constructor(private readonly deps: VisionServerDeps) {}

  get load(): number {
    return this.served.size;
  }

  clients(): string[] {
    return [...new Set([...this.served.values()].map((s) => s.peerId))];
  }

  async control(from: string, msg: CameraControl): Promise<void> {
    const key = `${from}:${msg.stream}`;
    if (msg.op === 'close') return this.drop(key);
    if (msg.op !== 'open') return;
    this.drop(key);
    if (!this.deps.offering()) return this.refuse(from, msg.stream, new OsmoseError('busy', 'this device does not offer its compute now'));
    if (this.served.size + this.deps.ownLoad() >= CAMERA_LIMITS.maxStreams) return this.refuse(from, msg.stream, new OsmoseError('busy', 'this device is running as many cameras as it can'));
    const entry: Served = { peerId: from, stream: msg.stream, lastSeq: -1, busy: true };
    this.served.set(key, entry);
    this.deps.changed();
    // The models open before the camera is told to send: a cold start (seconds) must not count
    // against the camera's patience with a silent server.
    try {
      await this.deps.engine.warm(await this.deps.recognition());
    } catch (err) {
      if (this.served.get(key) === entry) this.drop(key);
      return this.refuse(from, msg.stream, err instanceof OsmoseError ? err : new OsmoseError('model-unavailable', String((err as Error)?.message ?? err).slice(0, 200)));
    }
    if (this.served.get(key) !== entry) return;
    entry.busy = false;
    this.deps.send(from, { op: 'opened', stream: msg.stream });
  }

  /** One frame from a served camera (already decoded from the mesh frame). */
  async frame(from: string, f: CameraFrame): Promise<void> {
    const s = this.served.get(`${from}:${f.stream}`);
    // Frames for a stream we do not run (closed, refused) or out of order are dropped.
    if (!s || f.seq <= s.lastSeq) return;
    s.lastSeq = f.seq;
    const dropped = (err: OsmoseError) => this.deps.send(from, { op: 'dropped', stream: f.stream, seq: f.seq, error: err.toWire() });
    // The camera sends one frame at a time; a second while one runs is dropped, not queued.
    if (s.busy) return dropped(new OsmoseError('busy', 'the previous frame is still being processed'));
    s.busy = true;
    try {
      const frame = await this.deps.codec.decode(f.jpeg);
      const recognise = f.recognise && (await this.deps.recognition());
      const r = await this.deps.engine.detect(frame, recognise);
      if (this.served.get(`${from}:${f.stream}`) !== s) return;
      this.deps.send(from, { op: 'result', stream: f.stream, seq: f.seq, faces: r.faces.slice(0, CAMERA_LIMITS.maxFaces), ms: Math.min(600_000, r.ms) });
    } catch (err) {
      dropped(err instanceof OsmoseError ? err : new OsmoseError('inference-failed', String((err as Error)?.message ?? err).slice(0, 200)));
    } finally {
      s.busy = false;
    }
  }

  peerGone(peerId: string): void {
    for (const [key, s] of this.served) if (s.peerId === peerId) this.drop(key);
  }

  stopAll(): void {
    for (const [key, s] of [...this.served]) {
      this.drop(key);
      this.refuse(s.peerId, s.stream, new OsmoseError('busy', 'this device stopped offering its compute'));
    }
  }

  private refuse(to: string, stream: number, err: OsmoseError): void {
    this.deps.send(to, { op: 'refused', stream, error: err.toWire() });
  }

  private drop(key: string): void {
    if (this.served.delete(key)) this.deps.changed();
  }
}
