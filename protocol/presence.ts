/** Presence rules shared by the hub and the devices, so every screen agrees. */
import type { MemberStatus } from './room-channel.ts';

/** A device hidden (backgrounded) this long shows as away. */
export const AWAY_AFTER_MS = 30_000;

export interface PresenceFacts {
  connected: boolean;
  visibility: 'visible' | 'hidden';
  /** When the device became hidden, on the judging side's clock. */
  hiddenSince: number | null;
  /** When the judging side lost the connection. */
  disconnectedAt: number | null;
}

/** 'gone' means: drop it from the room view. */
export function memberStatus(f: PresenceFacts, now: number, awayAfterMs: number, graceMs: number): MemberStatus | 'gone' {
  if (!f.connected) {
    if (f.disconnectedAt !== null && now - f.disconnectedAt > graceMs) return 'gone';
    return 'away';
  }
  if (f.visibility === 'hidden' && f.hiddenSince !== null) {
    const hiddenFor = now - f.hiddenSince;
    if (hiddenFor > graceMs + awayAfterMs) return 'gone';
    if (hiddenFor >= awayAfterMs) return 'away';
  }
  return 'present';
}
