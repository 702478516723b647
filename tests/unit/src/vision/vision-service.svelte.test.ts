/**
 * The camera service on two devices wired by an in-memory mesh, with a scripted camera and engine:
 * frames paced with one in flight, people in view in presence, room events recorded, a phone's
 * frames run by the room device that offers its compute (and only by it), results back, and the
 * phone left without a server when that device goes.
 */
import { describe, expect, it, vi } from 'vitest';
import { decodeCameraFrame, type CameraControl, type ServedFace } from '../../../../protocol/camera.ts';
import { newDoc, readVisionEvents } from '../../../../protocol/room-doc.ts';
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../../../protocol/crypto.ts';
import { newKeyAgreementPair } from '../../../../protocol/sealed.ts';
import type { VisionPresence } from '../../../../protocol/common.ts';
import { VisionService } from '../../../../src/vision/vision-service.svelte.ts';
import { RoomVisionState } from '../../../../src/vision/room-vision.svelte.ts';
import type { FaceEngine, RgbaFrame } from '../../../../src/vision/engine.ts';
import type { FrameCodec } from '../../../../src/vision/frame-codec.ts';
import { waitFor } from '../../support/wait.ts';

/** A camera whose picture holds `faces` people (the count rides in the first pixel). */
function camera(faces: () => number) {
  return async () => ({ stream: null, grab: (): RgbaFrame => ({ width: 4, height: 3, data: Uint8ClampedArray.of(faces(), ...new Array(47).fill(0)) }), close: vi.fn() });
}

/** An engine that sees the faces the first pixel says, and records how many frames ran at once. */
function engine(name: string, log: string[]) {
  let running = 0;
  const e: FaceEngine & { maxConcurrent: number; hold: Promise<void> | null } = {
    maxConcurrent: 0,
    /** While set, frames wait on it (a frame still running). */
    hold: null,
    async detect(frame, recognise) {
      running++;
      e.maxConcurrent = Math.max(e.maxConcurrent, running);
      log.push(name);
      if (e.hold) await e.hold;
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { faces: Array.from({ length: frame.data[0]! }, (): ServedFace => ({ score: 0.9, ...(recognise ? { match: null } : {}) })), ms: 5 };
    },
    setTemplates: async () => undefined,
    enrol: async () => [],
    warm: async () => undefined,
  };
  return e;
}

/** "JPEG": FF D8 FF, then the first pixel. */
const codec: FrameCodec = {
  encode: async (f) => Uint8Array.of(0xff, 0xd8, 0xff, f.data[0]!),
  decode: async (j) => ({ width: 4, height: 3, data: Uint8ClampedArray.of(j[3]!, ...new Array(47).fill(0)) }),
};

function identity() {
  const kp = newDeviceKeyPair();
  return { deviceId: deviceIdFromPublicKey(kp.publicKey), publicKey: b64uEncode(kp.publicKey), secretKey: kp.secretKey, kx: newKeyAgreementPair() };
}

interface Node {
  id: string;
  svc: VisionService;
  engine: ReturnType<typeof engine>;
  room: RoomVisionState;
  present: boolean;
  frames: string[];
}

