/** Camera frames on the mesh, their control messages, and what a device says of its camera. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CAMERA_LIMITS, CameraControl, VisionEvent, decodeCameraFrame, encodeCameraFrame } from '../../../protocol/camera.ts';
import { MeshMessage } from '../../../protocol/mesh.ts';
import { Profile, VisionPresence } from '../../../protocol/common.ts';
import { FRAME_KIND, frameFeature } from '../../../protocol/frame-kinds.ts';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';

const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9);

describe('camera frames', () => {
  it('round-trips a frame and routes it to the camera service', () => {
    const bytes = encodeCameraFrame({ stream: 0xffff_ffff, seq: 12345, recognise: true, jpeg: JPEG });
    expect(bytes[0]).toBe(FRAME_KIND.camera);
    expect(frameFeature(bytes)).toBe('vision');
    const d = decodeCameraFrame(bytes);
    expect(d.ok && d.frame).toMatchObject({ stream: 0xffff_ffff, seq: 12345, recognise: true });
    expect(d.ok && [...d.frame.jpeg]).toEqual([...JPEG]);
  });

  it('refuses what is not a camera frame, not a JPEG, too large or truncated, without throwing', () => {
    const codeOf = (b: Uint8Array) => {
      const d = decodeCameraFrame(b);
      return d.ok ? 'ok' : d.error.code;
    };
    expect(codeOf(Uint8Array.of(FRAME_KIND.audio, 1, 1, 0, 0xff, 0xd8, 0xff, 0))).toBe('unknown-type');
    expect(codeOf(encodeCameraFrame({ stream: 1, seq: 1, recognise: false, jpeg: Uint8Array.of(0x89, 0x50, 0x4e, 0x47) }))).toBe('bad-request');
    expect(codeOf(new Uint8Array(CAMERA_LIMITS.frameBytes + 1).fill(FRAME_KIND.camera, 0, 1))).toBe('too-large');
    expect(codeOf(Uint8Array.of(FRAME_KIND.camera, 0x80))).toBe('bad-request');
    const flags = encodeCameraFrame({ stream: 1, seq: 1, recognise: false, jpeg: JPEG });
    flags[3] = 7;
    expect(codeOf(flags)).toBe('bad-request');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void decodeCameraFrame(Uint8Array.of(FRAME_KIND.camera, ...b))));
  });

  it('control messages are validated and ride in a mesh `camera` message', () => {
    const result = { op: 'result', stream: 1, seq: 2, faces: [{ score: 0.9, match: { id: 'abcdefgh12', distance: 0.41 } }, { score: 0.5, match: null }, { score: 0.4 }], ms: 80 };
    expect(CameraControl.safeParse(result).success).toBe(true);
    expect(CameraControl.safeParse({ ...result, faces: Array.from({ length: 33 }, () => ({ score: 0.5 })) }).success).toBe(false);
    expect(CameraControl.safeParse({ op: 'open', stream: -1 }).success).toBe(false);
    expect(MeshMessage.safeParse({ v: PROTOCOL_VERSION, t: 'camera', msg: { op: 'open', stream: 3 } }).success).toBe(true);
  });
});

describe('what a device says of its camera', () => {
  const vision = { camera: 'live', spot: 'lectern', inView: 3, recognised: [{ id: 'abcdefgh12', name: 'Anil' }], recognises: true, serving: false, load: 1 } as const;

  it('a spot is a short name without control characters; counts are bounded', () => {
    expect(VisionPresence.safeParse(vision).success).toBe(true);
    expect(VisionPresence.safeParse({ ...vision, spot: 'x'.repeat(41) }).success).toBe(false);
    expect(VisionPresence.safeParse({ ...vision, spot: 'lec\nturn' }).success).toBe(false);
    expect(VisionPresence.safeParse({ ...vision, inView: 65 }).success).toBe(false);
    expect(VisionPresence.safeParse({ ...vision, recognised: Array.from({ length: 17 }, (_, i) => ({ id: `person-${i}xx`, name: 'P' })) }).success).toBe(false);
  });

  it('travels in the profile (the hub keeps it for /display)', () => {
    const caps = { webgpu: { available: false }, camera: true, microphone: true, cores: 2, memoryGb: null, memoryClass: null, battery: null, secureContext: true, app: '0.1.0', protocol: PROTOCOL_VERSION };
    const p = Profile.parse({ name: 'Laptop', caps, visibility: 'visible', visibilitySince: 1, vision });
    expect(p.vision).toEqual(vision);
  });

  it('vision events name the camera, its spot and what it saw', () => {
    const e = { id: 'abcdefgh12', kind: 'more-than-devices', camera: 'd' + 'a'.repeat(32), cameraName: 'Laptop', spot: 'table', processedBy: 'd' + 'b'.repeat(32), inView: 4, devices: 2, at: 1 };
    expect(VisionEvent.safeParse(e).success).toBe(true);
    expect(VisionEvent.safeParse({ ...e, kind: 'recognised' }).success).toBe(false);
  });
});
