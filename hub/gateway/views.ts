/** What the app and /display are shown of invitations and links (no tokens, no secrets). */
import { bannerText, type InvitationView, type LinkView } from '../../protocol/gateway.ts';
import type { InvitationRow } from './store.ts';
import type { LinkSession } from './link-session.ts';

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
