/**
 * The app's composition root and view-model: the reactive state the views read (phase, hub and
 * signaling state, the room, who is here, each feature's state) and the controller that builds
 * and wires everything. Reading it top to bottom shows how the app fits together:
 *
 *   boot       identity, capabilities, the voice service, the room from storage or a join link
 *   enter      a JoinSession (join-session.ts) for the room, then its links and its features
 *   links      the room channel (room/hub-connection.ts, events: hub-events.ts) and the mesh
 *              (mesh/mesh.ts, events: mesh-events.ts, binary frames routed by kind: frame-router.ts)
 *   features   memory, room voice, files, gateway (features.ts), built per room
 *   lifecycle  backgrounded, network back, restored, leaving (lifecycle.ts)
 *
 * Everything the browser provides comes in through AppDeps (deps.ts), so unit tests run this in
 * Node against a real hub.
 */
import { deriveRoomKeys, signB64u, verifySig } from '../../protocol/crypto.ts';
import { parseJoinLink, joinUrl, type JoinTicket } from '../../protocol/join-link.ts';
import type { WireError } from '../../protocol/errors.ts';
import { CLOSE, type Member } from '../../protocol/room-channel.ts';
import type { Capabilities, Profile, RoomInfo } from '../../protocol/common.ts';
import type { JoinResponse } from '../../protocol/hub-api.ts';
import { loadBootState, saveRoom, forgetRoom, putSetting, requestPersistence, type StoredRoom } from '../platform/storage.ts';
import { HubHttp, type Credential } from '../platform/hub-http.ts';
import { loadOrCreateIdentity, type Identity } from '../room/identity.ts';
import { joinRoom } from '../room/join-api.ts';
import { HubConnection, type HubLinkState } from '../room/hub-connection.ts';
import { mergeMembers, type MemberView } from '../room/members.ts';
import { Mesh } from '../mesh/mesh.ts';
import { deleteStoredMemory } from '../memory/doc-store.ts';
import type { RoomMemoryState } from '../memory/room-memory.svelte.ts';
import type { FilesState } from '../files/files.svelte.ts';
import type { RoomVoiceState } from '../voice/room-voice.svelte.ts';
import type { GatewayState } from '../gateway/gateway.svelte.ts';
import { VoiceService } from '../voice/voice-service.svelte.ts';
import { runtimeEngine } from '../voice/engine.ts';
import type { AppDeps } from './deps.ts';
import { Clock } from './clock.svelte.ts';
import { JoinSession } from './join-session.ts';
import { hubEvents } from './hub-events.ts';
import { meshEvents } from './mesh-events.ts';
import { closeRoomFeatures, openRoomFeatures, type RoomFeatures } from './features.ts';
import { warmUpSignatures, type LifecycleHandlers } from './lifecycle.ts';

export type Phase = 'loading' | 'no-room' | 'room' | 'refused';

export class RoomApp {
  phase = $state<Phase>('loading');
  hub = $state<HubLinkState>('connecting');
  signaling = $state<'connecting' | 'online' | 'offline'>('connecting');
  refusal = $state<WireError | null>(null);
  room = $state<RoomInfo | null>(null);
  deviceId = $state('');
  name = $state('');
  caps = $state<Capabilities | null>(null);
  roster = $state.raw<Member[]>([]);
  /** The room's features; null outside a room (and while its memory loads from storage). */
  features = $state.raw<RoomFeatures | null>(null);
  /** This device's microphone and voice compute (created at boot, one per device). */
  voice = $state.raw<VoiceService | null>(null);
  shareUrl = $state<string | null>(null);
  readonly clock = new Clock();
  /** Bumped when the mesh changes; the members list depends on it. */
  private meshVersion = $state(0);

  private identity: Identity | null = null;
  private session: JoinSession | null = null;
  private hubConn: HubConnection | null = null;
  private meshLink: Mesh | null = null;
  private visibility: Profile['visibility'];
  private visibilitySince = Date.now();
  private opening: string | null = null;
  private stopLifecycle: (() => void) | null = null;
  readonly http: HubHttp;

