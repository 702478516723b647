/** The accepting side of a link's handshake: our hello out, the welcome (or a typed refusal) back. */
import type { WebSocket, RawData } from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { GATEWAY_LIMITS, GatewayFrame, GW_CLOSE } from '../../protocol/gateway.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { LINK_ITEM, type Ledger, type LedgerContext } from './ledger.ts';
import { log } from '../support/log.ts';

type HelloAuth = Extract<GatewayFrame, { t: 'hello' }>['auth'];

/** The first frame of every connection this hub opens: this room, and the invitation's token or the link's credential. */
export function helloText(room: RoomInfo, auth: HelloAuth): string {
  return encodeFrame({ v: PROTOCOL_VERSION, t: 'hello', room, auth } satisfies GatewayFrame);
}

/**
 * Sends `hello` and waits for the welcome (and the frames right behind it) or the refusal.
 * `record` puts the hello in the ledger first; if it throws, nothing is sent and the socket goes.
 */
export function handshake(ws: WebSocket, hello: string, record: () => void): Promise<Extract<GatewayFrame, { t: 'welcome' }> & { backlog: RawData[] }> {
  try {
    record();
  } catch (err) {
    ws.terminate();
    return Promise.reject(err instanceof OsmoseError ? err : new OsmoseError('internal', 'the ledger could not record the handshake; nothing was sent'));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (reject(new OsmoseError('timeout', "the other room's hub did not answer")), ws.terminate()), GATEWAY_LIMITS.helloTimeoutMs);
    // The other hub starts its catch-up right after the welcome, and ws may hand us those frames
    // in the same tick, before the caller has its own handler in place: keep them for it.
    const backlog: RawData[] = [];
    let answered = false;
    ws.on('message', (data: RawData) => {
      if (answered) return void backlog.push(data);
      answered = true;
      clearTimeout(timer);
      const decoded = decodeFrame(GatewayFrame, data.toString(), GATEWAY_LIMITS.frameBytes);
      const msg = decoded.ok ? decoded.value : null;
      if (msg?.t === 'welcome') return resolve({ ...msg, backlog });
      // The refusal first, then the socket (its close must not win the race with the reason).
      if (!msg) reject(new OsmoseError('bad-request', "the other room's hub answered with something malformed"));
      else if (msg.t === 'error') reject(new OsmoseError(msg.error.code, msg.error.message));
      else reject(new OsmoseError('bad-request', "the other room's hub answered out of turn"));
      ws.terminate();
    });
    ws.once('close', () => (clearTimeout(timer), reject(new OsmoseError('hub-unreachable', "the other room's hub closed the connection"))));
    ws.on('error', () => undefined);
    ws.send(hello);
  });
}

/**
 * The accepting hub's first handshake. The hello (room, token) is recorded before it leaves, in a
 * row of its own under the invitation (`attempt`, no link); the link claims that row once the
 * welcome names it, unless the id is one this hub already holds (`fresh` false: never taken from
 * the other hub). A refused or unanswered attempt stays in the ledger under the invitation.
 */
export async function firstHandshake(ws: WebSocket, hello: string, ledger: Ledger, attempt: LedgerContext, isFresh: (linkId: string) => boolean) {
  let row = 0;
  const welcome = await handshake(ws, hello, () => void (row = ledger.recordText(attempt, LINK_ITEM, 'handshake (this room’s name and the invitation token)', hello, true)));
  const fresh = isFresh(welcome.linkId);
  if (fresh) ledger.claim(row, welcome.linkId);
  return { welcome, fresh };
}

/** A welcome that differs from the invitation: the inviting hub is told (recorded first), so its side ends too. */
export function refuseWelcome(ws: WebSocket, ledger: Ledger, ctx: LedgerContext): void {
  const end = encodeFrame({ v: PROTOCOL_VERSION, t: 'end', reason: 'violation', message: 'the invitation said something else; refused by the accepting room' } satisfies GatewayFrame);
  try {
    ledger.recordText(ctx, LINK_ITEM, 'end of the connection', end);
    ws.send(end);
  } catch (err) {
    log.error('gateway: could not record an end in the ledger; not sending it', { error: (err as Error).message });
  }
  ws.close(GW_CLOSE.refused, 'invitation-scope');
}
