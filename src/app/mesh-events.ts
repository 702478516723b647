/**
 * What the mesh brings (mesh/mesh.ts), and where it goes in the app: one line per event, so that
 * the wiring of the direct links to other devices reads in one place.
 */
import type { MeshEvents } from '../mesh/mesh.ts';
import type { RoomApp } from './room-app.svelte.ts';
import { routeFrame } from './frame-router.ts';

/** Set when this device first has an authenticated direct peer (bench/join.ts reads it). */
export const FIRST_PEER_MARK = 'osmose:first-peer';

export function meshEvents(app: RoomApp): MeshEvents {
  return {
    signaling: (s) => (app.signaling = s),
    change: () => {
      app.meshChanged();
      app.voice?.peersChanged();
      app.vision?.peersChanged();
      app.scribe?.peersChanged();
      if (typeof performance.mark === 'function' && !performance.getEntriesByName(FIRST_PEER_MARK).length && app.members.some((m) => m.direct)) {
        performance.mark(FIRST_PEER_MARK);
      }
    },
    binary: (from, frame) =>
      routeFrame(from, frame, {
        memory: (f, bytes) => app.memory?.fromPeer(f, bytes),
        voice: (f, bytes) => app.voice?.audio(f, bytes),
        vision: (f, bytes) => app.vision?.frame(f, bytes),
      }),
    voice: (from, msg) => app.voice?.control(from, msg),
    camera: (from, msg) => app.vision?.control(from, msg),
    sealedKey: (from, msg) => app.scribe?.takeKey(from, msg),
    session: (peerId, open) => {
      if (open) app.memory?.peerUp(peerId);
      else app.memory?.peerDown(peerId);
      if (!open) app.voice?.peerGone(peerId);
      if (!open) app.vision?.peerGone(peerId);
      app.files?.peerChanged(peerId, open);
    },
    bulk: (from, label, conn) => {
      if (app.files) app.files.acceptBulk(from, label, conn);
      else conn.close();
    },
  };
}