  constructor(private readonly deps: AppDeps) {
    this.visibility = deps.device.visibility();
    this.http = new HubHttp({ origin: deps.page.origin, fetch: deps.fetch, credential: () => this.credential() });
  }

  get memory(): RoomMemoryState | null {
    return this.features?.memory ?? null;
  }
  get files(): FilesState | null {
    return this.features?.files ?? null;
  }
  get roomVoice(): RoomVoiceState | null {
    return this.features?.roomVoice ?? null;
  }
  get gateway(): GatewayState | null {
    return this.features?.gateway ?? null;
  }
  /** The mesh while the room's links run (diagnostics measure round trips on it). */
  get mesh(): Mesh | null {
    return this.meshLink;
  }

  members = $derived.by<MemberView[]>(() => {
    void this.meshVersion;
    const mesh = this.meshLink;
    return mergeMembers({
      selfId: this.deviceId,
      roster: this.roster,
      sessions: mesh?.sessions ?? new Map(),
      rosterLive: this.hub === 'online',
      staleSince: (id) => (mesh ? mesh.staleSince(id) : 0),
      now: this.clock.now,
      graceMs: (this.session?.joined?.graceSeconds ?? 120) * 1000,
    });
  });

  /** Starts the app: identity, a join link in the address bar, the stored room. */
  async boot(): Promise<void> {
    this.clock.start();
    // Capabilities are not needed to join: they follow in a profile update when known.
    void this.deps.device.capabilities().then((caps) => {
      this.caps = caps;
      this.profileChanged();
    });
    // Plugged in or not decides whether this device offers voice compute and where its own
    // microphone runs on "automatically".
    this.deps.device.watchBattery((battery) => {
      if (this.caps) this.caps = { ...this.caps, battery };
      this.profileChanged();
      this.voice?.peersChanged();
    });
    const boot = await loadBootState();
    this.identity = await loadOrCreateIdentity(boot.identity);
    this.deviceId = this.identity.deviceId;
    this.voice = this.createVoice();
    this.name = boot.displayName ?? this.deps.device.defaultName(this.deviceId);
    const fromLink = parseJoinLink(this.deps.page.hash());
    let stored = boot.room;
    if (fromLink) stored = await this.adoptTicket(fromLink, stored);
    else if (this.deps.page.hash()) this.deps.page.clearFragment();
    this.stopLifecycle = this.deps.listenToLifecycle(this.lifecycle());
    if (!stored) {
      this.phase = 'no-room';
      return;
    }
    this.enter(stored);
  }

  /** A join link from the address bar or the scanner. */
  async useJoinLink(text: string): Promise<boolean> {
    const ticket = parseJoinLink(text);
    if (!ticket) return false;
    this.stopLinks(false);
    this.enter(await this.adoptTicket(ticket, this.session?.room));
    return true;
  }

  async rename(name: string): Promise<void> {
    const clean = name.trim().slice(0, 40);
    if (!clean) return;
    this.name = clean;
    await putSetting('displayName', clean);
    this.profileChanged();
    this.memory?.nameChanged();
  }

  /** Leave the room and forget its secret (scan the QR code to come back). */
  async leave(): Promise<void> {
    const roomId = this.session?.ticket.roomId;
    this.voice?.stop();
    this.voiceStarted = false;
    this.stopLinks(true);
    this.session?.stop();
    this.session = null;
    await this.closeFeatures();
    // Leaving forgets the room on this device: its secret and its memory.
    if (roomId) await Promise.all([forgetRoom(roomId), deleteStoredMemory(roomId)]);
    this.room = null;
    this.roster = [];
    this.shareUrl = null;
    this.phase = 'no-room';
  }

  /** This device's room credential, for the hub's APIs (files, gateway). */
  credential = (): Promise<Credential> => {
    if (!this.session) return Promise.reject(new Error('not in a room'));
    return this.session.credential();
  };

  /** Stops everything this app started (timers, listeners, links); the page is going away. */
  async dispose(): Promise<void> {
    this.clock.stop();
    this.stopLifecycle?.();
    this.voice?.stop();
    this.stopLinks(false);
    this.session?.stop();
    await this.closeFeatures();
  }

