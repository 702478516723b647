/**
 * The room as this device sees it: reactive state for the UI, and the controller that joins the
 * hub, keeps the room channel and the mesh running, and reacts to the phone's lifecycle.
 */
import { deriveRoomKeys, signB64u, verifySig } from '../../protocol/crypto.ts';
import { parseJoinLink, joinUrl, type JoinTicket } from '../../protocol/join-link.ts';
import { OsmoseError, type WireError } from '../../protocol/errors.ts';
import { CLOSE, type Member } from '../../protocol/room-channel.ts';
import type { Capabilities, Profile, RoomInfo } from '../../protocol/common.ts';
import type { JoinResponse } from '../../protocol/hub-api.ts';
import { loadOrCreateIdentity, defaultDisplayName, type Identity } from '../room/identity.ts';
import { loadBootState, saveRoom, forgetRoom, putSetting, requestPersistence, type StoredRoom } from '../platform/storage.ts';
import { joinRoom } from '../room/join-api.ts';
import { HubConnection, type HubLinkState } from '../room/hub-connection.ts';
import { Mesh } from '../mesh/mesh.ts';
import { mergeMembers, type MemberView } from '../room/members.ts';
import { detectCapabilities, unknownCapabilities, watchBattery } from '../platform/capabilities.ts';
import { Backoff } from '../platform/backoff.ts';
import { PingMeter } from '../diagnostics/ping-meter.ts';
import { listenToLifecycle, warmUpSignatures, type LifecycleHandlers } from './lifecycle.ts';
import { setRoomIceServers } from '../mesh/ice-guard.ts';
import { RoomMemoryState } from '../memory/room-memory.svelte.ts';
import { deleteStoredMemory } from '../memory/doc-store.ts';
import { FilesState } from '../files/files.svelte.ts';
import { isAudioFrame } from '../../protocol/voice.ts';
import { VoiceService } from '../voice/voice-service.svelte.ts';
import { RoomVoiceState } from '../voice/room-voice.svelte.ts';
import { runtimeEngine } from '../voice/engine.ts';
import { sharedInferenceRuntime } from '../diagnostics/inference-handle.ts';

export type Phase = 'loading' | 'no-room' | 'room' | 'refused';

/** A stored credential is reused only with this much life left. */
const CREDENTIAL_REUSE_MARGIN_MS = 5 * 60_000;

export class RoomState {
  phase = $state<Phase>('loading');
  hub = $state<HubLinkState>('connecting');
  signaling = $state<'connecting' | 'online' | 'offline'>('connecting');
  refusal = $state<WireError | null>(null);
  room = $state<RoomInfo | null>(null);
  deviceId = $state('');
  name = $state('');
  caps = $state<Capabilities | null>(null);
  roster = $state.raw<Member[]>([]);
  /** The room's memory (timeline, notes, board) and files; null outside a room. */
  memory = $state.raw<RoomMemoryState | null>(null);
  files = $state.raw<FilesState | null>(null);
  /** Voice events and timers in the room's memory; null outside a room. */
  roomVoice = $state.raw<RoomVoiceState | null>(null);
  /** This device's microphone and voice compute (created at boot). */
  voice = $state.raw<VoiceService | null>(null);
  shareUrl = $state<string | null>(null);
  /** Bumped when the hub says the room's links to other rooms changed. */
  gatewayVersion = $state(0);
  /** Bumped when the mesh changes; the members list depends on it. */
  private meshVersion = $state(0);
  private now = $state(Date.now());

  private identity: Identity | null = null;
  private stored: StoredRoom | undefined;
  private ticket: JoinTicket | null = null;
  private joined: JoinResponse | null = null;
  private hubConn: HubConnection | null = null;
  private mesh: Mesh | null = null;
  private visibility: Profile['visibility'] = document.visibilityState === 'hidden' ? 'hidden' : 'visible';
  private visibilitySince = Date.now();
  private joinBackoff = new Backoff(500, 5_000);
  private joinRetry: ReturnType<typeof setTimeout> | null = null;
  private readonly pings = new PingMeter();

  members = $derived.by<MemberView[]>(() => {
    void this.meshVersion;
    return mergeMembers({
      selfId: this.deviceId,
      roster: this.roster,
      sessions: this.mesh?.sessions ?? new Map(),
      rosterLive: this.hub === 'online',
      staleSince: (id) => (this.mesh ? this.mesh.staleSince(id) : 0),
      now: this.now,
      graceMs: (this.joined?.graceSeconds ?? 120) * 1000,
    });
  });

