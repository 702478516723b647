import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { Roster } from '../../../../hub/room/roster.ts';
import { AWAY_AFTER_MS } from '../../../../protocol/presence.ts';
import { HubRoster, Member } from '../../../../protocol/room-channel.ts';
import { LIMITS } from '../../../../protocol/limits.ts';
import type { OsmoseError } from '../../../../protocol/errors.ts';
import { DEVICE_A, DEVICE_B, profile } from '../../fixtures.ts';

const GRACE_MS = 120_000;
const T0 = 1_700_000_000_000;
let now: number;
let roster: Roster;
let changes: Mock<() => void>;

beforeEach(() => {
  now = T0;
  roster = new Roster(GRACE_MS, () => now);
  changes = vi.fn<() => void>();
  roster.onChange(changes);
});

function statusOf(id: string): string {
  const m = roster.members().find((x) => x.peerId === id);
  return m ? m.status : 'gone';
}

describe('Roster', () => {
  it('lists a device as present after it says hello', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    expect(roster.members()).toEqual([{ peerId: DEVICE_A, profile: profile('Ada'), status: 'present', lastSeen: T0 }]);
    expect(roster.members().every((m) => Member.safeParse(m).success)).toBe(true);
    expect(changes).toHaveBeenCalledTimes(1);
  });

  it(`turns a device hidden for ${AWAY_AFTER_MS} ms away on tick, and tells listeners once`, () => {
    roster.upsert(DEVICE_A, profile('Ada', { visibility: 'hidden' }));
    changes.mockClear();
    now = T0 + AWAY_AFTER_MS - 1;
    roster.tick();
    expect(statusOf(DEVICE_A)).toBe('present');
    expect(changes).not.toHaveBeenCalled();
    now = T0 + AWAY_AFTER_MS;
    roster.tick();
    expect(statusOf(DEVICE_A)).toBe('away');
    expect(changes).toHaveBeenCalledTimes(1);
    roster.tick();
    expect(changes).toHaveBeenCalledTimes(1);
  });

  it("measures hidden time on the hub's clock from the first hidden profile", () => {
    roster.upsert(DEVICE_A, profile('Ada', { visibility: 'hidden', visibilitySince: 0 }));
    now = T0 + 20_000;
    // A later hidden profile (say, a rename) does not restart the clock...
    roster.upsert(DEVICE_A, profile('Ada L.', { visibility: 'hidden', visibilitySince: 0 }));
    now = T0 + AWAY_AFTER_MS;
    roster.tick();
    expect(statusOf(DEVICE_A)).toBe('away');
    // ...and becoming visible brings it straight back.
    roster.upsert(DEVICE_A, profile('Ada L.'));
    expect(statusOf(DEVICE_A)).toBe('present');
  });

  it('drops a device hidden for longer than away + grace', () => {
    roster.upsert(DEVICE_A, profile('Ada', { visibility: 'hidden' }));
    now = T0 + AWAY_AFTER_MS + GRACE_MS;
    roster.tick();
    expect(statusOf(DEVICE_A)).toBe('away');
    now += 1;
    roster.tick();
    expect(roster.has(DEVICE_A)).toBe(false);
  });

  it('shows a disconnected device as away, then drops it after the grace period', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    changes.mockClear();
    now = T0 + 5_000;
    roster.disconnect(DEVICE_A);
    expect(statusOf(DEVICE_A)).toBe('away');
    expect(changes).toHaveBeenCalledTimes(1);
    now = T0 + 5_000 + GRACE_MS;
    roster.tick();
    expect(statusOf(DEVICE_A)).toBe('away');
    expect(changes).toHaveBeenCalledTimes(1);
    now += 1;
    roster.tick();
    expect(roster.has(DEVICE_A)).toBe(false);
    expect(changes).toHaveBeenCalledTimes(2);
  });

  it('ignores a second disconnect and a disconnect of a stranger', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    roster.disconnect(DEVICE_A);
    changes.mockClear();
    now += 60_000;
    roster.disconnect(DEVICE_A);
    roster.disconnect(DEVICE_B);
    expect(changes).not.toHaveBeenCalled();
    // The grace period still runs from the first disconnect.
    now = T0 + GRACE_MS + 1;
    roster.tick();
    expect(roster.has(DEVICE_A)).toBe(false);
  });

  it('brings a reconnecting device back to present', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    roster.disconnect(DEVICE_A);
    now += 10_000;
    roster.upsert(DEVICE_A, profile('Ada'));
    expect(statusOf(DEVICE_A)).toBe('present');
    now += GRACE_MS * 2;
    roster.tick();
    expect(statusOf(DEVICE_A)).toBe('present');
  });

  it('removes a device that said bye at once', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    roster.upsert(DEVICE_B, profile('Bea'));
    changes.mockClear();
    roster.remove(DEVICE_A);
    expect(roster.members().map((m) => m.peerId)).toEqual([DEVICE_B]);
    expect(changes).toHaveBeenCalledTimes(1);
    roster.remove(DEVICE_A);
    expect(changes).toHaveBeenCalledTimes(1);
  });

  it('does not tell listeners about ticks that change nothing', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    changes.mockClear();
    for (let i = 0; i < 10; i++) {
      now += 1_000;
      roster.tick();
    }
    expect(changes).not.toHaveBeenCalled();
  });

  it('updates lastSeen on seen() without telling listeners', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    changes.mockClear();
    now += 7_000;
    roster.seen(DEVICE_A);
    expect(roster.members()[0]!.lastSeen).toBe(now);
    expect(changes).not.toHaveBeenCalled();
  });

  it('stops calling a listener after it unsubscribes', () => {
    const other = vi.fn<() => void>();
    const off = roster.onChange(other);
    roster.upsert(DEVICE_A, profile('Ada'));
    off();
    roster.upsert(DEVICE_B, profile('Bea'));
    expect(other).toHaveBeenCalledTimes(1);
    expect(changes).toHaveBeenCalledTimes(2);
  });

  it('clear() empties the room and tells listeners only when something was there', () => {
    roster.clear();
    expect(changes).not.toHaveBeenCalled();
    roster.upsert(DEVICE_A, profile('Ada'));
    roster.clear();
    expect(roster.size).toBe(0);
    expect(changes).toHaveBeenCalledTimes(2);
  });
});

