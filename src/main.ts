/** The app's entry: mount the UI, start the room, register the service worker. */
import './mesh/ice-guard.ts'; // first: before any module can create an RTCPeerConnection
import { mount } from 'svelte';
import App from './App.svelte';
import { RoomState } from './app/room-app.svelte.ts';
import { registerServiceWorker } from './platform/service-worker.ts';
import { installInferenceDebug } from './diagnostics/inference-handle.ts';
import './app.css';

const room = new RoomState();
mount(App, { target: document.getElementById('app')!, props: { room } });
void room.boot();
registerServiceWorker();
// The inference runtime's diagnostics handle; loads nothing until first used.
installInferenceDebug({ allowFallbackAdapter: new URLSearchParams(location.search).has('allow-fallback-adapter') });

// A small handle for diagnostics and benchmarks (same-origin scripts only).
(window as unknown as { osmose: unknown }).osmose = {
  pingPeer: (peerId: string, count: number) => room.pingPeer(peerId, count),
  members: () => room.members.map((m) => ({ ...m })),
  hub: () => room.hub,
  /** The room's memory as plain data (tests, benchmarks). */
  memory: () => {
    const m = room.memory;
    if (!m) return null;
    return {
      saved: m.saved,
      messages: m.timeline.map((t) => t.text),
      notes: m.notes.map((n) => ({ id: n.id, title: n.title, text: m.noteBody(n.id)?.toString() ?? '' })),
      board: m.board.length,
      retentionDays: m.retentionDays,
    };
  },
  post: (text: string) => room.memory?.post(text),
  get deviceId() {
    return room.deviceId;
  },
  /** This device's voice service (tests, benchmarks): state and recent offload round trips. */
  voice: () => {
    const v = room.voice;
    if (!v) return null;
    return { mic: v.mic, runningOn: v.runningOn, live: v.pipelineLive, steps: v.steps, dropped: v.dropped, offloadRtts: [...v.offloadRtts], localRtts: [...v.localRtts], serving: [...v.serving] };
  },
};