  /** Starts the app: identity, a join link in the address bar, the stored room. */
  async boot(): Promise<void> {
    setInterval(() => (this.now = Date.now()), 1000);
    // Capabilities are not needed to join: they follow in a profile update when known.
    void detectCapabilities().then((caps) => {
      this.caps = caps;
      this.profileChanged();
    });
    // Plugged in or not decides whether this device offers voice compute and where its own
    // microphone runs on "automatically".
    watchBattery((battery) => {
      if (this.caps) this.caps = { ...this.caps, battery };
      this.profileChanged();
      this.voice?.peersChanged();
    });
    const boot = await loadBootState();
    this.identity = await loadOrCreateIdentity(boot.identity);
    this.deviceId = this.identity.deviceId;
    this.voice = this.createVoice();
    this.name = boot.displayName ?? defaultDisplayName(this.deviceId);
    const fromLink = parseJoinLink(location.hash);
    let stored = boot.room;
    if (fromLink) stored = await this.adoptTicket(fromLink, stored);
    else if (location.hash) this.clearAddressBar();
    listenToLifecycle(this.lifecycle());
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
    this.enter(await this.adoptTicket(ticket, this.stored));
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
    const roomId = this.ticket?.roomId;
    this.voice?.stop();
    this.voiceStarted = false;
    this.stopLinks(true);
    await this.closeMemory();
    // Leaving forgets the room on this device: its secret and its memory.
    if (roomId) await Promise.all([forgetRoom(roomId), deleteStoredMemory(roomId)]);
    this.ticket = null;
    this.stored = undefined;
    this.joined = null;
    this.room = null;
    this.roster = [];
    this.phase = 'no-room';
  }

  /** Round trips over the mesh to one peer (benchmarks and diagnostics). */
  pingPeer(peerId: string, count: number): Promise<number[]> {
    return this.pings.run(() => this.mesh?.ping(peerId) ?? null, count);
  }

  private profile(): Profile {
    return {
      name: this.name,
      caps: this.caps ?? unknownCapabilities(),
      visibility: this.visibility,
      visibilitySince: this.visibilitySince,
      ...(this.voice ? { voice: this.voice.presence() } : {}),
    };
  }

  private createVoice(): VoiceService {
    return new VoiceService({
      deviceId: this.deviceId,
      engine: runtimeEngine(sharedInferenceRuntime),
      send: (to, msg) => this.mesh?.sendVoice(to, msg) ?? false,
      sendAudio: (to, frame) => this.mesh?.sendBinary(frame, to),
      candidates: () =>
        (this.mesh?.openPeers() ?? []).map((peerId) => {
          const p = this.mesh?.profileOf(peerId);
          return { peerId, voice: p?.voice, visible: p?.visibility !== 'hidden' };
        }),
      room: () => this.roomVoice,
      presenceChanged: () => this.profileChanged(),
      onBattery: () => (this.caps?.battery ? !this.caps.battery.charging : null),
    });
  }

  private async adoptTicket(ticket: JoinTicket, prev: StoredRoom | undefined): Promise<StoredRoom> {
    const same = prev?.roomId === ticket.roomId && prev.secret === ticket.secret ? prev : undefined;
    const room: StoredRoom = same ?? { roomId: ticket.roomId, secret: ticket.secret, name: prev?.roomId === ticket.roomId ? prev.name : null, place: prev?.roomId === ticket.roomId ? prev.place : null, joinedAt: Date.now() };
    if (!same) await saveRoom(room);
    this.clearAddressBar();
    void requestPersistence();
    return room;
  }

  private clearAddressBar(): void {
    // The secret must not stay in the address bar, history or a bookmark.
    const path = location.pathname === '/join' ? '/' : location.pathname;
    history.replaceState(null, '', path + location.search);
  }

  private enter(stored: StoredRoom): void {
    if ((this.memory ?? this.openingMemory)?.roomId !== stored.roomId) void this.openMemory(stored.roomId);
    this.stored = stored;
    this.ticket = { roomId: stored.roomId, secret: stored.secret };
    this.room = { id: stored.roomId, name: stored.name ?? 'Room', place: stored.place ?? '' };
    this.phase = 'room';
    this.refusal = null;
    if (!this.voiceStarted) {
      this.voiceStarted = true;
      void this.voice?.start();
    }
    this.shareUrl = null;
    const last = stored.lastJoin;
    if (last && last.credential.peerId === this.deviceId && last.credential.expiresAt - Date.now() > CREDENTIAL_REUSE_MARGIN_MS) {
      // Reopened app, credential still valid: connect now. If the hub refuses it (rotation,
      // hub data reset), the refusal handler proves the secret again.
      this.useJoin(last);
      this.startLinks();
      return;
    }
    void this.connect();
  }

