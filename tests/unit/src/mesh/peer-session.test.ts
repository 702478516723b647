import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeerSession, type Me, type SessionEvents } from '../../../../src/mesh/peer-session.ts';
import { decodeFrame } from '../../../../protocol/codec.ts';
import type { Profile } from '../../../../protocol/common.ts';
import { deviceIdFromPublicKey, newDeviceKeyPair, newRoomSecret } from '../../../../protocol/crypto.ts';
import type { WireError } from '../../../../protocol/errors.ts';
import { LIMITS } from '../../../../protocol/limits.ts';
import { MeshMessage } from '../../../../protocol/mesh.ts';
import { makeMe, profile } from '../../fixtures.ts';

/** A session plus everything it told its owner and sent down its transport. */
interface Side {
  session: PeerSession;
  sent: string[];
  closedTransport: boolean;
  opened: number;
  profiles: Profile[];
  binaries: Uint8Array[];
  pongs: number[];
  closes: (WireError | null)[];
}

function side(me: Me, remoteId: string, name: string, send: (data: string | Uint8Array) => void): Side {
  const s = { sent: [], closedTransport: false, opened: 0, profiles: [], binaries: [], pongs: [], closes: [] } as unknown as Side;
  const events: SessionEvents = {
    open: () => s.opened++,
    profile: (_x, p) => s.profiles.push(p),
    binary: (_x, b) => s.binaries.push(b),
    pong: (_x, n) => s.pongs.push(n),
    closed: (_x, reason) => s.closes.push(reason),
  };
  s.session = new PeerSession(
    remoteId,
    {
      send: (data) => {
        s.sent.push(typeof data === 'string' ? data : '[binary]');
        send(data);
      },
      close: () => (s.closedTransport = true),
    },
    me,
    () => profile(name),
    events,
  );
  return s;
}

/**
 * Two sessions joined by an in-memory channel that delivers asynchronously and in order, like a
 * data channel. `tamperAtoB`/`tamperBtoA` rewrite frames in flight.
 */
