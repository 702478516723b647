/** A camera run by a room device: which device, and moving on when it goes quiet. */
import { describe, expect, it } from 'vitest';
import type { CameraControl } from '../../../../protocol/camera.ts';
import { VisionClient, type VisionCandidate } from '../../../../src/vision/vision-client.ts';

const A = 'd' + 'a'.repeat(32);
const B = 'd' + 'b'.repeat(32);
const offering = (peerId: string, load = 0): VisionCandidate => ({ peerId, visible: true, vision: { camera: 'off', spot: '', inView: null, recognised: [], recognises: false, serving: true, load } });

function client(candidates: VisionCandidate[]) {
  let t = 0;
  const sent: [string, CameraControl][] = [];
  const frames: string[] = [];
  const c = new VisionClient({
    send: (to, msg) => (sent.push([to, msg]), true),
    sendFrame: (to) => void frames.push(to),
    candidates: () => candidates,
    result: () => undefined,
    dropped: () => undefined,
    state: () => undefined,
    now: () => t,
  });
  return { c, sent, frames, advance: (ms: number) => (t += ms) };
}

describe('a camera run by a room device', () => {
  it('picks the least loaded device that offers its compute, and sends frames only there, one at a time', () => {
    const { c, sent, frames } = client([offering(A, 2), offering(B, 0), { ...offering('d' + 'c'.repeat(32)), visible: false }]);
    c.reconsider();
    expect(c.server).toBe(B);
    const open = sent[0]![1] as { stream: number };
    c.control(B, { op: 'opened', stream: open.stream });
    c.send(Uint8Array.of(0xff, 0xd8, 0xff, 0), false);
    c.send(Uint8Array.of(0xff, 0xd8, 0xff, 0), false);
    expect(frames).toEqual([B]);
    c.control(B, { op: 'result', stream: open.stream, seq: 1, faces: [], ms: 3 });
    expect(c.ready()).toBe(true);
  });

  it('gives up a device that never answers "open" (gone without a goodbye), tells it so, and moves to the next', () => {
    const { c, sent, advance } = client([offering(A), offering(B, 1)]);
    c.reconsider();
    expect(c.server).toBe(A);
    const stream = (sent[0]![1] as { stream: number }).stream;
    advance(14_000); // a server opening its models on a cold start is given time
    expect(c.ready()).toBe(false);
    expect(c.server).toBe(A);
    advance(1500);
    expect(c.ready()).toBe(false);
    expect(c.server).toBe(B);
    expect(sent).toContainEqual([A, { op: 'close', stream }]);
  });

  it('gives up a device that stops answering frames', () => {
    const { c, sent, advance } = client([offering(A), offering(B, 1)]);
    c.reconsider();
    c.control(A, { op: 'opened', stream: (sent[0]![1] as { stream: number }).stream });
    c.send(Uint8Array.of(0xff, 0xd8, 0xff, 0), true);
    advance(6000);
    expect(c.ready()).toBe(false);
    expect(c.server).toBe(B);
  });
});