/** A gate: frames wait until `open()`. */
function gate() {
  let open: () => void = () => undefined;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

function mesh(spec: { name: string; faces?: () => number; where?: 'here' | 'room'; offer: boolean; onBattery?: boolean }[]) {
  const log: string[] = [];
  const nodes: Node[] = [];
  const byId = (id: string) => nodes.find((n) => n.id === id && n.present);
  for (const s of spec) {
    const me = identity();
    const doc = newDoc();
    const room = new RoomVisionState(doc, { ...me, name: () => s.name });
    const eng = engine(s.name, log);
    const node: Node = { id: me.deviceId, engine: eng, room, present: true, frames: [], svc: null as unknown as VisionService };
    node.svc = new VisionService({
      deviceId: me.deviceId,
      engine: eng,
      codec,
      openCamera: camera(s.faces ?? (() => 0)),
      send: (to, msg: CameraControl) => {
        const peer = byId(to);
        if (!peer) return false;
        queueMicrotask(() => peer.svc.control(me.deviceId, structuredClone(msg)));
        return true;
      },
      sendFrame: (to, frame) => {
        const peer = byId(to);
        const d = decodeCameraFrame(frame);
        if (d.ok) peer?.frames.push(s.name);
        if (peer) queueMicrotask(() => peer.svc.frame(me.deviceId, frame));
      },
      candidates: () => nodes.filter((n) => n.present && n.id !== me.deviceId).map((n) => ({ peerId: n.id, vision: n.svc.presence() as VisionPresence, visible: true })),
      recognisers: () => [],
      room: () => room,
      devicesPresent: () => nodes.filter((n) => n.present).length,
      presenceChanged: () => undefined,
      onBattery: () => s.onBattery ?? false,
      offerCompute: () => s.offer,
    });
    nodes.push(node);
  }
  return { nodes, log };
}

describe('the camera service', () => {
  it('counts the people in view a few times a second, one frame at a time, and records someone coming in view', async () => {
    let faces = 0;
    const { nodes } = mesh([{ name: 'Laptop', faces: () => faces, offer: false }]);
    const [laptop] = nodes;
    await laptop!.svc.start();
    await laptop!.svc.update({ camera: true, spot: 'lectern', where: 'here' });
    await waitFor(() => expect(laptop!.svc.frames).toBeGreaterThanOrEqual(3));
    expect(laptop!.svc.presence()).toMatchObject({ camera: 'live', spot: 'lectern', inView: 0 });
    faces = 3;
    await waitFor(() => expect(laptop!.svc.presence().inView).toBe(3));
    // Two people in view, one device present: both events.
    expect(readVisionEvents(laptop!.room.doc).map((e) => e.kind).sort()).toEqual(['in-view', 'more-than-devices']);
    expect(laptop!.engine.maxConcurrent).toBe(1);
    await laptop!.svc.update({ camera: false });
    expect(laptop!.svc.presence()).toMatchObject({ camera: 'off', inView: null });
  });

  it("a phone's frames go only to the room device that offers its compute; the counts come back; it has none once that device leaves", async () => {
    const { nodes } = mesh([
      { name: 'Phone', faces: () => 2, offer: false, onBattery: true },
      { name: 'Laptop', offer: true },
      { name: 'Tablet', offer: false },
    ]);
    const [phone, laptop, tablet] = nodes;
    for (const n of nodes) await n.svc.start();
    await phone!.svc.update({ camera: true, spot: 'table', where: 'room' });
    await waitFor(() => expect(phone!.svc.presence().inView).toBe(2));
    expect(phone!.svc.runningOn).toBe(laptop!.id);
    expect(laptop!.svc.serving).toEqual([phone!.id]);
    expect(laptop!.frames.length).toBeGreaterThan(0);
    expect(tablet!.frames).toEqual([]);
    expect(phone!.engine.maxConcurrent).toBe(0);
    expect(phone!.svc.offloadRtts.length).toBeGreaterThan(0);
    // The laptop leaves: nobody else offers, so the phone says so.
    laptop!.present = false;
    phone!.svc.peerGone(laptop!.id);
    expect(phone!.svc.runningOn).toBeNull();
    expect(phone!.svc.pipelineError).toMatch(/No device/);
  });

  it('counts again after the camera is turned off and on while a frame was still running', async () => {
    const { nodes, log } = mesh([{ name: 'Laptop', faces: () => 1, offer: false }]);
    const [laptop] = nodes;
    await laptop!.svc.start();
    const g = gate();
    laptop!.engine.hold = g.p;
    await laptop!.svc.update({ camera: true, spot: 'lectern', where: 'here' });
    await waitFor(() => expect(log.length).toBe(1));
    await laptop!.svc.update({ camera: false });
    await laptop!.svc.update({ camera: true });
    laptop!.engine.hold = null;
    g.open();
    await waitFor(() => expect(laptop!.svc.presence().inView).toBe(1));
  });

  it('moves between here and a room device while a frame is still running, and keeps counting', async () => {
    const { nodes } = mesh([
      { name: 'Phone', faces: () => 2, offer: false },
      { name: 'Laptop', offer: true },
    ]);
    const [phone, laptop] = nodes;
    for (const n of nodes) await n.svc.start();
    // Here → the room device, with a frame running here.
    const g = gate();
    phone!.engine.hold = g.p;
    await phone!.svc.update({ camera: true, spot: 'table', where: 'here' });
    await waitFor(() => expect(phone!.engine.maxConcurrent).toBe(1));
    await phone!.svc.update({ where: 'room' });
    phone!.engine.hold = null;
    g.open();
    await waitFor(() => expect(phone!.svc.offloadRtts.length).toBeGreaterThan(0));
    // The room device → here, with a frame running on the room device (its answer never comes).
    const h = gate();
    laptop!.engine.hold = h.p;
    const running = laptop!.frames.length;
    await waitFor(() => expect(laptop!.frames.length).toBeGreaterThan(running));
    const before = phone!.svc.localRtts.length;
    await phone!.svc.update({ where: 'here' });
    await waitFor(() => expect(phone!.svc.localRtts.length).toBeGreaterThan(before + 1));
    laptop!.engine.hold = null;
    h.open();
  });
});
