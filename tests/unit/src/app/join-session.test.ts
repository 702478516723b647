/** The membership of one room (src/app/join-session.ts): credential reuse, retries, refusals, renewal. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JoinSession, type JoinSessionEvents } from '../../../../src/app/join-session.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import type { JoinResponse } from '../../../../protocol/hub-api.ts';
import type { StoredRoom } from '../../../../src/platform/storage.ts';
import { waitFor } from '../../support/wait.ts';

const DEVICE = 'd' + '1'.repeat(32);
const ROOM: StoredRoom = { roomId: 'rabc123def456', secret: 's'.repeat(43), name: 'R', place: '', joinedAt: 0 };

function answer(expiresInMs: number): JoinResponse {
  return {
    v: 1,
    room: { id: ROOM.roomId, name: 'Room', place: 'Here' },
    credential: { peerId: DEVICE, token: `${'0'.repeat(10)}.${'x'.repeat(43)}`, expiresAt: Date.now() + expiresInMs },
    keyId: 'k',
    iceServers: [],
    httpPort: 8080,
    httpsPort: 8443,
    graceSeconds: 120,
    awaySeconds: 30,
  };
}

function session(stored: StoredRoom, join: () => Promise<JoinResponse>) {
  const log: string[] = [];
  const saved: StoredRoom[] = [];
  const events: JoinSessionEvents = {
    credential: (j) => log.push(`credential ${j.room.name}`),
    connected: () => log.push('connected'),
    retrying: (e) => log.push(`retrying ${e.code}`),
    refused: (e) => log.push(`refused ${e.code}`),
  };
  const s = new JoinSession(stored, { deviceId: DEVICE, join, save: async (r) => void saved.push(r) }, events);
  return { s, log, saved };
}

afterEach(() => vi.useRealTimers());

describe('JoinSession', () => {
  it('reuses a stored credential with more than 5 minutes left, without asking the hub', () => {
    const join = vi.fn();
    const { s, log } = session({ ...ROOM, lastJoin: answer(10 * 60_000) }, join);
    s.enter();
    expect(log).toEqual(['credential Room', 'connected']);
    expect(join).not.toHaveBeenCalled();
  });

  it('proves the secret when the stored credential is about to expire, and keeps the answer on the device', async () => {
    const { s, log, saved } = session({ ...ROOM, lastJoin: answer(60_000) }, async () => answer(3_600_000));
    s.enter();
    await waitFor(() => expect(log).toEqual(['credential Room', 'connected']));
    expect(saved[0]).toMatchObject({ roomId: ROOM.roomId, name: 'Room', place: 'Here', lastJoin: { httpPort: 8080 } });
  });

  it('retries with backoff while the hub is away or busy; a refusal ends it', async () => {
    vi.useFakeTimers();
    const failures = [new OsmoseError('hub-unreachable', 'x'), new OsmoseError('rate-limited', 'x'), new OsmoseError('wrong-secret', 'x')];
    const join = vi.fn(async () => {
      throw failures.shift()!;
    });
    const { s, log } = session(ROOM, join);
    s.enter();
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['retrying hub-unreachable']);
    expect(s.retrying).toBe(true);
    await vi.advanceTimersByTimeAsync(700); // 500 ms ± 25%
    expect(log).toEqual(['retrying hub-unreachable', 'retrying rate-limited']);
    await vi.advanceTimersByTimeAsync(1_300); // then 1 s ± 25%
    expect(log.at(-1)).toBe('refused wrong-secret');
    expect(s.retrying).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(join).toHaveBeenCalledTimes(3);
  });

  it('hands out a credential with a minute of life left, proving again when needed', async () => {
    const join = vi.fn(async () => answer(3_600_000));
    const { s } = session({ ...ROOM, lastJoin: answer(6 * 60_000) }, join);
    s.enter();
    expect(await s.credential()).toEqual({ peerId: DEVICE, token: answer(0).credential.token });
    expect(join).not.toHaveBeenCalled();
    s.joined = answer(30_000);
    await s.credential();
    expect(join).toHaveBeenCalledTimes(1);
    s.forget();
    await s.credential();
    expect(join).toHaveBeenCalledTimes(2);
  });

  it('asks the hub once for whoever needs a credential at the same time, and never after stop', async () => {
    let resolve!: (j: JoinResponse) => void;
    const join = vi.fn(() => new Promise<JoinResponse>((r) => (resolve = r)));
    const { s } = session(ROOM, join);
    s.enter(); // the room's links
    const forGateway = s.credential(); // a feature asking meanwhile
    expect(join).toHaveBeenCalledTimes(1);
    resolve(answer(3_600_000));
    await expect(forGateway).resolves.toMatchObject({ peerId: DEVICE });
    s.forget();
    s.stop();
    await expect(s.credential()).rejects.toMatchObject({ code: 'cancelled' });
    expect(join).toHaveBeenCalledTimes(1);
  });

  it('after stop, a late answer is dropped and nothing retries', async () => {
    vi.useFakeTimers();
    let resolve!: (j: JoinResponse) => void;
    const { s, log } = session(ROOM, () => new Promise((r) => (resolve = r)));
    s.enter();
    s.stop();
    resolve(answer(3_600_000));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log).toEqual([]);
  });
});
