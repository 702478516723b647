/**
 * This device's camera run by a room device (shared room compute): picks the device with the
 * room's rule (voice/server-choice.ts, on what devices say of their vision compute), sends one
 * frame at a time as a JPEG and waits for its faces before the next, and moves to another device
 * when its device leaves, refuses, stops offering or goes quiet. Frames go only to the chosen room
 * device, over the mesh's encrypted data channel.
 */
import type { VisionPresence } from '../../protocol/common.ts';
import { encodeCameraFrame, type CameraControl, type ServedFace } from '../../protocol/camera.ts';
import { pickServer } from '../voice/server-choice.ts';

export interface VisionCandidate {
  peerId: string;
  vision: VisionPresence | undefined;
  visible: boolean;
}

export interface VisionClientDeps {
  send(to: string, msg: CameraControl): boolean;
  sendFrame(to: string, frame: Uint8Array): void;
  candidates(): VisionCandidate[];
  /** A frame's faces came back from `server`, `ms` after it was sent (its round trip). */
  result(faces: ServedFace[], server: string, ms: number, recognised: boolean): void;
  /** A frame came back unread (the next one may go). */
  dropped(): void;
  state(server: string | null, live: boolean): void;
  now?(): number;
}

/** A server that refused or went quiet is not asked again for this long. */
const AVOID_MS = 30_000;
/** No answer to a frame for this long: the server is treated as gone. */
const QUIET_MS = 5_000;
/**
 * No "opened" for this long: the server is treated as gone. Longer than a frame's patience: a
 * server opens its face models before it answers, seconds on a cold wasm start.
 */
const OPEN_QUIET_MS = 15_000;

/** The room's rule for voice, on what devices say of their camera compute. */
export function pickVisionServer(candidates: readonly VisionCandidate[], current: string | null, avoid: ReadonlySet<string>): string | null {
  const asVoice = candidates.map((c) => ({ peerId: c.peerId, visible: c.visible, voice: c.vision ? { mic: 'off' as const, serving: c.vision.serving, load: c.vision.load } : undefined }));
  return pickServer(asVoice, current, avoid);
}

export class VisionClient {
  server: string | null = null;
  live = false;
  private stream = 0;
  private seq = 0;
  private inflight: { seq: number; at: number; recognise: boolean } | null = null;
  private avoid = new Map<string, number>();
  private closed = false;
  private saidNone = false;
  private openedAt = 0;
  private readonly now: () => number;

  constructor(private readonly deps: VisionClientDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  reconsider(): void {
    if (this.closed) return;
    const t = this.now();
    for (const [id, until] of this.avoid) if (until <= t) this.avoid.delete(id);
    const next = pickVisionServer(this.deps.candidates(), this.server, new Set(this.avoid.keys()));
    if (next !== this.server) this.switchTo(next);
    else if (!next && !this.saidNone) {
      this.saidNone = true;
      this.deps.state(null, false);
    }
  }

  /**
   * A frame may go now: a live server, nothing in flight. A server that has not answered `open` for
   * OPEN_QUIET_MS, or a frame for QUIET_MS, is given up (and told so, in case it is only slow) (a device that vanished without a goodbye keeps its session
   * open until the mesh's heartbeat closes it, 30 s later).
   */
  ready(): boolean {
    if (this.closed || !this.server) return false;
    if (!this.live) {
      if (this.now() - this.openedAt > OPEN_QUIET_MS) this.giveUp(this.server);
      return false;
    }
    if (this.inflight && this.now() - this.inflight.at > QUIET_MS) {
      this.giveUp(this.server);
      return false;
    }
    return !this.inflight;
  }

  send(jpeg: Uint8Array, recognise: boolean): void {
    if (!this.ready()) return;
    this.seq++;
    this.inflight = { seq: this.seq, at: this.now(), recognise };
    this.deps.sendFrame(this.server!, encodeCameraFrame({ stream: this.stream, seq: this.seq, recognise, jpeg }));
  }

  control(from: string, msg: CameraControl): void {
    if (this.closed || from !== this.server || msg.stream !== this.stream) return;
    switch (msg.op) {
      case 'opened':
        this.live = true;
        this.deps.state(this.server, true);
        return;
      case 'refused':
        return this.giveUp(from);
      case 'result': {
        if (!this.inflight || msg.seq !== this.inflight.seq) return;
        const { at, recognise } = this.inflight;
        this.inflight = null;
        this.deps.result(msg.faces, from, this.now() - at, recognise);
        return;
      }
      case 'dropped':
        if (this.inflight?.seq === msg.seq) {
          this.inflight = null;
          this.deps.dropped();
        }
        return;
      default:
        return;
    }
  }

  peerGone(peerId: string): void {
    if (peerId !== this.server) return;
    this.server = null;
    this.live = false;
    this.inflight = null;
    this.reconsider();
    if (!this.server) this.deps.state(null, false);
  }

  close(): void {
    if (this.server) this.deps.send(this.server, { op: 'close', stream: this.stream });
    this.closed = true;
    this.server = null;
    this.live = false;
    this.inflight = null;
  }

  private giveUp(peerId: string): void {
    this.deps.send(peerId, { op: 'close', stream: this.stream });
    this.avoid.set(peerId, this.now() + AVOID_MS);
    this.server = null;
    this.live = false;
    this.inflight = null;
    this.reconsider();
    if (!this.server) this.deps.state(null, false);
  }

  private switchTo(next: string | null): void {
    this.saidNone = next === null;
    if (this.server) this.deps.send(this.server, { op: 'close', stream: this.stream });
    this.server = next;
    this.live = false;
    this.inflight = null;
    this.deps.state(next, false);
    if (!next) return;
    this.stream = (Math.random() * 0xffff_fffe) >>> 0;
    this.seq = 0;
    this.openedAt = this.now();
    if (!this.deps.send(next, { op: 'open', stream: this.stream })) this.giveUp(next);
  }
}
