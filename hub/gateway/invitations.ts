/**
 * Invitations at the inviting hub: made by a member, stored as a hash of their one-time token,
 * and checked when another room's hub presents one. Each refusal has its own code and a message
 * that says what to do.
 */
import { randomBytes } from 'node:crypto';
import type * as Y from 'yjs';
import { OsmoseError } from '../../protocol/errors.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { type CreateInvitationRequest, type InvitationPayload } from '../../protocol/gateway.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { GatewayStore, InvitationRow } from './store.ts';
import { invitationScopeProblem, scopeExists, scopeLabel } from './scope.ts';
import { sha256Hex } from './pinned-dial.ts';

export const newId = (prefix: 'i' | 'l') => prefix + randomBytes(12).toString('hex');
export const newToken = () => randomBytes(32).toString('base64url');

export interface Inviter {
  room: RoomInfo;
  host: string;
  port: number;
  fingerprint: string;
}

/** Makes an invitation; returns the stored row and the payload (the only place the token exists). */
export function createInvitation(
  store: GatewayStore,
  doc: Y.Doc,
  req: CreateInvitationRequest,
  by: { deviceId: string; name: string },
  inviter: Inviter,
  now: number,
): { row: InvitationRow; payload: InvitationPayload } {
  const problem = invitationScopeProblem(doc, req.scope, req.access);
  if (problem) throw new OsmoseError('invitation-scope', `cannot invite to that: ${problem}`);
  const token = newToken();
  const row: InvitationRow = {
    id: newId('i'),
    tokenHash: sha256Hex(token),
    scope: req.scope,
    label: scopeLabel(doc, req.scope),
    access: req.access,
    expiresAt: now + req.expiresInMinutes * 60_000,
    multiUse: req.multiUse,
    uses: 0,
    createdBy: by.deviceId,
    createdByName: by.name,
    createdAt: now,
    revokedAt: null,
  };
  store.addInvitation(row);
  const payload: InvitationPayload = {
    v: PROTOCOL_VERSION,
    id: row.id,
    host: inviter.host,
    port: inviter.port,
    fp: inviter.fingerprint,
    token,
    room: inviter.room,
    scope: row.scope,
    label: row.label,
    access: row.access,
    expiresAt: row.expiresAt,
    multiUse: row.multiUse,
  };
  return { row, payload };
}

/**
 * The check when another room's hub presents a token. Order matters for the message: a token
 * this hub never made is forged; then withdrawn or expired; then this room already has it
 * (replayed); then someone else used it up; then the shared item must still exist.
 */
export function checkToken(store: GatewayStore, doc: Y.Doc, token: string, fromRoom: RoomInfo, selfRoomId: string, now: number): InvitationRow {
  const inv = store.invitationByTokenHash(sha256Hex(token));
  if (!inv) throw new OsmoseError('invitation-forged', 'this hub never made that invitation (the code is forged or mistyped)');
  if (inv.revokedAt !== null) throw new OsmoseError('invitation-expired', 'that invitation was withdrawn by the room that made it');
  if (inv.expiresAt <= now) throw new OsmoseError('invitation-expired', 'that invitation has expired; ask for a new one');
  if (fromRoom.id === selfRoomId) throw new OsmoseError('invitation-scope', 'a room cannot connect to itself');
  if (store.inviterLinksFromRoom(inv.id, fromRoom.id).length > 0) throw new OsmoseError('invitation-replayed', 'your room already accepted this invitation; ask for a new one to connect again');
  if (!inv.multiUse && inv.uses > 0) throw new OsmoseError('invitation-used', 'that invitation was for one room only, and another room already accepted it');
  if (!scopeExists(doc, inv.scope)) throw new OsmoseError('invitation-scope', 'what that invitation shares is no longer in the room');
  return inv;
}
