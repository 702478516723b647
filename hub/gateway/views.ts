/** What the app and /display are shown of invitations and links (no tokens, no secrets). */
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { bannerText, type GatewayDisplay, type GatewayState, type InvitationView, type LinkView } from '../../protocol/gateway.ts';
import type { GatewayStore, InvitationRow } from './store.ts';
import type { LinkSession } from './link-session.ts';
import type { Ledger } from './ledger.ts';

export function invitationView(i: InvitationRow): InvitationView {
  return { id: i.id, scope: i.scope, label: i.label, access: i.access, expiresAt: i.expiresAt, multiUse: i.multiUse, uses: i.uses, createdByName: i.createdByName, createdAt: i.createdAt };
}

export function linkView(s: LinkSession): LinkView {
  const r = s.row;
  return {
    id: r.id,
    role: r.role,
    room: r.room,
    scope: r.scope,
    label: s.label,
    access: r.access,
    expiresAt: r.expiresAt,
    status: s.connected ? 'connected' : s.connectedAt === null && r.role === 'guest' ? 'connecting' : 'reconnecting',
    banner: bannerText(r.room.name, r.scope, s.label, r.access),
    remotePeople: s.remotePeople,
    ...(r.scope.kind === 'board' && r.role === 'guest' ? { board: s.remoteBoard } : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
  };
}

/** Ended links stay listed this long (the app shows why they ended). */
const ENDED_SHOWN_MS = 10 * 60_000;

/** What the app's gateway panel shows: links, open invitations, links ended lately, the ledger's count. */
export function gatewayState(sessions: LinkSession[], store: GatewayStore, ledger: Ledger, now: number): GatewayState {
  return {
    v: PROTOCOL_VERSION,
    links: sessions.map((s) => linkView(s)),
    invitations: store.openInvitations(now).map((i) => invitationView(i)),
    recentlyEnded: store.recentlyEnded(now - ENDED_SHOWN_MS).map((l) => ({ id: l.id, room: l.room, reason: l.endReason ?? 'ended', message: l.endMessage ?? '', at: l.endedAt ?? now })),
    ledger: ledger.summary(),
  };
}

/** What /display shows: each link's banner, the remote people, and the ledger's count. */
export function displayView(sessions: LinkSession[], ledger: Ledger): GatewayDisplay {
  return {
    links: sessions.map((s) => {
      const v = linkView(s);
      return { banner: v.banner, expiresAt: v.expiresAt, status: v.status, room: v.room.name, remotePeople: v.remotePeople };
    }),
    ledger: ledger.summary(),
  };
}
