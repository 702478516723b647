import { describe, expect, it } from 'vitest';
import { mergeMembers, type MergeInput } from '../../../../src/room/members.ts';
import type { PeerSession, SessionState } from '../../../../src/mesh/peer-session.ts';
import type { Profile } from '../../../../protocol/common.ts';
import { AWAY_AFTER_MS } from '../../../../protocol/presence.ts';
import type { Member, MemberStatus } from '../../../../protocol/room-channel.ts';
import { profile } from '../../fixtures.ts';

const NOW = 1_700_000_000_000;
const GRACE_MS = 120_000;
const SELF = 'd' + 'a'.repeat(32);
const ADA = 'd' + '1'.repeat(32);
const BEA = 'd' + '2'.repeat(32);
const CYD = 'd' + '3'.repeat(32);

function member(peerId: string, name: string, status: MemberStatus = 'present'): Member {
  return { peerId, profile: profile(name), status, lastSeen: NOW - 1_000 };
}

/** The fields of a PeerSession that mergeMembers reads. */
function session(state: SessionState, p: Profile | null, extra: Partial<Pick<PeerSession, 'saidBye' | 'hiddenSince' | 'lastHeard'>> = {}): PeerSession {
  return { state, profile: p, saidBye: false, hiddenSince: null, lastHeard: NOW, ...extra } as PeerSession;
}

function merge(over: Partial<MergeInput>) {
  return mergeMembers({ selfId: SELF, roster: [], sessions: new Map(), rosterLive: true, staleSince: () => null, now: NOW, graceMs: GRACE_MS, ...over });
}

describe('mergeMembers', () => {
  it('shows an open session over the roster: its own profile, present, direct', () => {
    const out = merge({
      roster: [member(ADA, 'Ada (old name)', 'away')],
      sessions: new Map([[ADA, session('open', profile('Ada'))]]),
    });
    expect(out).toEqual([{ peerId: ADA, name: 'Ada', caps: profile('Ada').caps, status: 'present', direct: true, mic: false, servesVoice: false }]);
  });

  it('keeps showing an open session while the hub is down', () => {
    const out = merge({ rosterLive: false, sessions: new Map([[ADA, session('open', profile('Ada'))]]) });
    expect(out.map((m) => [m.peerId, m.status, m.direct])).toEqual([[ADA, 'present', true]]);
  });

  it("shows roster-only devices with the roster's status while the hub is live", () => {
    const out = merge({ roster: [member(ADA, 'Ada', 'present'), member(BEA, 'Bea', 'away')] });
    expect(out.map((m) => [m.name, m.status, m.direct])).toEqual([
      ['Ada', 'present', false],
      ['Bea', 'away', false],
    ]);
  });

  it("shows roster-only devices as away when the roster is not live", () => {
    const out = merge({ rosterLive: false, roster: [member(ADA, 'Ada', 'present')] });
    expect(out.map((m) => m.status)).toEqual(['away']);
  });

  it('does not bring back a device that said bye from a stale roster entry', () => {
    const out = merge({
      roster: [member(ADA, 'Ada'), member(BEA, 'Bea')],
      sessions: new Map([[ADA, session('closed', profile('Ada'), { saidBye: true })]]),
    });
    expect(out.map((m) => m.peerId)).toEqual([BEA]);
  });

  it('falls back to the roster for a session that closed without bye', () => {
    const out = merge({ roster: [member(ADA, 'Ada')], sessions: new Map([[ADA, session('closed', profile('Ada'))]]) });
    expect(out.map((m) => [m.peerId, m.status, m.direct])).toEqual([[ADA, 'present', false]]);
  });

  it('falls back to the roster while a session is open but has not sent its profile yet', () => {
    const out = merge({ roster: [member(ADA, 'Ada', 'away')], sessions: new Map([[ADA, session('open', null)]]) });
    expect(out.map((m) => [m.status, m.direct])).toEqual([['away', false]]);
  });

  it('shows a device that needs an update, named from the roster or by its id', () => {
    const out = merge({
      roster: [member(ADA, 'Ada')],
      sessions: new Map([
        [ADA, session('needs-update', null)],
        [BEA, session('needs-update', null)],
      ]),
    });
    expect(out).toEqual([
      { peerId: ADA, name: 'Ada', caps: profile('Ada').caps, status: 'needs-update', direct: false, mic: false, servesVoice: false },
      { peerId: BEA, name: 'device 2222', caps: null, status: 'needs-update', direct: false, mic: false, servesVoice: false },
    ]);
  });

  it('never lists this device itself', () => {
    const out = merge({ roster: [member(SELF, 'Me'), member(ADA, 'Ada')], sessions: new Map([[SELF, session('open', profile('Me'))]]) });
    expect(out.map((m) => m.peerId)).toEqual([ADA]);
  });

  it('shows a peer hidden for AWAY_AFTER_MS as away', () => {
    const hidden = profile('Ada', { visibility: 'hidden' });
    const recently = merge({ sessions: new Map([[ADA, session('open', hidden, { hiddenSince: NOW - AWAY_AFTER_MS + 1 })]]) });
    const long = merge({ sessions: new Map([[ADA, session('open', hidden, { hiddenSince: NOW - AWAY_AFTER_MS })]]) });
    expect(recently[0]?.status).toBe('present');
    expect(long[0]?.status).toBe('away');
  });

  it('shows a quiet open session as away and not direct, then drops it a grace period after it went quiet', () => {
    const quietSince = (since: number) =>
      merge({ staleSince: (id) => (id === ADA ? since : null), sessions: new Map([[ADA, session('open', profile('Ada'), { lastHeard: NOW - GRACE_MS * 10 })]]) });
    expect(quietSince(NOW - 10_000)).toEqual([expect.objectContaining({ peerId: ADA, status: 'away', direct: false })]);
    expect(quietSince(NOW - GRACE_MS)).toEqual([expect.objectContaining({ peerId: ADA, status: 'away' })]);
    expect(quietSince(NOW - GRACE_MS - 1)).toEqual([]);
  });

  it('sorts by name, then by id', () => {
    const out = merge({ roster: [member(CYD, 'cyd'), member(BEA, 'Ada'), member(ADA, 'Ada'), member(SELF, 'Zed')] });
    expect(out.map((m) => m.peerId)).toEqual([ADA, BEA, CYD]);
  });
});

describe('mergeMembers: voice presence', () => {
  it("shows a peer's live microphone and voice service, from its session or the roster", () => {
    const withVoice = (name: string, mic: 'off' | 'live', serving: boolean): Profile => ({ ...profile(name), voice: { mic, serving, load: 0 } });
    const out = merge({
      roster: [{ ...member(BEA, 'Bea', 'present'), profile: withVoice('Bea', 'live', false) }],
      sessions: new Map([[ADA, session('open', withVoice('Ada', 'off', true))]]),
    });
    expect(out.map((m) => [m.name, m.mic, m.servesVoice])).toEqual([['Ada', false, true], ['Bea', true, false]]);
  });
});
