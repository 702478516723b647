/** The camera service's serving end: who it refuses, what it does with a frame it cannot read, and one frame at a time per camera. */
import { describe, expect, it, vi } from 'vitest';
import { OsmoseError } from '../../../../protocol/errors.ts';
import type { CameraControl } from '../../../../protocol/camera.ts';
import { VisionServer } from '../../../../src/vision/vision-server.ts';
import type { FaceEngine } from '../../../../src/vision/engine.ts';
import { waitFor } from '../../support/wait.ts';

const PHONE = 'd' + '1'.repeat(32);
const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 3);

function server(o: { offering?: boolean; own?: number; decode?: () => Promise<never>; recognition?: boolean; warm?: () => Promise<void> } = {}) {
  const sent: CameraControl[] = [];
  let release: () => void = () => undefined;
  const detect = vi.fn<FaceEngine['detect']>(async (_f, recognise) => {
    await new Promise<void>((r) => (release = r));
    return { faces: [{ score: 0.9, ...(recognise ? { match: null } : {}) }], ms: 3 };
  });
  const s = new VisionServer({
    engine: { detect, setTemplates: async () => undefined, enrol: async () => [], warm: o.warm ?? (async () => undefined) },
    codec: { encode: async () => JPEG, decode: o.decode ?? (async () => ({ width: 4, height: 3, data: new Uint8ClampedArray(48) })) },
    send: (_to, msg) => sent.push(msg),
    offering: () => o.offering ?? true,
    recognition: async () => o.recognition ?? false,
    ownLoad: () => o.own ?? 0,
    changed: () => undefined,
  });
  return { s, sent, detect, release: () => release() };
}

describe('serving a camera', () => {
  it('refuses when the device does not offer its compute, or runs as many cameras as it can', async () => {
    const a = server({ offering: false });
    await a.s.control(PHONE, { op: 'open', stream: 1 });
    expect(a.sent).toMatchObject([{ op: 'refused', stream: 1, error: { code: 'busy' } }]);
    const b = server({ own: 4 });
    await b.s.control(PHONE, { op: 'open', stream: 2 });
    expect(b.sent).toMatchObject([{ op: 'refused', error: { code: 'busy' } }]);
  });

  it('says "opened" only once its models are open, and refuses when they cannot be', async () => {
    let open: () => void = () => undefined;
    const warm = vi.fn(() => new Promise<void>((r) => (open = r)));
    const a = server({ warm });
    const opening = a.s.control(PHONE, { op: 'open', stream: 1 });
    await waitFor(() => expect(warm).toHaveBeenCalled());
    expect(a.sent).toEqual([]);
    open();
    await opening;
    expect(a.sent).toMatchObject([{ op: 'opened', stream: 1 }]);
    const b = server({ warm: () => Promise.reject(new Error('no models here')) });
    await b.s.control(PHONE, { op: 'open', stream: 1 });
    expect(b.sent).toMatchObject([{ op: 'refused', error: { code: 'model-unavailable' } }]);
  });

  it('runs one frame at a time per camera: a second one while the first runs is answered "dropped", not queued', async () => {
    const { s, sent, detect, release } = server();
    await s.control(PHONE, { op: 'open', stream: 1 });
    const first = s.frame(PHONE, { stream: 1, seq: 1, recognise: false, jpeg: JPEG });
    await waitFor(() => expect(detect).toHaveBeenCalledTimes(1));
    await s.frame(PHONE, { stream: 1, seq: 2, recognise: false, jpeg: JPEG });
    expect(sent.at(-1)).toMatchObject({ op: 'dropped', seq: 2, error: { code: 'busy' } });
    release();
    await first;
    expect(sent.at(-1)).toMatchObject({ op: 'result', seq: 1, faces: [{ score: 0.9 }] });
    // An old or repeated frame number is ignored.
    await s.frame(PHONE, { stream: 1, seq: 1, recognise: false, jpeg: JPEG });
    expect(detect).toHaveBeenCalledTimes(1);
  });

  it('matches only when the camera asks and this device recognises; an unreadable frame is answered with its error', async () => {
    const a = server({ recognition: false });
    await a.s.control(PHONE, { op: 'open', stream: 1 });
    const p = a.s.frame(PHONE, { stream: 1, seq: 1, recognise: true, jpeg: JPEG });
    await waitFor(() => expect(a.detect).toHaveBeenCalled());
    a.release();
    await p;
    expect(a.detect.mock.calls[0]![1]).toBe(false);
    const b = server({ decode: () => Promise.reject(new OsmoseError('too-large', 'camera frames are at most 640 px a side')) });
    await b.s.control(PHONE, { op: 'open', stream: 1 });
    await b.s.frame(PHONE, { stream: 1, seq: 1, recognise: false, jpeg: JPEG });
    expect(b.sent.at(-1)).toMatchObject({ op: 'dropped', error: { code: 'too-large' } });
    expect(b.detect).not.toHaveBeenCalled();
  });

  it('frames of a stream it does not run are dropped without a word', async () => {
    const { s, sent, detect } = server();
    await s.frame(PHONE, { stream: 9, seq: 1, recognise: false, jpeg: JPEG });
    expect(sent).toEqual([]);
    expect(detect).not.toHaveBeenCalled();
  });
});