  /** Join (prove the secret), then run the room channel and the mesh. Retries while the hub is away. */
  private async connect(): Promise<void> {
    if (this.joinRetry) clearTimeout(this.joinRetry);
    this.joinRetry = null;
    try {
      await this.freshCredential();
    } catch (err) {
      if (this.handleJoinError(err)) this.joinRetry = setTimeout(() => void this.connect(), this.joinBackoff.next());
      return;
    }
    this.joinBackoff.reset();
    this.startLinks();
  }

  private async freshCredential(): Promise<JoinResponse> {
    const ticket = this.ticket;
    if (!ticket || !this.identity) throw new OsmoseError('internal', 'no room');
    const joined = await joinRoom(location.origin, ticket, this.identity);
    if (this.ticket !== ticket) throw new OsmoseError('internal', 'room changed');
    this.useJoin(joined);
    const stored: StoredRoom = { roomId: ticket.roomId, secret: ticket.secret, name: joined.room.name, place: joined.room.place, joinedAt: Date.now(), lastJoin: joined };
    this.stored = stored;
    // Not awaited: connecting must not wait for the disk. A failure only costs a proof next time.
    saveRoom(stored).catch((err: unknown) => console.warn('[osmose] could not save the room', err));
    return joined;
  }

  private useJoin(joined: JoinResponse): void {
    this.joined = joined;
    this.room = joined.room;
    const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
    this.shareUrl = joinUrl(`http://${host}:${joined.httpPort}`, this.ticket!);
  }

  /** True when the failure is worth retrying. */
  private handleJoinError(err: unknown): boolean {
    const e = err instanceof OsmoseError ? err : new OsmoseError('hub-unreachable', String(err));
    if (e.code === 'hub-unreachable' || e.code === 'rate-limited' || e.code === 'internal' || e.code === 'challenge-expired' || e.code === 'challenge-unknown') {
      this.hub = 'unreachable';
      return true;
    }
    this.refuse(e.toWire());
    return false;
  }

  private refuse(error: WireError): void {
    this.stopLinks(false);
    this.refusal = error;
    this.phase = 'refused';
  }

  private startLinks(): void {
    const joined = this.joined!;
    const identity = this.identity!;
    const keys = deriveRoomKeys(this.ticket!.secret);
    setRoomIceServers(joined.iceServers as RTCIceServer[]);
    if (!this.hubConn) {
      this.hubConn = new HubConnection(location.origin, joined.credential, () => this.profile(), {
        state: (s) => (this.hub = s),
        welcome: (room, members) => {
          this.room = room;
          this.setRoster(members);
          this.memory?.hubUp();
        },
        roster: (members) => this.setRoster(members),
        refused: (error, code) => void this.onHubRefused(error, code),
        binary: (frame) => this.memory?.fromHub(frame),
        closed: () => this.memory?.hubDown(),
        gatewayChanged: () => this.gatewayVersion++,
        problem: (error) => {
          if (error.code === 'storage-full' && this.memory) this.memory.storageError = error.message;
        },
      });
      this.hubConn.start();
    }
    if (!this.mesh) {
      this.mesh = new Mesh(
        {
          origin: new URL(location.origin),
          me: { deviceId: identity.deviceId, publicKey: identity.publicKey, secretKey: identity.secretKey, meshKey: keys.meshKey, keyId: keys.keyId },
          iceServers: joined.iceServers as RTCIceServer[],
          profile: () => this.profile(),
          token: () => this.token(),
        },
        {
          signaling: (s) => (this.signaling = s),
          change: () => {
            this.meshVersion++;
            this.voice?.peersChanged();
            if (this.members.length && !performance.getEntriesByName('osmose:first-peer').length && this.members.some((m) => m.direct)) {
              performance.mark('osmose:first-peer');
            }
          },
          binary: (from, frame) => (isAudioFrame(frame) ? this.voice?.audio(from, frame) : this.memory?.fromPeer(from, frame)),
          voice: (from, msg) => this.voice?.control(from, msg),
          session: (peerId, open) => {
            if (open) this.memory?.peerUp(peerId);
            else this.memory?.peerDown(peerId);
            if (!open) this.voice?.peerGone(peerId);
            this.files?.peerChanged(peerId, open);
          },
          bulk: (from, label, conn) => {
            if (this.files) this.files.acceptBulk(from, label, conn);
            else conn.close();
          },
          pong: (_from, n, at) => {
            this.pings.pong(n, at);
          },
        },
      );
      void this.mesh.start();
      this.mesh.setDesired(this.roster.map((m) => m.peerId));
      // While the sockets open. A verify against a made-up key exercises the other code path;
      // its result does not matter.
      setTimeout(() => warmUpSignatures(() => signB64u(identity.secretKey, 'warm-up'), (sig) => verifySig('A'.repeat(43), 'warm-up', sig)), 0);
    }
  }

