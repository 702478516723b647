/**
 * Diagnostics: `window.osmoseVision`, the camera service as plain data, the face templates this
 * device can open (tests look for their numbers in the hub's storage), and frames run through
 * recognition as the camera runs it (templates this device may use, matched in the worker).
 */
import type { RoomApp } from '../app/room-app.svelte.ts';
import type { InferenceRuntime } from '../inference/runtime.ts';
import { readFaceTemplates } from '../../protocol/face-templates.ts';

type WireFrame = { width: number; height: number; data: ArrayLike<number> };

export function visionHandle(app: RoomApp, inference: () => Promise<InferenceRuntime>) {
  return {
    state: () => {
      const v = app.vision;
      if (!v) return null;
      return {
        camera: v.camera,
        frames: v.frames,
        inView: v.view.inView,
        recognised: [...v.view.recognised],
        runningOn: v.runningOn,
        live: v.pipelineLive,
        serving: [...v.serving],
        offloadRtts: [...v.offloadRtts],
        localRtts: [...v.localRtts],
        presence: v.presence(),
        photoNoteTimes: [...(app.features?.photoNotes.times ?? [])],
      };
    },
    /** The templates in the room document, as stored (sealed). */
    storedTemplates: () => (app.roomVision ? readFaceTemplates(app.roomVision.doc) : []),
    openTemplates: () => (app.roomVision?.usable() ?? []).map((t) => ({ id: t.id, descriptors: t.descriptors.map((d) => Array.from(d)) })),
    matchFaces: async (frames: WireFrame[]) => {
      const rt = await inference();
      await rt.faces.setTemplates(app.roomVision?.usable() ?? []);
      const out: { score: number; box: { x: number; y: number; width: number; height: number }; match: { id: string; distance: number } | null }[][] = [];
      for (const f of frames) {
        const r = await rt.faces.detect({ width: f.width, height: f.height, data: Uint8ClampedArray.from(f.data) }, { match: true });
        out.push(r.faces.map((x) => ({ score: x.score, box: x.box, match: x.match ?? null })));
      }
      return out;
    },
  };
}