  // ---- called by the event tables (hub-events.ts, mesh-events.ts) ----------------------------

  setRoster(members: Member[]): void {
    this.roster = members;
    this.meshLink?.setDesired(members.map((m) => m.peerId));
  }

  meshChanged(): void {
    this.meshVersion++;
  }

  /** The hub closed the room channel for a reason: rejoin (expired credential, rotation) or stop. */
  async hubRefused(error: WireError, code: number): Promise<void> {
    if (code === CLOSE.protocolVersion) return this.refuse({ code: 'protocol-version', message: 'This app and the hub speak different versions: reload to update.' });
    if (code === CLOSE.replaced) return this.refuse({ code: 'evicted', message: 'This room is open in another tab or window of this browser.' });
    // Credential expired, or the secret was rotated: prove the secret again. If ours is the old
    // one the hub says so, and we stop.
    this.hubConn?.stop();
    this.hubConn = null;
    if (error.code === 'secret-rotated') {
      this.meshLink?.stop(false);
      this.meshLink = null;
    }
    this.session?.forget();
    await this.session?.connect();
  }

  // ---- entering a room -----------------------------------------------------------------------

  private voiceStarted = false;

  private async adoptTicket(ticket: JoinTicket, prev: StoredRoom | undefined): Promise<StoredRoom> {
    const same = prev?.roomId === ticket.roomId && prev.secret === ticket.secret ? prev : undefined;
    const known = prev?.roomId === ticket.roomId;
    const room: StoredRoom = same ?? { roomId: ticket.roomId, secret: ticket.secret, name: known ? prev.name : null, place: known ? prev.place : null, joinedAt: Date.now() };
    if (!same) await saveRoom(room);
    this.deps.page.clearFragment();
    void requestPersistence();
    return room;
  }

  private enter(stored: StoredRoom): void {
    if ((this.features?.memory.roomId ?? this.opening) !== stored.roomId) void this.openFeatures(stored.roomId);
    this.session?.stop();
    this.session = new JoinSession(stored, { deviceId: this.deviceId, join: (t) => joinRoom(this.http, t, this.identity!), save: saveRoom }, {
      credential: (joined) => this.useJoin(joined),
      connected: () => this.startLinks(),
      retrying: () => void (this.hub = 'unreachable'),
      refused: (error) => this.refuse(error),
    });
    this.room = { id: stored.roomId, name: stored.name ?? 'Room', place: stored.place ?? '' };
    this.phase = 'room';
    this.refusal = null;
    this.shareUrl = null;
    this.gateway?.start();
    if (!this.voiceStarted) {
      this.voiceStarted = true;
      void this.voice?.start();
    }
    this.session.enter();
  }

  private useJoin(joined: JoinResponse): void {
    this.room = joined.room;
    this.hubConn?.setCredential(joined.credential);
    const host = this.deps.page.hostname.includes(':') ? `[${this.deps.page.hostname}]` : this.deps.page.hostname;
    this.shareUrl = joinUrl(`http://${host}:${joined.httpPort}`, this.session!.ticket);
  }

  private refuse(error: WireError): void {
    this.stopLinks(false);
    this.session?.stop();
    this.gateway?.stop();
    this.refusal = error;
    this.phase = 'refused';
  }

  // ---- links ---------------------------------------------------------------------------------

  private startLinks(): void {
    const joined = this.session?.joined;
    const identity = this.identity;
    if (!joined || !identity) return;
    const keys = deriveRoomKeys(this.session!.ticket.secret);
    const iceServers = joined.iceServers as RTCIceServer[];
    this.deps.setIceServers(iceServers);
    if (!this.hubConn) {
      this.hubConn = new HubConnection(this.deps.openSocket, this.deps.page.origin, joined.credential, () => this.profile(), hubEvents(this));
      this.hubConn.start();
    }
    if (!this.meshLink) {
      const me = { deviceId: identity.deviceId, publicKey: identity.publicKey, secretKey: identity.secretKey, meshKey: keys.meshKey, keyId: keys.keyId };
      const token = async () => (await this.credential()).token;
      this.meshLink = new Mesh({ createPeer: this.deps.createPeer, origin: new URL(this.deps.page.origin), me, iceServers, profile: () => this.profile(), token }, meshEvents(this));
      void this.meshLink.start();
      this.meshLink.setDesired(this.roster.map((m) => m.peerId));
      // While the sockets open. A verify against a made-up key exercises the other code path;
      // its result does not matter.
      setTimeout(() => warmUpSignatures(() => signB64u(identity.secretKey, 'warm-up'), (sig) => verifySig('A'.repeat(43), 'warm-up', sig)), 0);
    }
  }

