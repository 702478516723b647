/**
 * The mesh (src/mesh/mesh.ts) with real sessions (mutual proof, real keys) over an in-memory
 * PeerJS (tests/unit/support/fake-peerjs.ts): who dials, the newest channel winning, redialling,
 * stale and dead channels, devices that leave, signaling that comes back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newRoomSecret } from '../../../../protocol/crypto.ts';
import { Mesh, type MeshEvents } from '../../../../src/mesh/mesh.ts';
import type { Me } from '../../../../src/mesh/peer-session.ts';
import { makeMe, profile } from '../../fixtures.ts';
import { FakeNetwork } from '../../support/fake-peerjs.ts';
import { waitFor } from '../../support/wait.ts';

/** Two devices of one room; `small` has the smaller id. */
function twoDevices() {
  const secret = newRoomSecret();
  const [x, y] = [makeMe(secret), makeMe(secret)];
  return x.deviceId < y.deviceId ? { small: x, large: y } : { small: y, large: x };
}

interface Device {
  mesh: Mesh;
  me: Me;
  log: string[];
  tokens: number;
}

function device(net: FakeNetwork, me: Me, name: string): Device {
  const d: Device = { mesh: null!, me, log: [], tokens: 0 };
  const events: MeshEvents = {
    signaling: (s) => d.log.push(`signaling ${s}`),
    change: () => undefined,
    session: (peerId, open) => d.log.push(`${open ? 'open' : 'closed'} ${peerId.slice(0, 6)}`),
  };
  d.mesh = new Mesh(
    { createPeer: net.factory, origin: new URL('https://10.0.0.1:8443'), me, iceServers: [], profile: () => profile(name), token: async () => `token-${++d.tokens}` },
    events,
  );
  return d;
}

const openBoth = async (a: Device, b: Device) =>
  waitFor(() => {
    expect(a.mesh.openPeers()).toEqual([b.me.deviceId]);
    expect(b.mesh.openPeers()).toEqual([a.me.deviceId]);
  });

/** Fake clocks for the mesh's timers; setImmediate (the fake network's delivery) stays real. */
const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

/** Under the fake clock: lets deliveries happen, a little fake time at a time, until `cond`. */
async function until(cond: () => boolean, maxMs = 5_000): Promise<void> {
  for (let t = 0; t < maxMs; t += 10) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(10);
  }
  throw new Error('timed out');
}

afterEach(() => vi.useRealTimers());

async function started(net = new FakeNetwork()) {
  const { small, large } = twoDevices();
  const a = device(net, small, 'Ada');
  const b = device(net, large, 'Bea');
  await Promise.all([a.mesh.start(), b.mesh.start()]);
  await waitFor(() => expect(net.peers.size).toBe(2));
  a.mesh.setDesired([small.deviceId, large.deviceId]);
  b.mesh.setDesired([small.deviceId, large.deviceId]);
  return { net, a, b };
}

