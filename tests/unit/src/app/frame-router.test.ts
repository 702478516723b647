/** Binary frames from a peer go to their feature by their first byte (protocol/frame-kinds.ts). */
import { describe, expect, it, vi } from 'vitest';
import { routeFrame } from '../../../../src/app/frame-router.ts';
import { FRAME_KIND, MEMORY_FRAME_KINDS, frameFeature } from '../../../../protocol/frame-kinds.ts';
import { FRAME, encodeSyncFrame } from '../../../../protocol/sync-frames.ts';
import { AUDIO_FRAME_KIND, encodeAudioFrame } from '../../../../protocol/voice.ts';
import { encodeCameraFrame } from '../../../../protocol/camera.ts';

describe('frame kinds and routing', () => {
  it('one registry: every kind is distinct, and the memory and voice codecs use its bytes', () => {
    const values = Object.values(FRAME_KIND);
    expect(new Set(values).size).toBe(values.length);
    expect(Object.values(FRAME).sort()).toEqual([...MEMORY_FRAME_KINDS].sort());
    expect(AUDIO_FRAME_KIND).toBe(FRAME_KIND.audio);
    expect(encodeSyncFrame(FRAME.sync, 0, new Uint8Array(1))[0]).toBe(FRAME_KIND.sync);
    expect(encodeAudioFrame(1, 1, new Float32Array(4))[0]).toBe(FRAME_KIND.audio);
    expect(encodeCameraFrame({ stream: 1, seq: 1, recognise: false, jpeg: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0) })[0]).toBe(FRAME_KIND.camera);
  });

  it('memory frames to the memory, audio to the voice service, camera frames to the camera service, anything else nowhere', () => {
    const to = { memory: vi.fn(), voice: vi.fn(), vision: vi.fn() };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    routeFrame('dpeer', encodeSyncFrame(FRAME.awareness, 0, new Uint8Array(2)), to);
    routeFrame('dpeer', encodeAudioFrame(1, 1, new Float32Array(4)), to);
    routeFrame('dpeer', encodeCameraFrame({ stream: 1, seq: 1, recognise: true, jpeg: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0) }), to);
    routeFrame('dpeer', Uint8Array.of(0x99, 1), to);
    routeFrame('dpeer', new Uint8Array(0), to);
    expect(to.memory).toHaveBeenCalledTimes(1);
    expect(to.voice).toHaveBeenCalledTimes(1);
    expect(to.vision).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(frameFeature(Uint8Array.of(FRAME_KIND.fragment))).toBe('memory');
    warn.mockRestore();
  });
});
