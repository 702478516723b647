/**
 * Who is in the room, as the hub sees it. Pure state plus a clock: the room channel feeds it,
 * `tick` applies the away/grace rules, and listeners hear every change.
 */
import { AWAY_AFTER_MS, memberStatus } from '../../protocol/presence.ts';
import type { Member, MemberStatus } from '../../protocol/room-channel.ts';
import type { Profile } from '../../protocol/common.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { OsmoseError } from '../../protocol/errors.ts';

interface Entry {
  profile: Profile;
  connected: boolean;
  hiddenSince: number | null;
  disconnectedAt: number | null;
  lastSeen: number;
  status: MemberStatus;
}

export class Roster {
  private entries = new Map<string, Entry>();
  private listeners = new Set<(arrival: boolean) => void>();

  constructor(
    private readonly graceMs: number,
    private readonly now: () => number = Date.now,
    private readonly awayAfterMs = AWAY_AFTER_MS,
    private readonly maxMembers: number = LIMITS.rosterMembers,
  ) {}

  /** `arrival`: a device came in (or back): the others should learn of it at once to dial it. */
  onChange(fn: (arrival: boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * A device said hello or updated its profile. Devices refuse a roster of more than
   * LIMITS.rosterMembers, so the hub never lists more: a newcomer takes the place of the device
   * disconnected longest ago, or is refused with `room-full` while every listed device is connected.
   */
  upsert(peerId: string, profile: Profile): void {
    const t = this.now();
    const prev = this.entries.get(peerId);
    if (!prev && this.entries.size >= this.maxMembers) this.makeRoom();
    // The same profile from a device already here changes nothing anyone sees: no broadcast.
    const unchanged = prev && prev.connected && prev.status === 'present' && JSON.stringify(prev.profile) === JSON.stringify(profile);
    const hidden = profile.visibility === 'hidden';
    this.entries.set(peerId, {
      profile,
      connected: true,
      // The hub's clock decides how long a device has been hidden; device clocks drift.
      hiddenSince: hidden ? (prev?.hiddenSince ?? t) : null,
      disconnectedAt: null,
      lastSeen: t,
      status: 'present',
    });
    this.refresh(peerId);
    if (!unchanged) this.emit(!prev || !prev.connected);
  }

  private makeRoom(): void {
    let oldest: [string, number] | null = null;
    for (const [id, e] of this.entries) {
      if (!e.connected && e.disconnectedAt !== null && (!oldest || e.disconnectedAt < oldest[1])) oldest = [id, e.disconnectedAt];
    }
    if (!oldest) throw new OsmoseError('room-full', `this room already lists ${this.maxMembers} devices, all connected; one must leave first`);
    this.entries.delete(oldest[0]);
  }

  seen(peerId: string): void {
    const e = this.entries.get(peerId);
    if (e) e.lastSeen = this.now();
  }

  /** The device's channel dropped without a goodbye: away until the grace period ends. */
  disconnect(peerId: string): void {
    const e = this.entries.get(peerId);
    if (!e || !e.connected) return;
    e.connected = false;
    e.disconnectedAt = this.now();
    this.refresh(peerId);
    this.emit();
  }

  /** The device left on purpose. */
  remove(peerId: string): void {
    if (this.entries.delete(peerId)) this.emit();
  }

  clear(): void {
    if (this.entries.size === 0) return;
    this.entries.clear();
    this.emit();
  }

  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  /** Applies the away and grace rules; call once a second. */
  tick(): void {
    let changed = false;
    for (const peerId of [...this.entries.keys()]) changed = this.refresh(peerId) || changed;
    if (changed) this.emit();
  }

  members(): Member[] {
    return [...this.entries].map(([peerId, e]) => ({ peerId, profile: e.profile, status: e.status, lastSeen: e.lastSeen }));
  }

  get size(): number {
    return this.entries.size;
  }

  private refresh(peerId: string): boolean {
    const e = this.entries.get(peerId);
    if (!e) return false;
    const status = memberStatus(
      { connected: e.connected, visibility: e.profile.visibility, hiddenSince: e.hiddenSince, disconnectedAt: e.disconnectedAt },
      this.now(),
      this.awayAfterMs,
      this.graceMs,
    );
    if (status === 'gone') {
      this.entries.delete(peerId);
      return true;
    }
    if (status === e.status) return false;
    e.status = status;
    return true;
  }

  private emit(arrival = false): void {
    for (const fn of this.listeners) fn(arrival);
  }
}
