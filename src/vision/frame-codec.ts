/**
 * Camera frames over the mesh: a 320x240 RGBA frame is 300 KB, over a data channel's 64 KiB
 * message, so a frame sent to the room device that runs it travels as a JPEG (8-25 KB), encoded and
 * decoded by the browser. The receiving end checks the picture's size before reading a pixel.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { CAMERA_LIMITS } from '../../protocol/camera.ts';
import type { RgbaFrame } from './engine.ts';

export interface FrameCodec {
  encode(frame: RgbaFrame): Promise<Uint8Array>;
  decode(jpeg: Uint8Array): Promise<RgbaFrame>;
}

const QUALITY = 0.8;

export const browserFrameCodec: FrameCodec = {
  async encode(f) {
    const canvas = new OffscreenCanvas(f.width, f.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new OsmoseError('internal', 'no 2D canvas to encode a frame with');
    ctx.putImageData(new ImageData(new Uint8ClampedArray(f.data.buffer as ArrayBuffer, f.data.byteOffset, f.data.byteLength), f.width, f.height), 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: QUALITY });
    return new Uint8Array(await blob.arrayBuffer());
  },
  async decode(jpeg) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }));
    } catch {
      throw new OsmoseError('bad-request', 'a camera frame that is not a readable JPEG');
    }
    try {
      if (bitmap.width > CAMERA_LIMITS.frameSide || bitmap.height > CAMERA_LIMITS.frameSide) throw new OsmoseError('too-large', `camera frames are at most ${CAMERA_LIMITS.frameSide} px a side`);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new OsmoseError('internal', 'no 2D canvas to decode a frame with');
      ctx.drawImage(bitmap, 0, 0);
      return { width: bitmap.width, height: bitmap.height, data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
    } finally {
      bitmap.close();
    }
  },
};
