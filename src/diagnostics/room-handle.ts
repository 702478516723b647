/**
 * Diagnostics: `window.osmose`, the app as plain data for tests and benchmarks, and the one write
 * they need (`post`, a message in the room's timeline).
 */
import type { RoomApp } from '../app/room-app.svelte.ts';

export interface RoomHandle {
  /** `count` round trips to one peer over its data channel, in ms. */
  pingPeer(peerId: string, count: number): Promise<number[]>;
  members(): unknown[];
  hub(): string;
  memory(): { saved: boolean; messages: string[]; notes: { id: string; title: string; text: string }[]; board: number; retentionDays: number } | null;
  post(text: string): void;
  readonly deviceId: string;
  voice(): unknown;
  /** One utterance transcribed on a room device over the mesh (the command path): its text and the wall time here. */
  sttOn(server: string, samples: number[], mode: 'command' | 'free'): Promise<{ text: string; ms: number }>;
}

export function roomHandle(app: RoomApp): RoomHandle {
  return {
    pingPeer: async (peerId, count) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        if (!app.mesh) break;
        out.push(await app.mesh.roundTrip(peerId));
      }
      return out;
    },
    members: () => app.members.map((m) => ({ ...m })),
    hub: () => app.hub,
    memory: () => {
      const m = app.memory;
      if (!m) return null;
      return {
        saved: m.saved,
        messages: m.timeline.map((t) => t.text),
        notes: m.notes.map((n) => ({ id: n.id, title: n.title, text: m.noteBody(n.id)?.toString() ?? '' })),
        board: m.board.length,
        retentionDays: m.retentionDays,
      };
    },
    post: (text) => app.memory?.post(text),
    get deviceId() {
      return app.deviceId;
    },
    // This device's voice service: its state and recent offload round trips.
    voice: () => {
      const v = app.voice;
      if (!v) return null;
      return { mic: v.mic, runningOn: v.runningOn, live: v.pipelineLive, steps: v.steps, dropped: v.dropped, offloadRtts: [...v.offloadRtts], localRtts: [...v.localRtts], serving: [...v.serving] };
    },
    sttOn: async (server, samples, mode) => {
      if (!app.voice) throw new Error('no voice service');
      const t0 = performance.now();
      const r = await app.voice.offload.transcribe(server, Float32Array.from(samples), mode, 60_000);
      return { text: r.text, ms: performance.now() - t0 };
    },
  };
}