  private stopLinks(sayBye: boolean): void {
    if (this.joinRetry) clearTimeout(this.joinRetry);
    if (sayBye) this.hubConn?.bye();
    else this.hubConn?.stop();
    this.mesh?.stop(sayBye);
    this.hubConn = null;
    this.mesh = null;
    this.meshVersion++;
  }

  /** This device's room credential, for the hub's APIs (files, gateway). */
  credential = async (): Promise<{ peerId: string; token: string }> => ({ peerId: this.deviceId, token: await this.token() });

  private async token(): Promise<string> {
    const c = this.joined?.credential;
    if (c && c.expiresAt - Date.now() > 60_000) return c.token;
    const fresh = await this.freshCredential();
    this.hubConn?.setCredential(fresh.credential);
    return fresh.credential.token;
  }

  private async onHubRefused(error: WireError, code: number): Promise<void> {
    if (code === CLOSE.protocolVersion) return this.refuse({ code: 'protocol-version', message: 'This app and the hub speak different versions: reload to update.' });
    if (code === CLOSE.replaced) return this.refuse({ code: 'evicted', message: 'This room is open in another tab or window of this browser.' });
    // Credential expired, or the secret was rotated: prove the secret again. If ours is the old
    // one the hub says so, and we stop.
    this.hubConn?.stop();
    this.hubConn = null;
    if (error.code === 'secret-rotated') this.mesh?.stop(false), (this.mesh = null);
    this.joined = null;
    await this.connect();
  }

  private setRoster(members: Member[]): void {
    this.roster = members;
    this.mesh?.setDesired(members.map((m) => m.peerId));
  }

  /** Opens the room's memory from this device's storage (works offline), then its files. */
  private async openMemory(roomId: string): Promise<void> {
    await this.closeMemory();
    const memory = new RoomMemoryState(roomId, { deviceId: this.deviceId, name: () => this.name }, {
      hub: (frame) => this.hubConn?.sendBinary(frame) ?? false,
      peer: (peerId, frame) => this.mesh?.sendBinary(frame, peerId),
    });
    this.openingMemory = memory;
    // Stored history first: only then may anything arrive from the hub or peers, so that every
    // update taken in afterwards also reaches this device's store.
    await memory.open();
    if (this.openingMemory !== memory) return void memory.close();
    this.openingMemory = null;
    this.memory = memory;
    // Links that came up while the memory was loading.
    if (this.hub === 'online') memory.hubUp();
    for (const id of this.mesh?.openPeers() ?? []) memory.peerUp(id);
    memory.onFilesExpired = (ids) => void this.files?.forget(ids);
    this.roomVoice = new RoomVoiceState(memory.doc, { deviceId: this.deviceId, name: () => this.name });
    this.files = new FilesState({
      doc: memory.doc,
      deviceId: this.deviceId,
      deviceName: () => this.name,
      hubOrigin: location.origin,
      credential: async () => ({ peerId: this.deviceId, token: await this.token() }),
      openBulk: (peerId, label) => this.mesh?.openBulk(peerId, label) ?? null,
      openPeers: () => this.mesh?.openPeers() ?? [],
    });
  }

  private openingMemory: RoomMemoryState | null = null;
  private voiceStarted = false;

  private async closeMemory(): Promise<void> {
    this.openingMemory = null;
    this.files?.dispose();
    this.files = null;
    this.roomVoice?.dispose();
    this.roomVoice = null;
    const m = this.memory;
    this.memory = null;
    await m?.close();
  }

  private profileChanged(): void {
    this.hubConn?.sendProfile();
    this.mesh?.broadcastProfile();
  }

  private lifecycle(): LifecycleHandlers {
    return {
      visibility: (state) => {
        this.visibility = state;
        this.visibilitySince = Date.now();
        this.profileChanged();
      },
      nudge: () => this.nudge(),
      restored: () => {
        if (this.phase === 'room' && this.ticket) void this.connect();
      },
      leaving: () => {
        // Tell the room now rather than letting it time out, and save what is queued.
        void this.memory?.flush();
        if (this.phase === 'room') this.stopLinks(true);
      },
    };
  }

  private nudge(): void {
    if (this.phase !== 'room') return;
    if (!this.hubConn && !this.joinRetry) return;
    if (this.joinRetry) void this.connect();
    this.hubConn?.nudge();
    this.mesh?.nudge();
  }
}
