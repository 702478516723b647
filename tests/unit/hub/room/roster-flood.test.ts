/**
 * A hostile member against the roster, over the room channel: registering more device keys than
 * devices accept in a roster (they refuse rosters over LIMITS.rosterMembers, and would be left with
 * none), and changing its profile as fast as it can (each change was a roster for every device).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import WebSocket from 'ws';
import { JoinAuth } from '../../../../hub/room/join-auth.ts';
import { CLOSE, HubMessage, roomProtocols } from '../../../../protocol/room-channel.ts';
import { decodeFrame } from '../../../../protocol/codec.ts';
import { LIMITS } from '../../../../protocol/limits.ts';
import { deviceIdFromPublicKey, newDeviceKeyPair } from '../../../../protocol/crypto.ts';
import { profile } from '../../fixtures.ts';
import { startTestHub, type TestHub } from '../../support/hub-edge.ts';

let t: TestHub;
let auth: JoinAuth;
/** A hub of its own for each case: one's leftovers (500 listed devices) must not pace the next. */
function ownHub(): void {
  beforeAll(async () => {
    t = await startTestHub();
    auth = new JoinAuth(t.hub.secrets(), 3_600_000);
  });
  afterAll(async () => {
    await t.hub.close();
  });
}

interface Device {
  id: string;
  ws: WebSocket;
  /** Every text frame, decoded as a device decodes it (null when a device would refuse it). */
  frames: (HubMessage | null)[];
  closed: Promise<number>;
  welcomed: Promise<void>;
}

/** `decode`: check every frame as a device does (the watchers); fakes only wait for their welcome. */
function connect(name: string, decode = true): Device {
  const id = deviceIdFromPublicKey(newDeviceKeyPair().publicKey);
  const token = auth.issueCredential(id).token;
  const ws = new WebSocket(`ws://127.0.0.1:${t.hub.ports.http}/room`, roomProtocols(id, token), { perMessageDeflate: false });
  const frames: (HubMessage | null)[] = [];
  let welcomed!: () => void;
  const welcome = new Promise<void>((r) => (welcomed = r));
  ws.on('message', (data, binary) => {
    if (binary) return;
    if (!decode) {
      if (data.toString('latin1', 0, 40).includes('"welcome"')) welcomed();
      const kind = /"t":"([a-z-]+)"/.exec(data.toString('latin1', 0, 40))?.[1];
      if (kind === 'welcome' || kind === 'roster') return;
    }
    const d = decodeFrame(HubMessage, data.toString(), LIMITS.hubFrameBytes);
    frames.push(d.ok ? d.value : null);
    if (d.ok && d.value.t === 'welcome') welcomed();
  });
  ws.on('error', () => undefined);
  ws.on('open', () => ws.send(JSON.stringify({ v: 1, t: 'hello', peerId: id, token, profile: profile(name) })));
  const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
  return { id, ws, frames, closed, welcomed: welcome };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
};

describe('a member who registers more devices than a roster may hold', () => {
  ownHub();
  it(`is refused the device after the ${LIMITS.rosterMembers}th; every other device keeps a roster it accepts`, async () => {
    const honest = connect('Honest');
    await honest.welcomed;
    const fakes: Device[] = [];
    for (let i = 0; i < LIMITS.rosterMembers - 1; i++) {
      fakes.push(connect(`Fake ${i}`, false));
      if (i % 50 === 49) await Promise.all(fakes.slice(-50).map((f) => f.welcomed));
    }
    await Promise.all(fakes.map((f) => f.welcomed));
    const extra = connect('One too many', false);
    expect(await extra.closed).toBe(CLOSE.roomFull);
    expect(extra.frames).toMatchObject([{ t: 'error', error: { code: 'room-full' } }]);
    // The last roster the honest device gets lists all 500, and it accepted every frame.
    await until(() => honest.frames.some((f) => f?.t === 'roster' && f.members.length === LIMITS.rosterMembers));
    expect(honest.frames.every((f) => f !== null)).toBe(true);
    // 499 devices arrived one after another: a few rosters, not one per arrival.
    expect(honest.frames.filter((f) => f?.t === 'roster').length).toBeLessThan(LIMITS.rosterMembers / 5);
    for (const f of [...fakes, honest]) f.ws.terminate();
  }, 120_000);
});

describe('a member who changes its profile as fast as it can', () => {
  ownHub();
  it('costs every other device a few rosters, and they end with its last profile', async () => {
    const watcher = connect('Watcher');
    const flooder = connect('Flooder');
    await Promise.all([watcher.welcomed, flooder.welcomed]);
    await until(() => watcher.frames.some((f) => f?.t === 'roster' && f.members.some((m) => m.profile.name === 'Flooder')));
    const before = watcher.frames.length;
    for (let i = 0; i < 300; i++) flooder.ws.send(JSON.stringify({ v: 1, t: 'profile', profile: profile(i === 299 ? 'Final' : `Name ${i}`) }));
    await until(() => watcher.frames.some((f) => f?.t === 'roster' && f.members.some((m) => m.profile.name === 'Final')));
    const rosters = watcher.frames.slice(before).filter((f) => f?.t === 'roster');
    expect(rosters.length).toBeLessThan(20);
    watcher.ws.terminate();
    flooder.ws.terminate();
  }, 60_000);
});
