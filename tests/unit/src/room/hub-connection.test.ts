/**
 * The device's room channel (src/room/hub-connection.ts): against a real hub in this process
 * (welcome, roster, profile, bye, a refused credential), and against a scripted socket under a
 * fake clock (reconnecting with backoff, a half-open link, nudges, refusals that are not retried).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HubConnection, type HubConnectionEvents, type HubLinkState, type SocketLike } from '../../../../src/room/hub-connection.ts';
import { joinRoom } from '../../../../src/room/join-api.ts';
import { HubHttp } from '../../../../src/platform/hub-http.ts';
import { CLOSE, type Member } from '../../../../protocol/room-channel.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';
import type { WireError } from '../../../../protocol/errors.ts';
import { profile } from '../../fixtures.ts';
import { identity, nodeSockets, testHub, type TestHub } from '../../support/test-hub.ts';
import { waitFor } from '../../support/wait.ts';

interface Seen {
  states: HubLinkState[];
  rosters: Member[][];
  refused: { error: WireError; code: number }[];
  binary: Uint8Array[];
  closed: number;
}

function recorder(): { seen: Seen; events: HubConnectionEvents } {
  const seen: Seen = { states: [], rosters: [], refused: [], binary: [], closed: 0 };
  return {
    seen,
    events: {
      state: (s) => seen.states.push(s),
      welcome: (_room, members) => seen.rosters.push(members),
      roster: (members) => seen.rosters.push(members),
      refused: (error, code) => seen.refused.push({ error, code }),
      binary: (f) => seen.binary.push(f),
      closed: () => seen.closed++,
    },
  };
}

describe('HubConnection with a real hub', () => {
  let t: TestHub;
  beforeAll(async () => (t = await testHub()));
  afterAll(() => t.close());

  async function connected(name: string) {
    const id = identity();
    const joined = await joinRoom(new HubHttp({ origin: t.origin, fetch }), t.ticket(), id);
    const { seen, events } = recorder();
    const conn = new HubConnection(nodeSockets, t.origin, joined.credential, () => profile(name), events);
    conn.start();
    await waitFor(() => expect(seen.states.at(-1)).toBe('online'));
    return { id, conn, seen };
  }

  it('says hello with its credential, is welcomed with the roster, and hears who comes and goes', async () => {
    const ada = await connected('Ada');
    expect(ada.seen.states).toEqual(['connecting', 'online']);
    expect(ada.seen.rosters[0]!.map((m) => m.profile.name)).toContain('Ada');
    const bea = await connected('Bea');
    await waitFor(() => expect(ada.seen.rosters.at(-1)!.map((m) => m.profile.name).sort()).toEqual(['Ada', 'Bea']));
    bea.conn.bye();
    await waitFor(() => expect(ada.seen.rosters.at(-1)!.map((m) => m.profile.name)).toEqual(['Ada']));
    ada.conn.stop();
  });

  it('a credential the hub refuses is reported with its close code and not retried', async () => {
    const joined = await joinRoom(new HubHttp({ origin: t.origin, fetch }), t.ticket(), identity());
    const { seen, events } = recorder();
    const forged = { ...joined.credential, token: joined.credential.token.slice(0, -4) + 'AAAA' };
    const conn = new HubConnection(nodeSockets, t.origin, forged, () => profile('Mallory'), events);
    conn.start();
    await waitFor(() => expect(seen.refused).toHaveLength(1));
    expect(seen.refused[0]!.code).toBe(CLOSE.unauthorized);
    expect(seen.states).toEqual(['connecting']);
    conn.stop();
  });
});

/** A socket the test drives: it opens, delivers and closes when told to. */
class ScriptedSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 0;
  onopen: ((ev: never) => void) | null = null;
  onmessage: ((ev: never) => void) | null = null;
  onclose: ((ev: never) => void) | null = null;
  readonly sent: string[] = [];
  constructor(readonly url: string) {}
  send(data: string | Uint8Array): void {
    this.sent.push(String(data));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    (this.onopen as ((ev: unknown) => void) | null)?.({});
  }
  receive(data: unknown): void {
    (this.onmessage as ((ev: { data: unknown }) => void) | null)?.({ data });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    (this.onclose as ((ev: { code: number; reason: string }) => void) | null)?.({ code, reason });
  }
}

describe('HubConnection reconnecting (scripted socket, fake clock)', () => {
  afterEach(() => vi.useRealTimers());
  const welcome = JSON.stringify({ v: PROTOCOL_VERSION, t: 'welcome', room: { id: 'rabc123def456', name: 'R', place: '' }, you: 'd' + '1'.repeat(32), members: [], hubTime: 0 });

  function scripted() {
    vi.useFakeTimers();
    const sockets: ScriptedSocket[] = [];
    const { seen, events } = recorder();
    const conn = new HubConnection((url) => sockets[sockets.push(new ScriptedSocket(url)) - 1]!, 'https://hub:8443', { peerId: 'd' + '1'.repeat(32), token: 't' }, () => profile('Ada'), events);
    conn.start();
    return { conn, sockets, seen };
  }

  it('reconnects after a lost connection with backoff, and a welcome resets the backoff', async () => {
    const { sockets, seen } = scripted();
    expect(sockets[0]!.url).toBe('wss://hub:8443/room');
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    sockets[0]!.drop();
    expect(seen.states.at(-1)).toBe('unreachable');
    expect(seen.closed).toBe(1);
    vi.advanceTimersByTime(200); // the first retry comes after 300 ms ± 25%
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(200);
    expect(sockets).toHaveLength(2);
    // Every failed attempt waits longer.
    sockets[1]!.drop();
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(3);
  });

  it('a link that stays silent for 25 s is dropped and reopened (a half-open connection)', async () => {
    const { sockets, seen } = scripted();
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    vi.advanceTimersByTime(20_000);
    expect(sockets[0]!.sent.filter((m) => m.includes('"ping"'))).toHaveLength(2);
    expect(seen.states.at(-1)).toBe('online');
    vi.advanceTimersByTime(10_000); // the ping at 30 s finds 30 s of silence
    expect(seen.states.at(-1)).toBe('unreachable');
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(2);
  });

  it('a nudge retries at once; refusals are told to the owner and never retried', async () => {
    const { conn, sockets, seen } = scripted();
    sockets[0]!.drop();
    conn.nudge();
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    sockets[1]!.receive(JSON.stringify({ v: PROTOCOL_VERSION, t: 'error', error: { code: 'secret-rotated', message: 'new secret' } }));
    sockets[1]!.drop(CLOSE.evicted);
    expect(seen.refused).toEqual([{ error: { code: 'secret-rotated', message: 'new secret' }, code: CLOSE.evicted }]);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
  });

  it('binary frames go to the memory; a malformed text frame is dropped without closing', async () => {
    const { sockets, seen } = scripted();
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    sockets[0]!.receive(Uint8Array.of(1, 0, 9).buffer);
    sockets[0]!.receive('{"v":1,"t":"roster","members":"everyone"}');
    expect(seen.binary).toEqual([Uint8Array.of(1, 0, 9)]);
    expect(seen.rosters).toHaveLength(1);
    expect(seen.states.at(-1)).toBe('online');
  });
});