  private stopLinks(sayBye: boolean): void {
    if (sayBye) this.hubConn?.bye();
    else this.hubConn?.stop();
    this.meshLink?.stop(sayBye);
    this.hubConn = null;
    this.meshLink = null;
    this.meshVersion++;
  }

  private profile(): Profile {
    return {
      name: this.name,
      caps: this.caps ?? this.deps.device.unknownCapabilities(),
      visibility: this.visibility,
      visibilitySince: this.visibilitySince,
      ...(this.voice ? { voice: this.voice.presence() } : {}),
    };
  }

  private profileChanged(): void {
    this.hubConn?.sendProfile();
    this.meshLink?.broadcastProfile();
  }

  // ---- features ------------------------------------------------------------------------------

  private createVoice(): VoiceService {
    return new VoiceService({
      deviceId: this.deviceId,
      engine: runtimeEngine(this.deps.inference),
      send: (to, msg) => this.meshLink?.sendVoice(to, msg) ?? false,
      sendAudio: (to, frame) => this.meshLink?.sendBinary(frame, to),
      candidates: () =>
        (this.meshLink?.openPeers() ?? []).map((peerId) => {
          const p = this.meshLink?.profileOf(peerId);
          return { peerId, voice: p?.voice, visible: p?.visibility !== 'hidden' };
        }),
      room: () => this.roomVoice,
      presenceChanged: () => this.profileChanged(),
      onBattery: () => (this.caps?.battery ? !this.caps.battery.charging : null),
      openMicrophone: this.deps.openMicrophone,
    });
  }

  private async openFeatures(roomId: string): Promise<void> {
    await this.closeFeatures();
    this.opening = roomId;
    const features = await openRoomFeatures(roomId, {
      deviceId: this.deviceId,
      name: () => this.name,
      http: this.http,
      chunkStore: this.deps.chunkStore,
      hasher: this.deps.hasher,
      sendToHub: (frame) => this.hubConn?.sendBinary(frame) ?? false,
      sendToPeer: (peerId, frame) => this.meshLink?.sendBinary(frame, peerId),
      openBulk: (peerId, label) => this.meshLink?.openBulk(peerId, label) ?? null,
      openPeers: () => this.meshLink?.openPeers() ?? [],
    }, () => this.opening !== roomId);
    if (!features) return;
    this.opening = null;
    this.features = features;
    // Links that came up while the memory was loading.
    if (this.hub === 'online') features.memory.hubUp();
    for (const id of this.meshLink?.openPeers() ?? []) features.memory.peerUp(id);
    if (this.phase === 'room') features.gateway.start();
  }

  private async closeFeatures(): Promise<void> {
    this.opening = null;
    const f = this.features;
    this.features = null;
    if (f) await closeRoomFeatures(f);
  }

  // ---- the page's lifecycle ------------------------------------------------------------------

  private lifecycle(): LifecycleHandlers {
    return {
      visibility: (state) => {
        this.visibility = state;
        this.visibilitySince = Date.now();
        this.profileChanged();
      },
      nudge: () => this.nudge(),
      restored: () => {
        if (this.phase === 'room' && this.session) void this.session.connect();
      },
      leaving: () => {
        // Tell the room now rather than letting it time out, and save what is queued.
        void this.memory?.flush();
        if (this.phase === 'room') this.stopLinks(true);
      },
    };
  }

  /** Network back or page visible again: retry now, not at the next backoff. */
  private nudge(): void {
    if (this.phase !== 'room') return;
    if (this.session?.retrying) void this.session.connect();
    this.hubConn?.nudge();
    this.meshLink?.nudge();
  }
}

