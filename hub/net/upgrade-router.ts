/**
 * Routes WebSocket upgrades by path. One router for both servers, so a single `ws` server per
 * purpose is shared by HTTP and HTTPS (two servers attached directly would break each other).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { API } from '../../protocol/hub-api.ts';
import { isLanAddress } from './lan-guard.ts';
import { refuseUpgrade } from './upgrade-response.ts';
import { requestHostAllowed, WRONG_HOST_MESSAGE, type KnownHosts } from './host-guard.ts';
import type { RoomChannel } from '../room/room-channel.ts';
import type { Signaling } from '../signaling/server.ts';
import { log } from '../support/log.ts';
import { GATEWAY_PATH } from '../../protocol/gateway.ts';
import type { Gateway } from '../gateway/gateway.ts';

export function upgradeRouter(room: RoomChannel, signaling: Signaling, hosts: KnownHosts, gateway: Gateway) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => log.warn('upgrade socket error', { error: err.message }));
    if (!isLanAddress(req.socket.remoteAddress)) {
      return refuseUpgrade(socket, 403, { code: 'not-lan', message: "only devices on this room's local network may connect" });
    }
    // A page that rebound its own name to the hub's address says that name here: not ours.
    if (!requestHostAllowed(hosts, req)) return refuseUpgrade(socket, 421, { code: 'wrong-host', message: WRONG_HOST_MESSAGE });
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === API.roomSocket) return room.handleUpgrade(req, socket, head);
    if (pathname === GATEWAY_PATH) return gateway.handleUpgrade(req, socket, head);
    if (pathname === `${API.signalingPath}peerjs`) {
      signaling.handleUpgrade(req, socket, head).catch((err: Error) => {
        log.error('signaling upgrade failed', { error: err.message });
        socket.destroy();
      });
      return;
    }
    refuseUpgrade(socket, 404, { code: 'not-found', message: 'no WebSocket here' });
  };
}
