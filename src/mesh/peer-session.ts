/**
 * One authenticated conversation with another device over a data channel. Admission is mutual:
 * each side sends hello (its id, key, a fresh nonce), then auth (an HMAC over both nonces with
 * the room's mesh key, and an Ed25519 signature). Nothing else is accepted before both checks
 * pass, so a device never takes another's word for being in the room.
 */
import { decodeFrame, encodeFrame } from '../../protocol/codec.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { OsmoseError, type WireError } from '../../protocol/errors.ts';
import { MeshMessage } from '../../protocol/mesh.ts';
import type { Profile } from '../../protocol/common.ts';
import type { VoiceControl } from '../../protocol/voice.ts';
import type { CameraControl } from '../../protocol/camera.ts';
import { b64uDecode, deviceIdMatchesKey, hmacB64u, meshProofMessage, randomNonce, safeEqual, signB64u, verifySig } from '../../protocol/crypto.ts';
import { keyAgreementVouched } from '../../protocol/sealed.ts';
import type { KeyAgreement, MeshSealedKey } from '../../protocol/mesh.ts';
import type { WrappedKey } from '../../protocol/sealed.ts';

export interface Transport {
  send(data: string | Uint8Array): void;
  close(): void;
}

export interface Me {
  deviceId: string;
  publicKey: string;
  secretKey: Uint8Array;
  meshKey: Uint8Array;
  keyId: string;
  /** This device's X25519 key as announced (room/identity.ts). */
  kx?: KeyAgreement;
}

export type SessionState = 'handshake' | 'open' | 'needs-update' | 'refused' | 'closed';

export interface SessionEvents {
  open(session: PeerSession): void;
  profile(session: PeerSession, profile: Profile): void;
  closed(session: PeerSession, reason: WireError | null): void;
  pong?(session: PeerSession, n: number, sentAt: number): void;
  /** A binary frame from the authenticated peer (size already checked). */
  binary?(session: PeerSession, data: Uint8Array): void;
  /** Shared room compute (protocol/voice.ts) from the authenticated peer. */
  voice?(session: PeerSession, msg: VoiceControl): void;
  /** Shared room compute for cameras (protocol/camera.ts) from the authenticated peer. */
  camera?(session: PeerSession, msg: CameraControl): void;
  /** A content key wrapped for this device (protocol/mesh.ts `MeshSealedKey`) from the authenticated peer. */
  sealedKey?(session: PeerSession, msg: MeshSealedKey): void;
}

const MAX_BAD_FRAMES = 10;

export class PeerSession {
  state: SessionState = 'handshake';
  /** The peer left on purpose (said bye). */
  saidBye = false;
  profile: Profile | null = null;
  /** Local clock: when the peer last said anything. */
  lastHeard = Date.now();
  /** Local clock: when the peer's profile turned hidden. */
  hiddenSince: number | null = null;
  private readonly myNonce = randomNonce();
  private theirNonce: string | null = null;
  private theirKey: string | null = null;
  private theirKx: KeyAgreement | null = null;
  private sentAuth = false;
  private gotAuth = false;
  private badFrames = 0;

  constructor(
    readonly remoteId: string,
    private readonly transport: Transport,
    private readonly me: Me,
    private readonly myProfile: () => Profile,
    private readonly on: SessionEvents,
  ) {}

  start(): void {
    this.send({ v: PROTOCOL_VERSION, t: 'hello', deviceId: this.me.deviceId, publicKey: this.me.publicKey, nonce: this.myNonce, keyId: this.me.keyId, ...(this.me.kx ? { kx: this.me.kx } : {}) });
  }

  /**
   * The peer's X25519 key, once the session is open and only if its device key vouched for it:
   * the key to wrap sealed room data for (protocol/sealed.ts). Null for an older peer.
   */
  get keyAgreementKey(): Uint8Array | null {
    return this.state === 'open' && this.theirKx ? b64uDecode(this.theirKx.publicKey) : null;
  }

  receive(raw: unknown): void {
    // Only a live handshake or an open session listens; after a refusal or a version mismatch
    // nothing more is delivered.
    if (this.state !== 'handshake' && this.state !== 'open') return;
    this.lastHeard = Date.now();
    if (raw instanceof ArrayBuffer || raw instanceof Uint8Array) return this.receiveBinary(raw);
    const decoded = decodeFrame(MeshMessage, raw, LIMITS.meshFrameBytes);
    if (!decoded.ok) {
      if (decoded.error.code === 'protocol-version') {
        this.send({ v: PROTOCOL_VERSION, t: 'error', error: decoded.error.toWire() });
        this.state = 'needs-update';
        this.on.closed(this, decoded.error.toWire());
        setTimeout(() => this.transport.close(), 100);
        return;
      }
      return this.bad(decoded.error);
    }
    const msg = decoded.value;
    if (this.state === 'handshake' && msg.t !== 'hello' && msg.t !== 'auth' && msg.t !== 'error') {
      return this.bad(new OsmoseError('unauthorized', `${msg.t} before authentication`));
    }
    switch (msg.t) {
      case 'hello':
        return this.onHello(msg.deviceId, msg.publicKey, msg.nonce, msg.keyId, msg.kx);
      case 'auth':
        return this.onAuth(msg.proof, msg.sig);
      case 'profile':
        this.hiddenSince = msg.profile.visibility === 'hidden' ? (this.profile?.visibility === 'hidden' ? this.hiddenSince : Date.now()) : null;
        this.profile = msg.profile;
        return this.on.profile(this, msg.profile);
      case 'ping':
        return this.send({ v: PROTOCOL_VERSION, t: 'pong', n: msg.n, at: msg.at });
      case 'pong':
        return this.on.pong?.(this, msg.n, msg.at);
      case 'bye':
        this.saidBye = true;
        return this.close(null);
      case 'error':
        if (msg.error.code === 'protocol-version') this.state = 'needs-update';
        return this.fail(msg.error, false);
      case 'voice':
        return this.on.voice?.(this, msg.msg);
      case 'camera':
        return this.on.camera?.(this, msg.msg);
      case 'sealed-key':
        return this.on.sealedKey?.(this, msg);
    }
  }

