/**
 * The ledger's context for a refusal this hub sends on its /gateway socket. A refusal leaves the
 * room too (an ended link's refusal carries its end message, which may name a member), so it is
 * recorded like every other frame: under the link or invitation the other hub proved it holds,
 * else under no link, no invitation and no room (a stranger learns only the error code).
 */
import type { WebSocket } from 'ws';
import { describeScope, GW_CLOSE, type GatewayFrame } from '../../protocol/gateway.ts';
import { encodeFrame } from '../../protocol/codec.ts';
import type { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { log } from '../support/log.ts';
import { LINK_ITEM, type Ledger } from './ledger.ts';
import { safeEqual } from '../../protocol/crypto.ts';
import type { LedgerContext } from './ledger.ts';
import type { GatewayStore } from './store.ts';
import { sha256Hex } from './pinned-dial.ts';

const STRANGER: LedgerContext = { linkId: null, invitationId: null, scope: 'no connection (refused)', toRoom: null };

export function refusalContext(store: GatewayStore, hello: GatewayFrame | null): LedgerContext {
  if (hello?.t !== 'hello') return STRANGER;
  if (hello.auth.kind === 'link') {
    const row = store.link(hello.auth.linkId);
    if (!row || row.role !== 'inviter' || !safeEqual(sha256Hex(hello.auth.secret), row.secret)) return STRANGER;
    return { linkId: row.id, invitationId: row.invitationId, scope: describeScope(row.scope, row.label, row.access), toRoom: row.room };
  }
  const inv = store.invitationByTokenHash(sha256Hex(hello.auth.token));
  if (!inv) return STRANGER;
  return { linkId: null, invitationId: inv.id, scope: describeScope(inv.scope, inv.label, inv.access), toRoom: hello.room };
}

/** Refuses a connection on /gateway: the error frame (recorded first; not sent if it cannot be), then the close. */
export function sendRefusal(ws: WebSocket, ledger: Ledger, store: GatewayStore, hello: GatewayFrame | null, err: OsmoseError): void {
  if (ws.readyState === ws.OPEN) {
    const text = encodeFrame({ v: PROTOCOL_VERSION, t: 'error', error: err.toWire() } satisfies GatewayFrame);
    try {
      ledger.recordText(refusalContext(store, hello), LINK_ITEM, `refusal (${err.code})`, text);
      ws.send(text);
    } catch (e) {
      log.error('gateway: could not record a refusal in the ledger; not sending it', { error: (e as Error).message });
    }
  }
  ws.close(GW_CLOSE.refused, err.code);
}

/** A first connection (an invitation's token): its link exists only from this hello on. */
export function firstConnection(hello: GatewayFrame | null): boolean {
  return hello?.t === 'hello' && hello.auth.kind === 'invitation';
}
