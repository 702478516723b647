/**
 * The room view's list of devices, merged from the hub's roster and the direct mesh sessions.
 * A live data channel is the best evidence a device is here (it works while the hub is down);
 * the roster covers devices we have not reached directly yet.
 */
import { memberStatus, AWAY_AFTER_MS } from '../../protocol/presence.ts';
import type { Capabilities, Profile, VisionPresence } from '../../protocol/common.ts';
import type { Member } from '../../protocol/room-channel.ts';
import type { PeerSession } from '../mesh/peer-session.ts';

export type MemberViewStatus = 'present' | 'away' | 'needs-update';

export interface MemberView {
  peerId: string;
  name: string;
  caps: Capabilities | null;
  status: MemberViewStatus;
  /** A direct, authenticated data channel is open. */
  direct: boolean;
  /** The device's microphone is live, and whether it offers the voice service (protocol/voice.ts). */
  mic: boolean;
  servesVoice: boolean;
  /** Its camera, spot and people in view (protocol/camera.ts), as it says. */
  vision?: VisionPresence;
  /** The microphone feeds the scribe: which session, transcribed by which device (protocol/common.ts). */
  scribe?: { session: string; by: string | null };
}

export interface MergeInput {
  selfId: string;
  roster: Member[];
  sessions: ReadonlyMap<string, PeerSession>;
  /** True when the hub's roster is current (hub reachable). */
  rosterLive: boolean;
  /** When the direct channel went quiet (local clock), or null while it is lively. */
  staleSince: (peerId: string) => number | null;
  now: number;
  graceMs: number;
}

export function mergeMembers(m: MergeInput): MemberView[] {
  const byId = new Map(m.roster.map((r) => [r.peerId, r]));
  const ids = new Set<string>([...byId.keys(), ...m.sessions.keys()]);
  ids.delete(m.selfId);
  const out: MemberView[] = [];
  for (const id of ids) {
    const s = m.sessions.get(id);
    const r = byId.get(id);
    if (s?.state === 'needs-update') {
      out.push({ peerId: id, name: r?.profile.name ?? `device ${id.slice(1, 5)}`, caps: r?.profile.caps ?? null, status: 'needs-update', direct: false, mic: false, servesVoice: false });
      continue;
    }
    if (s?.state === 'open' && s.profile) {
      const staleSince = m.staleSince(id);
      const stale = staleSince !== null;
      const status = memberStatus(
        { connected: !stale, visibility: s.profile.visibility, hiddenSince: s.hiddenSince, disconnectedAt: staleSince },
        m.now,
        AWAY_AFTER_MS,
        m.graceMs,
      );
      if (status !== 'gone') out.push({ peerId: id, name: s.profile.name, caps: s.profile.caps, status, direct: !stale, ...voiceOf(s.profile) });
      continue;
    }
    // No direct channel. While the hub is reachable its roster decides; while it is not, a
    // device we cannot reach directly is at best away.
    if (r && !(s?.saidBye)) out.push({ peerId: id, name: r.profile.name, caps: r.profile.caps, status: m.rosterLive ? r.status : 'away', direct: false, ...voiceOf(r.profile) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.peerId.localeCompare(b.peerId));
}

function voiceOf(p: Profile): Pick<MemberView, 'mic' | 'servesVoice' | 'scribe' | 'vision'> {
  return {
    mic: p.voice?.mic === 'live',
    servesVoice: p.voice?.serving ?? false,
    ...(p.vision ? { vision: p.vision } : {}),
    ...(p.voice?.scribe ? { scribe: p.voice.scribe } : {}),
  };
}
