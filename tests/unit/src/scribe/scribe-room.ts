/**
 * A room for the scribe's tests: devices with real X25519 keys, each a Yjs replica and a
 * ScribeState, a mesh that delivers `sealed-key` messages between connected devices (synchronously,
 * as a data channel would, in order), and the hub's real replica (hub/room-memory.ts: SQLite in a
 * temporary folder) that every online device syncs with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { ScribeState } from '../../../../src/scribe/scribe.svelte.ts';
import { RoomMemory } from '../../../../hub/memory/room-memory.ts';
import { MemoryStore } from '../../../../hub/memory/memory-store.ts';
import { newDoc } from '../../../../protocol/room-doc.ts';
import { newKeyAgreementPair, type KeyAgreementPair } from '../../../../protocol/sealed.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';
import type { KeyMesh } from '../../../../src/room/sealed-keys.ts';
import type { ScribeTarget } from '../../../../src/voice/scribe-feed.ts';

const REMOTE = 'remote';

export interface TestDevice {
  id: string;
  name: string;
  kx: KeyAgreementPair;
  /** Announces its X25519 key in the mesh hello (false: an older app). */
  announces: boolean;
  doc: Y.Doc;
  scribe: ScribeState;
  /** What the scribe lets this device's microphone feed (null: nothing). */
  target: ScribeTarget | null;
  compactions: number;
  online: boolean;
}

export class ScribeRoom {
  readonly devices = new Map<string, TestDevice>();
  /** Pairs with an open mesh session, `a|b` with a < b. */
  private readonly links = new Set<string>();
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-scribe-'));
  /** The room's clock, the hub's included (its retention runs a second after each update). */
  now = 1_700_000_000_000;
  readonly hub = new RoomMemory(new MemoryStore(this.dataDir), { now: () => this.now });

  constructor() {
    this.hub.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === REMOTE) return;
      for (const d of this.devices.values()) if (d.online) Y.applyUpdate(d.doc, u, REMOTE);
    });
  }

  add(name: string, opts: { online?: boolean; announces?: boolean } = {}): TestDevice {
    const id = 'd' + [...name.toLowerCase().padEnd(32, '0')].map((c) => (/[0-9a-f]/.test(c) ? c : (c.charCodeAt(0) % 16).toString(16))).join('').slice(0, 32);
    const doc = newDoc();
    const d: TestDevice = { id, name, kx: newKeyAgreementPair(), announces: opts.announces ?? true, doc, scribe: null!, target: null, compactions: 0, online: false };
    doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === REMOTE || !d.online) return;
      Y.applyUpdate(this.hub.doc, u, REMOTE);
      for (const o of this.devices.values()) if (o !== d && o.online) Y.applyUpdate(o.doc, u, REMOTE);
    });
    d.scribe = new ScribeState({
      doc,
      me: { deviceId: id, x25519: d.kx, name: () => name },
      mesh: () => this.meshOf(d),
      nameOf: (x) => this.devices.get(x)?.name ?? x,
      feed: (t) => (d.target = t),
      compact: () => d.compactions++,
      now: () => this.now,
    });
    this.devices.set(id, d);
    if (opts.online ?? true) this.online(d);
    return d;
  }

  /** The device syncs with the hub (catches up, then gets every update). */
  online(d: TestDevice): void {
    d.online = true;
    Y.applyUpdate(d.doc, Y.encodeStateAsUpdate(this.hub.doc), REMOTE);
    Y.applyUpdate(this.hub.doc, Y.encodeStateAsUpdate(d.doc), REMOTE);
  }

  offline(d: TestDevice): void {
    d.online = false;
  }

  connect(a: TestDevice, b: TestDevice): void {
    this.links.add([a.id, b.id].sort().join('|'));
    a.scribe.peersChanged();
    b.scribe.peersChanged();
  }

  disconnect(a: TestDevice, b: TestDevice): void {
    this.links.delete([a.id, b.id].sort().join('|'));
  }

  /** Every pair connected. */
  mesh(...ds: TestDevice[]): void {
    for (const a of ds) for (const b of ds) if (a.id < b.id) this.connect(a, b);
  }

  connected(a: TestDevice, b: TestDevice): boolean {
    return this.links.has([a.id, b.id].sort().join('|'));
  }

  /** Everything the hub's replica has on disk. */
  hubBytes(): string {
    return ['memory.sqlite', 'memory.sqlite-wal']
      .map((f) => path.join(this.dataDir, f))
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'))
      .join('');
  }

  close(): void {
    for (const d of this.devices.values()) d.scribe.dispose();
    this.hub.close();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private meshOf(d: TestDevice): KeyMesh {
    return {
      openPeers: () => [...this.devices.values()].filter((o) => o !== d && this.connected(d, o)).map((o) => o.id),
      keyAgreementKey: (p) => {
        const o = this.devices.get(p);
        return o && o.announces && this.connected(d, o) ? o.kx.publicKey : null;
      },
      sendSealedKey: (to, context, key, grant) => {
        const o = this.devices.get(to);
        if (!o || !this.connected(d, o)) return false;
        o.scribe.takeKey(d.id, { v: PROTOCOL_VERSION, t: 'sealed-key', context, key, grant });
        return true;
      },
    };
  }
}