  private receiveBinary(raw: ArrayBuffer | Uint8Array): void {
    if (this.state !== 'open') return this.bad(new OsmoseError('unauthorized', 'binary frame before authentication'));
    if (raw.byteLength > LIMITS.meshFrameBytes) return this.bad(new OsmoseError('too-large', `binary frame over ${LIMITS.meshFrameBytes} bytes`));
    this.on.binary?.(this, raw instanceof Uint8Array ? raw : new Uint8Array(raw));
  }

  sendBinary(data: Uint8Array): void {
    if (this.state !== 'open') return;
    try {
      this.transport.send(data);
    } catch (err) {
      console.warn('[osmose] binary send to peer failed', err);
    }
  }

  sendVoice(msg: VoiceControl): void {
    if (this.state === 'open') this.send({ v: PROTOCOL_VERSION, t: 'voice', msg });
  }

  sendCamera(msg: CameraControl): void {
    if (this.state === 'open') this.send({ v: PROTOCOL_VERSION, t: 'camera', msg });
  }

  /** Hands the peer a content key wrapped for its vouched X25519 key; false if the session is not open. */
  sendSealedKey(context: string, key: WrappedKey, grant: boolean): boolean {
    if (this.state !== 'open') return false;
    this.send({ v: PROTOCOL_VERSION, t: 'sealed-key', context, key, grant });
    return true;
  }

  sendProfile(): void {
    if (this.state === 'open') this.send({ v: PROTOCOL_VERSION, t: 'profile', profile: this.myProfile() });
  }

  ping(n: number): void {
    if (this.state === 'open') this.send({ v: PROTOCOL_VERSION, t: 'ping', n, at: performance.now() });
  }

  bye(): void {
    if (this.state === 'open') this.send({ v: PROTOCOL_VERSION, t: 'bye' });
    this.close(null);
  }

  /** The transport went away. */
  transportClosed(): void {
    if (this.state === 'handshake' || this.state === 'open') this.close(null);
  }

  private onHello(deviceId: string, publicKey: string, nonce: string, keyId: string, kx: KeyAgreement | undefined): void {
    if (this.theirNonce) return this.bad(new OsmoseError('bad-request', 'second hello'));
    if (deviceId !== this.remoteId || !deviceIdMatchesKey(deviceId, publicKey)) {
      return this.fail({ code: 'bad-signature', message: 'device id does not match its key' });
    }
    if (keyId !== this.me.keyId) {
      return this.fail({ code: 'wrong-secret', message: 'this device holds another room secret' });
    }
    if (kx && !keyAgreementVouched(deviceId, publicKey, kx.publicKey, kx.sig)) {
      return this.fail({ code: 'bad-signature', message: "the peer's key-agreement key is not signed by its device key" });
    }
    this.theirNonce = nonce;
    this.theirKey = publicKey;
    this.theirKx = kx ?? null;
    const message = meshProofMessage(this.me.deviceId, this.remoteId, this.myNonce, nonce);
    this.send({ v: PROTOCOL_VERSION, t: 'auth', proof: hmacB64u(this.me.meshKey, message), sig: signB64u(this.me.secretKey, message) });
    this.sentAuth = true;
    this.maybeOpen();
  }

  private onAuth(proof: string, sig: string): void {
    if (!this.theirNonce || !this.theirKey || this.gotAuth) return this.bad(new OsmoseError('bad-request', 'auth out of order'));
    const message = meshProofMessage(this.remoteId, this.me.deviceId, this.theirNonce, this.myNonce);
    if (!safeEqual(hmacB64u(this.me.meshKey, message), proof)) return this.fail({ code: 'wrong-secret', message: 'peer does not hold the room secret' });
    if (!verifySig(this.theirKey, message, sig)) return this.fail({ code: 'bad-signature', message: 'peer signature is invalid' });
    this.gotAuth = true;
    this.maybeOpen();
  }

  private maybeOpen(): void {
    if (this.state !== 'handshake' || !this.sentAuth || !this.gotAuth) return;
    this.state = 'open';
    this.on.open(this);
    this.sendProfile();
  }

  private bad(error: OsmoseError): void {
    this.badFrames++;
    console.warn('[osmose] bad frame from peer', this.remoteId.slice(0, 9), error.code, error.message);
    if (this.badFrames >= MAX_BAD_FRAMES || this.state === 'handshake') this.fail(error.toWire());
  }

  private fail(error: WireError, tell = true): void {
    if (tell) this.send({ v: PROTOCOL_VERSION, t: 'error', error });
    if (this.state !== 'needs-update') this.state = 'refused';
    this.on.closed(this, error);
    // Let the error frame leave before the channel closes.
    setTimeout(() => this.transport.close(), 100);
  }

  private close(reason: WireError | null): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.on.closed(this, reason);
    this.transport.close();
  }

  private send(msg: MeshMessage): void {
    try {
      this.transport.send(encodeFrame(msg));
    } catch (err) {
      console.warn('[osmose] send to peer failed', err);
    }
  }
}
