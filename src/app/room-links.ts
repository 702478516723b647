/**
 * The room's two live links, started once this device holds a credential: the room channel to
 * the hub (room/hub-connection.ts, its events in hub-events.ts) and the mesh to every other device
 * (mesh/mesh.ts, its events in mesh-events.ts). Stopping them (leaving, a refusal, the page going
 * away) says bye when asked to.
 */
import { deriveRoomKeys, signB64u, verifySig } from '../../protocol/crypto.ts';
import type { Profile } from '../../protocol/common.ts';
import type { JoinResponse } from '../../protocol/hub-api.ts';
import { HubConnection, type HubConnectionEvents } from '../room/hub-connection.ts';
import type { Identity } from '../room/identity.ts';
import { Mesh, type MeshEvents } from '../mesh/mesh.ts';
import type { AppDeps } from './deps.ts';
import { warmUpSignatures } from './lifecycle.ts';

export interface LinkContext {
  joined: JoinResponse;
  identity: Identity;
  secret: string;
  profile: () => Profile;
  token: () => Promise<string>;
  /** Who the hub says is in the room (the mesh dials them). */
  roster: () => string[];
}

export class RoomLinks {
  hub: HubConnection | null = null;
  mesh: Mesh | null = null;

  constructor(
    private readonly deps: Pick<AppDeps, 'openSocket' | 'createPeer' | 'setIceServers' | 'page'>,
    private readonly events: { hub: () => HubConnectionEvents; mesh: () => MeshEvents },
  ) {}

  /** Starts whichever link is not running. */
  start(c: LinkContext): void {
    const iceServers = c.joined.iceServers as RTCIceServer[];
    this.deps.setIceServers(iceServers);
    if (!this.hub) {
      this.hub = new HubConnection(this.deps.openSocket, this.deps.page.origin, c.joined.credential, c.profile, this.events.hub());
      this.hub.start();
    }
    if (!this.mesh) {
      const keys = deriveRoomKeys(c.secret);
      const me = { deviceId: c.identity.deviceId, publicKey: c.identity.publicKey, secretKey: c.identity.secretKey, meshKey: keys.meshKey, keyId: keys.keyId, kx: c.identity.kxAnnounce };
      this.mesh = new Mesh({ createPeer: this.deps.createPeer, origin: new URL(this.deps.page.origin), me, iceServers, profile: c.profile, token: c.token }, this.events.mesh());
      void this.mesh.start();
      this.mesh.setDesired(c.roster());
      // While the sockets open. A verify against a made-up key exercises the other code path;
      // its result does not matter.
      const key = c.identity.secretKey;
      setTimeout(() => warmUpSignatures(() => signB64u(key, 'warm-up'), (sig) => verifySig('A'.repeat(43), 'warm-up', sig)), 0);
    }
  }

  stop(sayBye: boolean): void {
    if (sayBye) this.hub?.bye();
    else this.hub?.stop();
    this.mesh?.stop(sayBye);
    this.hub = null;
    this.mesh = null;
  }

  /** The hub closed the room channel (the caller proves the secret again); a rotation ends the mesh too. */
  dropHub(alsoMesh: boolean): void {
    this.hub?.stop();
    this.hub = null;
    if (alsoMesh) {
      this.mesh?.stop(false);
      this.mesh = null;
    }
  }

  profileChanged(): void {
    this.hub?.sendProfile();
    this.mesh?.broadcastProfile();
  }

  /** Network back or page visible again: retry now, not at the next backoff. */
  nudge(): void {
    this.hub?.nudge();
    this.mesh?.nudge();
  }
}
