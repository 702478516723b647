/** The accepting side of a link's handshake: our hello out, the welcome (or a typed refusal) back. */
import type { WebSocket, RawData } from 'ws';
import { decodeFrame } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { GATEWAY_LIMITS, GatewayFrame } from '../../protocol/gateway.ts';

/** Sends `hello` and waits for the welcome (with its size, for the byte count) or the refusal. */
export function handshake(ws: WebSocket, hello: string): Promise<Extract<GatewayFrame, { t: 'welcome' }> & { bytes: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (ws.terminate(), reject(new OsmoseError('timeout', "the other room's hub did not answer"))), GATEWAY_LIMITS.helloTimeoutMs);
    ws.once('message', (data: RawData) => {
      clearTimeout(timer);
      const decoded = decodeFrame(GatewayFrame, data.toString(), GATEWAY_LIMITS.frameBytes);
      if (!decoded.ok) return ws.terminate(), reject(new OsmoseError('bad-request', "the other room's hub answered with something malformed"));
      const msg = decoded.value;
      if (msg.t === 'welcome') return resolve({ ...msg, bytes: Buffer.byteLength(data.toString()) });
      ws.terminate();
      if (msg.t === 'error') return reject(new OsmoseError(msg.error.code, msg.error.message));
      reject(new OsmoseError('bad-request', "the other room's hub answered out of turn"));
    });
    ws.once('close', () => (clearTimeout(timer), reject(new OsmoseError('hub-unreachable', "the other room's hub closed the connection"))));
    ws.on('error', () => undefined);
    ws.send(hello);
  });
}