describe('Roster limits', () => {
  const id = (i: number) => 'd' + i.toString(16).padStart(32, '0');

  it(`never lists more than ${LIMITS.rosterMembers} devices, which is all devices accept`, () => {
    for (let i = 0; i < LIMITS.rosterMembers; i++) roster.upsert(id(i), profile(`D${i}`));
    let refused: unknown = null;
    try {
      roster.upsert(id(LIMITS.rosterMembers), profile('One too many'));
    } catch (err) {
      refused = err;
    }
    expect((refused as OsmoseError).code).toBe('room-full');
    expect(roster.size).toBe(LIMITS.rosterMembers);
    expect(HubRoster.safeParse({ v: 1, t: 'roster', members: roster.members(), hubTime: now }).success).toBe(true);
    // A device already listed may still update itself.
    roster.upsert(id(7), profile('Renamed'));
    expect(roster.members().find((m) => m.peerId === id(7))!.profile.name).toBe('Renamed');
  });

  it('gives a newcomer the place of the device disconnected longest ago', () => {
    for (let i = 0; i < LIMITS.rosterMembers; i++) roster.upsert(id(i), profile(`D${i}`));
    now += 1000;
    roster.disconnect(id(3));
    now += 1000;
    roster.disconnect(id(9));
    roster.upsert(id(LIMITS.rosterMembers), profile('Newcomer'));
    expect(roster.size).toBe(LIMITS.rosterMembers);
    expect(roster.has(id(3))).toBe(false);
    expect(roster.has(id(9))).toBe(true);
  });

  it('tells no one when a device sends the profile it already has', () => {
    roster.upsert(DEVICE_A, profile('Ada'));
    roster.upsert(DEVICE_A, profile('Ada'));
    roster.upsert(DEVICE_A, profile('Ada'));
    expect(changes).toHaveBeenCalledTimes(1);
    roster.upsert(DEVICE_A, profile('Ada L.'));
    expect(changes).toHaveBeenCalledTimes(2);
  });
});

describe('what a change tells its listeners', () => {
  it('a device coming in or back is an arrival (the room channel sends those at once); a new profile or a departure is not', () => {
    const heard: boolean[] = [];
    const r = new Roster(1_000, () => 0);
    r.onChange((arrival) => heard.push(arrival));
    r.upsert(DEVICE_A, profile('Ada'));
    r.upsert(DEVICE_A, profile('Ada L.'));
    r.disconnect(DEVICE_A);
    r.upsert(DEVICE_A, profile('Ada L.'));
    r.upsert(DEVICE_B, profile('Bob'));
    r.remove(DEVICE_B);
    expect(heard).toEqual([true, false, false, true, true, false]);
  });
});