describe('Mesh', () => {
  it('the device with the smaller id dials; the other waits; both end up with one authenticated session', async () => {
    const { net, a, b } = await started();
    await openBoth(a, b);
    const dialled = (id: string) => net.created.filter((p) => p.id === id).flatMap((p) => p.dialled);
    expect(dialled(a.me.deviceId).map((c) => c.peer)).toEqual([b.me.deviceId]);
    expect(dialled(b.me.deviceId)).toEqual([]);
    await waitFor(() => expect(a.mesh.profileOf(b.me.deviceId)?.name).toBe('Bea'));
    expect(await a.mesh.roundTrip(b.me.deviceId)).toBeGreaterThanOrEqual(0);
  });

  it('a new channel from a device replaces the one it had (newest wins)', async () => {
    const { net, a, b } = await started();
    await openBoth(a, b);
    const old = net.conn(b.me.deviceId, a.me.deviceId)!;
    // The small device comes back (a reload) while its old channel still looks alive to the other.
    a.mesh.stop(false);
    old.other!.closed = true; // its end is gone without a word
    const again = device(net, a.me, 'Ada again');
    await again.mesh.start();
    again.mesh.setDesired([a.me.deviceId, b.me.deviceId]);
    await waitFor(() => expect(again.mesh.openPeers()).toEqual([b.me.deviceId]));
    expect(old.closed).toBe(true);
    await waitFor(() => expect(b.mesh.openPeers()).toEqual([a.me.deviceId]));
    expect(net.conn(b.me.deviceId, a.me.deviceId)).not.toBe(old);
  });

  it('a dropped channel is redialled with backoff by the device that dials', async () => {
    const { net, a, b } = await started();
    await openBoth(a, b);
    fakeClock();
    net.conn(a.me.deviceId, b.me.deviceId)!.close();
    await waitFor(() => expect(a.mesh.openPeers()).toEqual([]));
    const dials = () => net.created.find((p) => p.id === a.me.deviceId)!.dialled.length;
    expect(dials()).toBe(1);
    await vi.advanceTimersByTimeAsync(300); // first redial is 500 ms ± 25%
    expect(dials()).toBe(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(dials()).toBe(2);
    vi.useRealTimers();
    await openBoth(a, b);
  });

  it('a quiet channel is stale after 12 s and closed after 30 s, then redialled', async () => {
    fakeClock(); // before the meshes start: their heartbeat runs on it
    const net = new FakeNetwork();
    const { small, large } = twoDevices();
    const a = device(net, small, 'Ada');
    const b = device(net, large, 'Bea');
    await Promise.all([a.mesh.start(), b.mesh.start()]);
    await until(() => net.peers.size === 2);
    a.mesh.setDesired([small.deviceId, large.deviceId]);
    b.mesh.setDesired([small.deviceId, large.deviceId]);
    await until(() => a.mesh.openPeers().length === 1 && b.mesh.openPeers().length === 1);
    const ab = net.conn(a.me.deviceId, b.me.deviceId)!;
    ab.blackholed = true;
    ab.other!.blackholed = true;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(a.mesh.staleSince(b.me.deviceId)).toBeNull();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(a.mesh.staleSince(b.me.deviceId)).not.toBeNull();
    expect(ab.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(14_000); // 27 s: the next heartbeat is at 28 s
    expect(ab.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(6_000); // the one at 32 s finds it quiet for over 30 s
    expect(ab.closed).toBe(true);
    await until(() => a.mesh.openPeers().length === 1 && net.conn(a.me.deviceId, b.me.deviceId) !== undefined);
    expect(a.mesh.staleSince(b.me.deviceId)).toBeNull();
  });

  it('a device that said bye is not redialled; one that left the roster is forgotten', async () => {
    const { net, a, b } = await started();
    await openBoth(a, b);
    b.mesh.stop(true);
    await waitFor(() => expect(a.log).toContain(`closed ${b.me.deviceId.slice(0, 6)}`));
    fakeClock();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(net.created.find((p) => p.id === a.me.deviceId)!.dialled).toHaveLength(1);
    expect(a.mesh.sessions.has(b.me.deviceId)).toBe(true);
    // The hub's roster no longer lists it: nothing is kept for it.
    a.mesh.setDesired([a.me.deviceId]);
    expect(a.mesh.sessions.has(b.me.deviceId)).toBe(false);
  });

  it('signaling reconnects by itself, with a fresh credential, and open channels survive meanwhile', async () => {
    const { net, a, b } = await started();
    await openBoth(a, b);
    fakeClock();
    const before = a.tokens;
    net.serverDown();
    expect(a.log.at(-1)).toBe('signaling offline');
    expect(a.mesh.openPeers()).toEqual([b.me.deviceId]); // the direct channel does not need the hub
    net.serverBack();
    await vi.advanceTimersByTimeAsync(500);
    vi.useRealTimers();
    await waitFor(() => expect(a.log.at(-1)).toBe('signaling online'));
    expect(a.tokens).toBeGreaterThan(before);
  });
});
