/** The accepting side of a link's handshake: our hello out, the welcome (or a typed refusal) back. */
import type { WebSocket, RawData } from 'ws';
import { decodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { GATEWAY_LIMITS, GatewayFrame } from '../../protocol/gateway.ts';

/**
 * Sends `hello` and waits for the welcome (with its size, for the byte count) or the refusal.
 * `record` puts the hello in the ledger first; if it throws, nothing is sent and the socket goes.
 */
export function handshake(ws: WebSocket, hello: string, record: () => void): Promise<Extract<GatewayFrame, { t: 'welcome' }> & { bytes: number; backlog: RawData[] }> {
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
      if (msg?.t === 'welcome') return resolve({ ...msg, bytes: Buffer.byteLength(data.toString()), backlog });
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
