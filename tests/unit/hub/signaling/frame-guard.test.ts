import { describe, expect, it } from 'vitest';
import { decodeFrameRaw } from '../../../../hub/signaling/frame-guard.ts';
import { LIMITS } from '../../../../protocol/limits.ts';
import { DEVICE_B } from '../../fixtures.ts';

describe('decodeFrameRaw', () => {
  it('passes a heartbeat through', () => {
    expect(decodeFrameRaw('{"type":"HEARTBEAT"}')).toBe('{"type":"HEARTBEAT"}');
  });

  it('re-serialises an offer with only the known fields', () => {
    const frame = { type: 'OFFER', dst: DEVICE_B, src: 'spoofed', payload: { sdp: 'v=0', type: 'offer' }, extra: 'x'.repeat(50) };
    const out = decodeFrameRaw(Buffer.from(JSON.stringify(frame)));
    expect(out).not.toBeNull();
    expect(JSON.parse(out!)).toEqual({ type: 'OFFER', dst: DEVICE_B, payload: { sdp: 'v=0', type: 'offer' } });
  });

  it('accepts LEAVE with or without a destination', () => {
    expect(decodeFrameRaw('{"type":"LEAVE"}')).toBe('{"type":"LEAVE"}');
    expect(JSON.parse(decodeFrameRaw(JSON.stringify({ type: 'LEAVE', dst: DEVICE_B }))!)).toEqual({ type: 'LEAVE', dst: DEVICE_B });
  });

  it.each([
    ['not JSON', '{"type":'],
    ['an unknown type', '{"type":"OPEN"}'],
    ['a destination that is not a device id', JSON.stringify({ type: 'ANSWER', dst: 'server' })],
    ['a candidate without destination', JSON.stringify({ type: 'CANDIDATE', payload: {} })],
    ['a payload that is not an object', JSON.stringify({ type: 'OFFER', dst: DEVICE_B, payload: 'sdp' })],
    ['an array', '[{"type":"HEARTBEAT"}]'],
  ])('drops %s', (_what, frame) => {
    expect(decodeFrameRaw(frame)).toBeNull();
  });

  it('drops a frame over the signaling limit, counting bytes not characters', () => {
    const pad = (n: number, ch: string) => JSON.stringify({ type: 'OFFER', dst: DEVICE_B, payload: { sdp: ch.repeat(n) } });
    const overhead = pad(0, 'a').length;
    expect(decodeFrameRaw(pad(LIMITS.signalingFrameBytes - overhead, 'a'))).not.toBeNull();
    expect(decodeFrameRaw(pad(LIMITS.signalingFrameBytes - overhead + 1, 'a'))).toBeNull();
    // Half as many two-byte characters fill the same number of bytes.
    expect(decodeFrameRaw(pad(Math.ceil((LIMITS.signalingFrameBytes - overhead + 1) / 2), 'é'))).toBeNull();
  });

  // JSON.parse copes with a deeply nested payload that fits in 64 KiB, but re-serialising it
  // overflows the stack: the guard drops it as a bad frame rather than throwing out of the
  // socket's 'message' handler (signaling/server.ts).
  it('drops a deeply nested payload instead of throwing', () => {
    const depth = 20_000;
    const frame = `{"type":"OFFER","dst":"${DEVICE_B}","payload":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    expect(frame.length).toBeLessThan(LIMITS.signalingFrameBytes);
    expect(decodeFrameRaw(frame)).toBeNull();
  });
});
