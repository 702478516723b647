/**
 * The composition root (src/app/) in Node, against a real hub in this process: Node's fetch and
 * WebSocket, IndexedDB from fake-indexeddb (one database per device), and an in-memory PeerJS for
 * the mesh. What a person does (open a join link, post, rename, leave) and what the wiring must
 * do with it: join, run the room channel and the mesh, open the room's memory, reach the hub's
 * replica and the other device, refuse a wrong secret, and leave no timer behind.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';
import { joinFragment } from '../../../../protocol/join-link.ts';
import { readTimeline } from '../../../../protocol/room-doc.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import type { AppDeps, PageAddress } from '../../../../src/app/deps.ts';
import type { RoomApp } from '../../../../src/app/room-app.svelte.ts';
import type { LifecycleHandlers } from '../../../../src/app/lifecycle.ts';
import { mainThreadHasher } from '../../../../src/files/hash-worker.ts';
import { CAPS } from '../../fixtures.ts';
import { FakeNetwork } from '../../support/fake-peerjs.ts';
import { nodeSockets, testHub, type TestHub } from '../../support/test-hub.ts';
import { MemoryChunkStore } from '../files/support.ts';
import { waitFor } from '../../support/wait.ts';

let t: TestHub;
beforeAll(async () => (t = await testHub()));
afterAll(() => t.close());

interface Device {
  app: RoomApp;
  page: PageAddress & { fragment: string };
  lifecycle: LifecycleHandlers | null;
}

/** A device: its own IndexedDB and its own copy of the app's modules (as a separate browser is). */
async function device(fragment: string, net = new FakeNetwork(), fetchFn: typeof fetch = fetch): Promise<Device> {
  globalThis.indexedDB = new IDBFactory();
  vi.resetModules();
  const { RoomApp } = await import('../../../../src/app/room-app.svelte.ts');
  const d: Device = { app: null!, lifecycle: null, page: null! };
  d.page = {
    origin: t.origin,
    hostname: '127.0.0.1',
    fragment,
    hash: () => d.page.fragment,
    clearFragment: () => void (d.page.fragment = ''),
  };
  const deps: AppDeps = {
    page: d.page,
    device: { capabilities: async () => CAPS, unknownCapabilities: () => CAPS, watchBattery: () => undefined, visibility: () => 'visible', defaultName: (id) => `Device ${id.slice(1, 5)}` },
    fetch: fetchFn,
    openSocket: nodeSockets,
    createPeer: net.factory,
    setIceServers: () => undefined,
    listenToLifecycle: (h) => ((d.lifecycle = h), () => void (d.lifecycle = null)),
    inference: () => Promise.reject(new OsmoseError('model-unavailable', 'no inference here')),
    openMicrophone: () => Promise.reject(new OsmoseError('mic-unavailable', 'no microphone here')),
    chunkStore: new MemoryChunkStore(),
    hasher: mainThreadHasher,
  };
  d.app = new RoomApp(deps);
  await d.app.boot();
  return d;
}

const link = () => '#' + joinFragment(t.ticket()).replace(/^#/, '');
const settle = () => waitFor(() => flushSync());

describe('RoomApp', () => {
  it('opens a join link: the secret leaves the address bar, the device joins, the room channel and the memory run', async () => {
    const ada = await device(link());
    const app = ada.app;
    expect(ada.page.fragment).toBe('');
    expect(app.phase).toBe('room');
    await waitFor(() => expect(app.hub).toBe('online'));
    expect(app.room?.name).toBe('Test room');
    expect(app.shareUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/join#r=r[0-9a-f]+&s=/);
    await waitFor(() => expect(app.memory?.loaded).toBe(true));
    app.memory!.post('hello hub');
    await waitFor(() => expect(readTimeline(t.hub.memory.doc).map((m) => m.text)).toContain('hello hub'));
    await waitFor(() => expect(app.memory!.saved).toBe(true));
    await app.leave();
    expect(app.phase).toBe('no-room');
    expect(app.memory).toBeNull();
    await app.dispose();
  });

  it('two devices see each other directly over the mesh and share the room memory', async () => {
    const net = new FakeNetwork();
    const ada = await device(link(), net);
    const bea = await device(link(), net);
    await bea.app.rename('Bea');
    await waitFor(() => {
      settle();
      expect(ada.app.members.map((m) => [m.name, m.direct, m.status])).toEqual([['Bea', true, 'present']]);
    });
    await waitFor(() => expect(ada.app.memory?.loaded && bea.app.memory?.loaded).toBe(true));
    bea.app.memory!.post('from Bea');
    await waitFor(() => expect(ada.app.memory!.timeline.map((m) => m.text)).toContain('from Bea'));
    // Pagehide: both links say bye at once, the other device sees it go.
    bea.lifecycle!.leaving();
    await waitFor(() => {
      settle();
      expect(ada.app.members).toEqual([]);
    });
    await Promise.all([ada.app.dispose(), bea.app.dispose()]);
  });

  it('a link with the wrong secret is refused after one proof, and a nudge does not try again', async () => {
    const joins: string[] = [];
    const counting: typeof fetch = (input, init) => (String(input).endsWith('/api/join') && joins.push(String(input)), fetch(input, init));
    const wrong = '#' + joinFragment({ roomId: t.ticket().roomId, secret: 'A'.repeat(43) }).replace(/^#/, '');
    const mallory = await device(wrong, new FakeNetwork(), counting);
    await waitFor(() => expect(mallory.app.phase).toBe('refused'));
    expect(mallory.app.refusal?.code).toBe('wrong-secret');
    expect(mallory.app.hub).not.toBe('online');
    // A retry would start its request synchronously (network back, page visible): none does.
    mallory.lifecycle!.nudge();
    mallory.lifecycle!.restored();
    expect(joins).toHaveLength(1);
    await mallory.app.dispose();
  });

  it('disposing the app leaves no interval running (clock, heartbeats, polls, retention)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const ada = await device(link());
      await waitFor(() => expect(ada.app.hub).toBe('online'));
      await waitFor(() => expect(ada.app.memory?.loaded).toBe(true));
      expect(vi.getTimerCount()).toBeGreaterThan(3);
      await ada.app.dispose();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
