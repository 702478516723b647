/**
 * Nothing leaves the LAN, even by accident: every RTCPeerConnection this page creates gets the
 * room's own ICE servers (none by default) whatever its creator asked for. PeerJS, for one,
 * builds a probe connection at import time with Google STUN and PeerJS's cloud TURN servers.
 * Imported first in main.ts, before anything that could create a peer connection.
 */
let allowed: RTCIceServer[] = [];

export function setRoomIceServers(servers: RTCIceServer[]): void {
  allowed = servers;
}

function install(): void {
  const Original = globalThis.RTCPeerConnection;
  if (!Original || (Original as { osmoseGuarded?: boolean }).osmoseGuarded) return;
  class GuardedPeerConnection extends Original {
    static osmoseGuarded = true;
    constructor(config?: RTCConfiguration) {
      const asked = config?.iceServers ?? [];
      if (asked.length && JSON.stringify(asked) !== JSON.stringify(allowed)) {
        console.info('[osmose] ICE servers replaced by the room’s own (%d asked, %d allowed)', asked.length, allowed.length);
      }
      super({ ...config, iceServers: allowed });
    }
  }
  globalThis.RTCPeerConnection = GuardedPeerConnection;
}

install();