function pair(meA: Me, meB: Me, opts: { aExpects?: string; bExpects?: string; tamperBtoA?: (t: string) => string } = {}) {
  let a!: Side;
  let b!: Side;
  a = side(meA, opts.aExpects ?? meB.deviceId, 'Ada', (t) => queueMicrotask(() => b.session.receive(t)));
  b = side(meB, opts.bExpects ?? meA.deviceId, 'Bea', (t) => {
    const out = opts.tamperBtoA && typeof t === 'string' ? opts.tamperBtoA(t) : t;
    queueMicrotask(() => a.session.receive(out));
  });
  return { a, b };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A binary frame, as the room's memory sends once a session is open. */
function frame(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function lastError(s: Side): WireError | undefined {
  const frames = s.sent.map((t) => JSON.parse(t) as { t: string; error?: WireError });
  return frames.filter((f) => f.t === 'error').at(-1)?.error;
}

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe('PeerSession key agreement (for sealed room data)', () => {
  it("each side learns the other's X25519 key once open, and only a key its device key vouched for", async () => {
    const secret = newRoomSecret();
    const meA = makeMe(secret);
    const meB = makeMe(secret);
    const { a, b } = pair(meA, meB);
    expect(a.session.keyAgreementKey).toBeNull(); // not before the session is open
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.keyAgreementKey).toEqual(meB.kxPair.publicKey);
    expect(b.session.keyAgreementKey).toEqual(meA.kxPair.publicKey);
  });

  it('refuses a peer that announces a key-agreement key its device key did not sign', async () => {
    const secret = newRoomSecret();
    const meA = makeMe(secret);
    const meB = makeMe(secret);
    const mallory = makeMe(secret);
    // B's hello carries Mallory's X25519 key with Mallory's vouch: a key a man in the middle could read.
    const { a, b } = pair(meA, meB, {
      tamperBtoA: (t) => {
        const f = JSON.parse(t) as { t: string; kx?: unknown };
        return f.t === 'hello' ? JSON.stringify({ ...f, kx: mallory.kx }) : t;
      },
    });
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('refused');
    expect(a.closes[0]?.code).toBe('bad-signature');
    expect(a.session.keyAgreementKey).toBeNull();
  });

  it('an older peer without a key-agreement key still opens, with none to wrap for', async () => {
    const secret = newRoomSecret();
    const { a, b } = pair(makeMe(secret), makeMe(secret, { kx: false }));
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('open');
    expect(a.session.keyAgreementKey).toBeNull();
  });
});

describe('PeerSession handshake', () => {
  it('opens both sides when they hold the same room secret, then swaps profiles', async () => {
    const secret = newRoomSecret();
    const { a, b } = pair(makeMe(secret), makeMe(secret));
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('open');
    expect(b.session.state).toBe('open');
    expect([a.opened, b.opened]).toEqual([1, 1]);
    expect(a.profiles).toEqual([profile('Bea')]);
    expect(b.profiles).toEqual([profile('Ada')]);
    expect(a.session.profile).toEqual(profile('Bea'));
    expect(a.closes).toEqual([]);
    // Every frame either side sent is a valid mesh message.
    for (const t of [...a.sent, ...b.sent]) expect(decodeFrame(MeshMessage, t, LIMITS.meshFrameBytes).ok).toBe(true);
  });

  it('carries binary frames, ping and pong once open', async () => {
    const secret = newRoomSecret();
    const { a, b } = pair(makeMe(secret), makeMe(secret));
    a.session.start();
    b.session.start();
    await settle();
    const hi = frame('hello from Ada ☕');
    a.session.sendBinary(hi);
    b.session.sendBinary(frame('hi Ada'));
    a.session.ping(41);
    await settle();
    expect(b.binaries).toEqual([hi]);
    expect(a.binaries.map((c) => new TextDecoder().decode(c))).toEqual(['hi Ada']);
    expect(a.pongs).toEqual([41]);
  });

  it("refuses a peer holding another room secret: both sides end 'refused' with 'wrong-secret'", async () => {
    const { a, b } = pair(makeMe(newRoomSecret()), makeMe(newRoomSecret()));
    a.session.start();
    b.session.start();
    await settle();
    for (const s of [a, b]) {
      expect(s.session.state).toBe('refused');
      expect(s.opened).toBe(0);
      expect(s.closes[0]?.code).toBe('wrong-secret');
    }
  });

  it('sends no proof to a peer that announces another key id', async () => {
    const { a, b } = pair(makeMe(newRoomSecret()), makeMe(newRoomSecret()));
    a.session.start();
    b.session.start();
    await settle();
    const types = [...a.sent, ...b.sent].map((t) => JSON.parse(t).t);
    expect(types).not.toContain('auth');
  });

  it("catches a peer that copies the room's key id without holding the secret ('wrong-secret')", async () => {
    const secret = newRoomSecret();
    const impostor = { ...makeMe(newRoomSecret()), keyId: makeMe(secret).keyId };
    const { a, b } = pair(makeMe(secret), impostor);
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('refused');
    expect(a.closes[0]?.code).toBe('wrong-secret');
    expect(a.opened).toBe(0);
  });

  it("refuses a peer that claims another device's id ('bad-signature')", async () => {
    const secret = newRoomSecret();
    const victim = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
    const meB = makeMe(secret);
    // B announces the victim's id with its own key; A dialled the victim.
    const { a, b } = pair(makeMe(secret), { ...meB, deviceId: victim }, { aExpects: victim });
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('refused');
    expect(a.closes[0]?.code).toBe('bad-signature');
    expect(a.opened).toBe(0);
  });

  it("refuses a peer that is not the device it dialled ('bad-signature')", async () => {
    const secret = newRoomSecret();
    const expected = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
    const { a, b } = pair(makeMe(secret), makeMe(secret), { aExpects: expected });
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('refused');
    expect(a.closes[0]?.code).toBe('bad-signature');
  });

  it("refuses a peer whose signature is not made by its announced key ('bad-signature')", async () => {
    const secret = newRoomSecret();
    const liar = { ...makeMe(secret), secretKey: newDeviceKeyPair().secretKey };
    const { a, b } = pair(makeMe(secret), liar);
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('refused');
    expect(a.closes[0]?.code).toBe('bad-signature');
  });

  it('refuses a recorded auth replayed into a new session (fresh nonces)', async () => {
    const secret = newRoomSecret();
    const meA = makeMe(secret);
    const meB = makeMe(secret);
    const first = pair(meA, meB);
    first.a.session.start();
    first.b.session.start();
    await settle();
    expect(first.a.session.state).toBe('open');
    const recorded = first.b.sent.filter((t) => ['hello', 'auth'].includes(JSON.parse(t).t));
    expect(recorded).toHaveLength(2);
    const again = side(meA, meB.deviceId, 'Ada', () => {});
    again.session.start();
    for (const t of recorded) again.session.receive(t);
    expect(again.session.state).toBe('refused');
    expect(again.closes[0]?.code).toBe('wrong-secret');
  });

  it("becomes 'needs-update' when the peer speaks protocol v2, and tells it why", async () => {
    const secret = newRoomSecret();
    const v2 = (t: string) => JSON.stringify({ ...JSON.parse(t), v: 2 });
    const { a, b } = pair(makeMe(secret), makeMe(secret), { tamperBtoA: v2 });
    a.session.start();
    b.session.start();
    await settle();
    expect(a.session.state).toBe('needs-update');
    expect(a.closes[0]?.code).toBe('protocol-version');
    expect(lastError(a)?.code).toBe('protocol-version');
    // B hears A's error and also knows the two cannot talk.
    expect(b.session.state).toBe('needs-update');
    expect(a.opened + b.opened).toBe(0);
  });

  it("refuses a binary frame before authentication ('unauthorized') and never delivers it", () => {
    const me = makeMe();
    const stranger = makeMe();
    const s = side(me, stranger.deviceId, 'Ada', () => {});
    s.session.start();
    s.session.receive(frame('let me in'));
    expect(s.binaries).toEqual([]);
    expect(s.session.state).toBe('refused');
    expect(s.closes[0]?.code).toBe('unauthorized');
    expect(lastError(s)?.code).toBe('unauthorized');
  });

  it('refuses an auth that arrives before hello', () => {
    const s = side(makeMe(), makeMe().deviceId, 'Ada', () => {});
    s.session.start();
    s.session.receive(JSON.stringify({ v: 1, t: 'auth', proof: 'A'.repeat(43), sig: 'B'.repeat(86) }));
    expect(s.session.state).toBe('refused');
  });

  it('ignores everything once refused, even a valid handshake', async () => {
    const secret = newRoomSecret();
    const meB = makeMe(secret);
    const s = side(makeMe(secret), meB.deviceId, 'Ada', () => {});
    s.session.start();
    s.session.receive('garbage');
    expect(s.session.state).toBe('refused');
    const sentBefore = s.sent.length;
    const b = side(meB, 'd' + '0'.repeat(32), 'Bea', () => {});
    b.session.start();
    for (const t of b.sent) s.session.receive(t);
    s.session.receive(JSON.stringify({ v: 1, t: 'ping', n: 1, at: 1 }));
    expect(s.session.state).toBe('refused');
    expect(s.opened).toBe(0);
    expect(s.closes).toHaveLength(1);
    // Not even an auth or a pong goes out once refused.
    expect(s.sent.length).toBe(sentBefore);
  });

  it('closes the transport shortly after refusing, so the error frame can leave first', () => {
    vi.useFakeTimers();
    try {
      const s = side(makeMe(), makeMe().deviceId, 'Ada', () => {});
      s.session.receive('{');
      expect(s.sent.at(-1)).toContain('"error"');
      vi.advanceTimersByTime(99);
      expect(s.closedTransport).toBe(false);
      vi.advanceTimersByTime(1);
      expect(s.closedTransport).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends no binary frame or profile before it is open', () => {
    const s = side(makeMe(), makeMe().deviceId, 'Ada', () => {});
    s.session.sendBinary(frame('too early'));
    s.session.sendProfile();
    s.session.ping(1);
    expect(s.sent).toEqual([]);
  });

  // Only a live handshake or an open session listens: 'needs-update' (the transport is left open
  // a moment) must not let an unauthenticated peer's frames through.
  it('does not deliver frames from an unauthenticated peer after a version mismatch', () => {
    const s = side(makeMe(), makeMe().deviceId, 'Ada', () => {});
    s.session.start();
    s.session.receive('{"v":2,"t":"hello"}');
    expect(s.session.state).toBe('needs-update');
    s.session.receive(frame('never authenticated'));
    s.session.receive(JSON.stringify({ v: 1, t: 'profile', profile: profile('Mallory') }));
    expect(s.binaries).toEqual([]);
    expect(s.profiles).toEqual([]);
  });
});

describe('PeerSession after opening', () => {
  async function openPair() {
    const secret = newRoomSecret();
    const p = pair(makeMe(secret), makeMe(secret));
    p.a.session.start();
    p.b.session.start();
    await settle();
    expect(p.a.session.state).toBe('open');
    return p;
  }

  it('tolerates a few bad frames but refuses the peer at the tenth', async () => {
    const { a } = await openPair();
    for (let i = 0; i < 9; i++) a.session.receive('not json');
    expect(a.session.state).toBe('open');
    a.session.receive('not json');
    expect(a.session.state).toBe('refused');
  });

  it('treats a second hello as a bad frame, not a new handshake', async () => {
    const { a, b } = await openPair();
    const hello = b.sent.find((t) => JSON.parse(t).t === 'hello')!;
    const sentBefore = a.sent.length;
    a.session.receive(hello);
    expect(a.session.state).toBe('open');
    expect(a.sent.length).toBe(sentBefore); // no second auth
    // ...and it counts toward the bad-frame limit.
    for (let i = 0; i < 9; i++) a.session.receive(hello);
    expect(a.session.state).toBe('refused');
  });

  it('closes cleanly with no reason when the peer says bye, and remembers it left on purpose', async () => {
    const { a, b } = await openPair();
    a.session.bye();
    await settle();
    expect(a.session.state).toBe('closed');
    expect(b.session.state).toBe('closed');
    expect(b.session.saidBye).toBe(true);
    expect(a.session.saidBye).toBe(false);
    expect(b.closes).toEqual([null]);
    expect(b.closedTransport).toBe(true);
  });

  it('notes when a peer turns hidden and keeps the first time across updates', async () => {
    const { a } = await openPair();
    const hidden = JSON.stringify({ v: 1, t: 'profile', profile: profile('Bea', { visibility: 'hidden' }) });
    a.session.receive(hidden);
    const since = a.session.hiddenSince;
    expect(since).not.toBeNull();
    vi.useFakeTimers({ toFake: ['Date'], now: since! + 5_000 });
    a.session.receive(hidden);
    vi.useRealTimers();
    expect(a.session.hiddenSince).toBe(since);
    a.session.receive(JSON.stringify({ v: 1, t: 'profile', profile: profile('Bea') }));
    expect(a.session.hiddenSince).toBeNull();
  });

  it('ends with no reason when the transport goes away', async () => {
    const { a } = await openPair();
    a.session.transportClosed();
    expect(a.session.state).toBe('closed');
    expect(a.closes).toEqual([null]);
  });

  it("stops, 'refused', when the peer reports an error", async () => {
    const { a } = await openPair();
    a.session.receive(JSON.stringify({ v: 1, t: 'error', error: { code: 'evicted', message: 'bye' } }));
    expect(a.session.state).toBe('refused');
    expect(a.closes).toEqual([{ code: 'evicted', message: 'bye' }]);
  });
});
