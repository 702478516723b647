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
 * (~320 lines: this is where every feature meets; each piece it calls is its own small file.)
 *
 * (~360 lines: the app's one composition root; each feature is built in features.ts and each event
 * table in its own file, so what stays is the join/enter/leave lifecycle and the view-model.)
 */
import { parseJoinLink, joinUrl } from '../../protocol/join-link.ts';
import type { WireError } from '../../protocol/errors.ts';
import { CLOSE, type Member } from '../../protocol/room-channel.ts';
import type { Capabilities, Profile, RoomInfo } from '../../protocol/common.ts';
import type { ChallengeResponse, JoinResponse } from '../../protocol/hub-api.ts';
import { loadBootState, saveRoom, forgetRoom, putSetting, type StoredRoom } from '../platform/storage.ts';
import { HubHttp, type Credential } from '../platform/hub-http.ts';
import { loadOrCreateIdentity, type Identity } from '../room/identity.ts';
import { joinRoom, requestChallenge } from '../room/join-api.ts';
import type { HubLinkState } from '../room/hub-connection.ts';
import { mergeMembers, type MemberView } from '../room/members.ts';
import type { Mesh } from '../mesh/mesh.ts';
import { deleteStoredMemory } from '../memory/doc-store.ts';
import type { RoomMemoryState } from '../memory/room-memory.svelte.ts';
import type { FilesState } from '../files/files.svelte.ts';
import type { RoomVoiceState } from '../voice/room-voice.svelte.ts';
import type { GatewayState } from '../gateway/gateway.svelte.ts';
import type { ScribeState } from '../scribe/scribe.svelte.ts';
import type { VoiceService } from '../voice/voice-service.svelte.ts';
import type { VisionService } from '../vision/vision-service.svelte.ts';
import type { RoomVisionState } from '../vision/room-vision.svelte.ts';
import type { AppDeps } from './deps.ts';
import { Clock } from './clock.svelte.ts';
import { JoinSession, adoptTicket, reusableJoin, ticketRoom } from './join-session.ts';
import { hubEvents } from './hub-events.ts';
import { meshEvents } from './mesh-events.ts';
import { closeRoomFeatures, createVisionService, createVoiceService, featureContext, openRoomFeatures, type RoomFeatures } from './features.ts';
import { lifecycleEvents } from './lifecycle.ts';
import { RoomLinks } from './room-links.ts';
import { isRouteHash } from './shell/route.ts';

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
  /** This device's camera and vision compute (created at boot, one per device). */
  vision = $state.raw<VisionService | null>(null);
  shareUrl = $state<string | null>(null);
  readonly clock = new Clock();
  /** Bumped when the mesh changes; the members list depends on it. */
  private meshVersion = $state(0);

  private identity: Identity | null = null;
  private session: JoinSession | null = null;
  private readonly links: RoomLinks;
  private visibility: Profile['visibility'];
  private visibilitySince = Date.now();
  private opening: string | null = null;
  private stopLifecycle: (() => void) | null = null;
  readonly http: HubHttp;

  constructor(private readonly deps: AppDeps) {
    this.visibility = deps.device.visibility();
    this.http = new HubHttp({ origin: deps.page.origin, fetch: deps.fetch, credential: () => this.credential() });
    this.links = new RoomLinks(deps, { hub: () => hubEvents(this), mesh: () => meshEvents(this) });
  }

  get memory(): RoomMemoryState | null { return this.features?.memory ?? null; }
  get files(): FilesState | null { return this.features?.files ?? null; }
  get roomVoice(): RoomVoiceState | null { return this.features?.roomVoice ?? null; }
  get roomVision(): RoomVisionState | null { return this.features?.roomVision ?? null; }
  get gateway(): GatewayState | null { return this.features?.gateway ?? null; }
  get scribe(): ScribeState | null { return this.features?.scribe ?? null; }
  /** The mesh while the room's links run (diagnostics measure round trips on it). */
  get mesh(): Mesh | null { return this.links.mesh; }

  members = $derived.by<MemberView[]>(() => {
    void this.meshVersion;
    const mesh = this.links.mesh;
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
    const fromLink = parseJoinLink(this.deps.page.hash());
    // Without a credential to reuse (a new device, a new room), the hub's challenge is asked for
    // now: its round trip overlaps with making the identity and keeping the room.
    const room = fromLink ? ticketRoom(fromLink, boot.room).room : boot.room;
    if (room && !reusableJoin(room, boot.identity?.deviceId)) this.challenge = requestChallenge(this.http);
    this.challenge?.catch(() => undefined); // its failure is the first join attempt's, retried there
    this.identity = await loadOrCreateIdentity(boot.identity);
    this.deviceId = this.identity.deviceId;
    this.voice = createVoiceService(this, this.deps);
    this.vision = createVisionService(this, this.deps);
    this.name = boot.displayName ?? this.deps.device.defaultName(this.deviceId);
    const adopted = fromLink ? adoptTicket(fromLink, boot.room, this.deps.page) : null;
    // A route (`#/files`, app/shell/route.ts) stays; anything else may hold a secret.
    if (!fromLink && this.deps.page.hash() && !isRouteHash(this.deps.page.hash())) this.deps.page.clearFragment();
    this.stopLifecycle = this.deps.listenToLifecycle(lifecycleEvents(this));
    const stored = adopted?.room ?? boot.room;
    if (!stored) {
      this.phase = 'no-room';
      return;
    }
    this.enter(stored);
    await adopted?.saved;
  }

  /** A join link from the address bar or the scanner. */
  async useJoinLink(text: string): Promise<boolean> {
    const ticket = parseJoinLink(text);
    if (!ticket) return false;
    this.stopLinks(false);
    const adopted = adoptTicket(ticket, this.session?.room, this.deps.page);
    this.enter(adopted.room);
    await adopted.saved;
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
    this.vision?.stop();
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
    this.vision?.stop();
    this.stopLinks(false);
    this.session?.stop();
    await this.closeFeatures();
  }

  // ---- called by the event tables (hub-events.ts, mesh-events.ts) ----------------------------

  setRoster(members: Member[]): void {
    this.roster = members;
    this.links.mesh?.setDesired(members.map((m) => m.peerId));
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
    this.links.dropHub(error.code === 'secret-rotated');
    this.session?.forget();
    await this.session?.connect();
  }

  // ---- entering a room -----------------------------------------------------------------------

  private voiceStarted = false;
  /** A challenge asked for at boot, for the first proof only (a retry asks for a fresh one). */
  private challenge: Promise<ChallengeResponse> | null = null;

  private takeChallenge(): Promise<ChallengeResponse> | undefined {
    const c = this.challenge ?? undefined;
    this.challenge = null;
    return c;
  }

  private enter(stored: StoredRoom): void {
    if ((this.features?.memory.roomId ?? this.opening) !== stored.roomId) void this.openFeatures(stored.roomId);
    this.session?.stop();
    this.session = new JoinSession(stored, { deviceId: this.deviceId, join: (t) => joinRoom(this.http, t, this.identity!, this.takeChallenge()), save: saveRoom }, {
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
      void this.vision?.start();
    }
    this.session.enter();
  }

  private useJoin(joined: JoinResponse): void {
    this.room = joined.room;
    this.links.hub?.setCredential(joined.credential);
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
    const session = this.session;
    if (!session?.joined || !this.identity) return;
    this.links.start({
      joined: session.joined,
      identity: this.identity,
      secret: session.ticket.secret,
      profile: () => this.profile(),
      token: async () => (await this.credential()).token,
      roster: () => this.roster.map((m) => m.peerId),
    });
  }

  stopLinks(sayBye: boolean): void {
    this.links.stop(sayBye);
    this.meshVersion++;
  }

  /** What this device tells the room about itself (room channel and mesh). */
  profile(): Profile {
    return {
      name: this.name,
      caps: this.caps ?? this.deps.device.unknownCapabilities(),
      visibility: this.visibility,
      visibilitySince: this.visibilitySince,
      ...(this.voice ? { voice: this.voice.presence() } : {}),
      ...(this.vision ? { vision: this.vision.presence() } : {}),
    };
  }

  profileChanged(): void {
    this.links.profileChanged();
  }

  // ---- features ------------------------------------------------------------------------------

  private async openFeatures(roomId: string): Promise<void> {
    await this.closeFeatures();
    this.opening = roomId;
    const features = await openRoomFeatures(roomId, featureContext(this, this.links, this.deps, this.identity!), () => this.opening !== roomId);
    if (!features) return;
    features.roomVision.onFacesChanged = () => this.vision?.templatesChanged();
    this.opening = null;
    this.features = features;
    // Links that came up while the memory was loading.
    if (this.hub === 'online') features.memory.hubUp();
    for (const id of this.links.mesh?.openPeers() ?? []) features.memory.peerUp(id);
    if (this.phase === 'room') features.gateway.start();
  }

  private async closeFeatures(): Promise<void> {
    this.opening = null;
    const f = this.features;
    this.features = null;
    if (f) await closeRoomFeatures(f);
  }

  // ---- the page's lifecycle (lifecycle.ts) ----------------------------------------------------

  visibilityChanged(state: 'visible' | 'hidden'): void {
    this.visibility = state;
    this.visibilitySince = Date.now();
    this.profileChanged();
  }

  /** Network back or page visible again: retry now, not at the next backoff. */
  nudge(): void {
    if (this.phase !== 'room') return;
    if (this.session?.retrying) void this.session.connect();
    this.links.nudge();
  }

  reconnect(): void {
    void this.session?.connect();
  }

  flush(): void {
    void this.memory?.flush();
  }
}
