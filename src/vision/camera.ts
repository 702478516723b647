/**
 * This device's camera, as small RGBA frames taken when asked (never a stream of them kept
 * anywhere): getUserMedia → a muted <video> → a frame drawn into a canvas at most 320x240 (the
 * camera's aspect kept). Each frame is handed to the faces pipeline and dropped.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { CAMERA } from '../../protocol/camera.ts';
import type { RgbaFrame } from './engine.ts';

/** What the vision service holds of an open camera. */
export interface LiveCamera {
  /** The current picture as an RGBA frame (at most `CAMERA.width` x `CAMERA.height`), or null before the first one. */
  grab(): RgbaFrame | null;
  /** The live stream, for a preview the person sees (enrolment). */
  readonly stream: MediaStream | null;
  close(): void;
}

export type CameraOpener = () => Promise<LiveCamera>;

/** The largest size with the camera's aspect that fits the frame box. */
export function frameSize(videoWidth: number, videoHeight: number, box = { width: CAMERA.width, height: CAMERA.height }): { width: number; height: number } {
  const s = Math.min(1, box.width / videoWidth, box.height / videoHeight);
  return { width: Math.max(1, Math.round(videoWidth * s)), height: Math.max(1, Math.round(videoHeight * s)) };
}

export class Camera implements LiveCamera {
  private canvas: OffscreenCanvas | null = null;

  private constructor(
    readonly stream: MediaStream,
    private readonly video: HTMLVideoElement,
  ) {}

  /** Asks for the camera (the browser may prompt). */
  static async open(): Promise<Camera> {
    if (!navigator.mediaDevices?.getUserMedia) throw new OsmoseError('camera-unavailable', 'this browser gives no camera here (it needs HTTPS)');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 10 } }, audio: false });
    } catch (err) {
      const name = (err as DOMException)?.name;
      if (name === 'NotAllowedError' || name === 'SecurityError') throw new OsmoseError('camera-denied', 'the camera was not allowed: allow it in the browser to turn it on');
      throw new OsmoseError('camera-unavailable', `no camera: ${(err as Error)?.message ?? err}`);
    }
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    try {
      await video.play();
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      throw new OsmoseError('camera-unavailable', `the camera's picture could not start: ${(err as Error)?.message ?? err}`);
    }
    return new Camera(stream, video);
  }

  grab(): RgbaFrame | null {
    const v = this.video;
    if (!v.videoWidth || !v.videoHeight || v.readyState < 2) return null;
    const { width, height } = frameSize(v.videoWidth, v.videoHeight);
    if (!this.canvas || this.canvas.width !== width || this.canvas.height !== height) this.canvas = new OffscreenCanvas(width, height);
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    ctx.drawImage(v, 0, 0, width, height);
    return { width, height, data: ctx.getImageData(0, 0, width, height).data };
  }

  close(): void {
    for (const t of this.stream.getTracks()) t.stop();
    this.video.srcObject = null;
    this.canvas = null;
  }
}
