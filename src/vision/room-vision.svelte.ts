/**
 * The vision side of the room's memory, as every device sees it: what the room's cameras recorded
 * (`vision` events) and the face templates (`faces`: sealed, signed, with their wrapped keys).
 * Reads validate (entries come from other members); a template is used only if its owner device
 * signed it and a key was wrapped for this device. Writes go into the shared document.
 */
import type * as Y from 'yjs';
import { ORIGIN } from '../../protocol/doc-sync.ts';
import { faceTemplates, readVisionEvents, visionEvents } from '../../protocol/room-doc.ts';
import { VISION_EVENTS_KEPT, VisionEvent, type VisionEventKind } from '../../protocol/camera.ts';
import {
  deleteTemplate, makeTemplate, ownerDevices, readFaceTemplates, signTemplate, templateKey, templateProblem, FACE_TEMPLATE_LIMITS,
  openTemplate, templateStatement, wrappedFor, wrappedKeyKey, templateWrapContext, type FaceTemplateEntry,
} from '../../protocol/face-templates.ts';
import { newContentKey, wrapKey } from '../../protocol/sealed.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { newItemId } from '../memory/room-memory.svelte.ts';
import { contentKeyFor, wrapForRecipients, type KeyHolder, type Recipient } from './template-keys.ts';

export interface VisionMe extends KeyHolder {
  /** Ed25519, base64url (the device id is its hash). */
  publicKey: string;
  secretKey: Uint8Array;
  name(): string;
}

/** A template as the views show it. */
export interface TemplateView {
  id: string;
  name: string;
  owner: string;
  devices: string[];
  createdAt: number;
  shots: number;
  /** Its owner device signed it (unsigned or altered ones are listed as refused, never used). */
  valid: boolean;
  /** This device is one of its owner devices (it may delete it). */
  mine: boolean;
  /** This device enrolled it (it may link devices to it). */
  enrolledHere: boolean;
  /** Devices its key is wrapped for. */
  holders: string[];
}

export class RoomVisionState {
  events = $state.raw<VisionEvent[]>([]);
  templates = $state.raw<TemplateView[]>([]);
  /** Bumped when the templates this device can use change. */
  templatesVersion = $state(0);
  /** Called when the templates or their keys change (the camera service re-sends them to the worker). */
  onFacesChanged: (() => void) | null = null;
  private entries: FaceTemplateEntry[] = [];
  private readonly validity = new Map<string, boolean>();
  private readonly opened = new Map<string, Float32Array[] | null>();
  private readonly off: () => void;

  constructor(
    readonly doc: Y.Doc,
    private readonly me: VisionMe,
  ) {
    const refreshEvents = () => (this.events = readVisionEvents(this.doc, 50));
    const refreshFaces = () => this.refreshFaces();
    visionEvents(doc).observe(refreshEvents);
    faceTemplates(doc).observe(refreshFaces);
    this.off = () => {
      visionEvents(doc).unobserve(refreshEvents);
      faceTemplates(doc).unobserve(refreshFaces);
    };
    refreshEvents();
    this.refreshFaces();
  }

  private valid(t: FaceTemplateEntry): boolean {
    // Keyed by everything signed, not by the signature alone: a copied signature on altered
    // fields must be checked (and refused), not found in the cache.
    const { sig, ...rest } = t;
    const k = `${sig}|${templateStatement(rest)}`;
    let v = this.validity.get(k);
    if (v === undefined) {
      if (this.validity.size > 1024) this.validity.clear();
      this.validity.set(k, (v = templateProblem(t) === null));
    }
    return v;
  }

  private refreshFaces(): void {
    this.entries = readFaceTemplates(this.doc);
    this.templates = this.entries.map((t) => ({
      id: t.id,
      name: t.name,
      owner: t.owner,
      devices: [...t.devices],
      createdAt: t.createdAt,
      shots: t.shots,
      valid: this.valid(t),
      mine: ownerDevices(t).includes(this.me.deviceId),
      enrolledHere: t.owner === this.me.deviceId,
      holders: wrappedFor(this.doc, t.id),
    }));
    this.templatesVersion++;
    this.onFacesChanged?.();
  }

  /** The name an enrolled person gave, by template id (only a valid template's). */
  nameOf(id: string): string | null {
    const t = this.entries.find((e) => e.id === id);
    return t && this.valid(t) ? t.name : null;
  }

  /**
   * The templates this device may match with: signed by their owner device, with a key wrapped for
   * this device. Opened once per version of a template (a new signature is a new version).
   */
  usable(): { id: string; descriptors: Float32Array[] }[] {
    const out: { id: string; descriptors: Float32Array[] }[] = [];
    const live = new Set<string>();
    for (const t of this.entries) {
      if (!this.valid(t)) continue;
      const cacheKey = `${t.id}|${t.sig}|${t.sealed.n}|${readKeyStamp(this.doc, t.id, this.me.deviceId)}`;
      live.add(cacheKey);
      let d = this.opened.get(cacheKey);
      if (d === undefined) {
        const key = contentKeyFor(this.doc, t, this.me);
        try {
          d = key ? openTemplate(t, key) : null;
        } catch (err) {
          console.warn('[osmose] a face template could not be opened', (err as OsmoseError).code);
          d = null;
        }
        this.opened.set(cacheKey, d);
      }
      if (d) out.push({ id: t.id, descriptors: d });
    }
    // Templates deleted or replaced leave this device's memory too.
    for (const k of [...this.opened.keys()]) if (!live.has(k)) this.opened.delete(k);
    return out;
  }

  /** Records something a camera of this device saw, for the room. */
  record(p: { kind: VisionEventKind; spot: string; processedBy: string; inView: number; devices?: number }): VisionEvent | null {
    const e = VisionEvent.safeParse({ id: newItemId(), camera: this.me.deviceId, cameraName: this.me.name(), at: Date.now(), ...p });
    if (!e.success) return null;
    this.doc.transact(() => {
      const arr = visionEvents(this.doc);
      arr.push([e.data]);
      if (arr.length > VISION_EVENTS_KEPT) arr.delete(0, arr.length - VISION_EVENTS_KEPT);
    }, ORIGIN.local);
    return e.data;
  }

  /**
   * Enrols the person at this device: one template (their descriptors, sealed under a new key),
   * signed by this device, with its key wrapped for this device and for `recipients` (the room's
   * recognisers present now).
   */
  enrol(name: string, descriptors: ArrayLike<number>[], recipients: readonly Recipient[]): FaceTemplateEntry {
    if (this.entries.filter((t) => t.owner === this.me.deviceId).length >= FACE_TEMPLATE_LIMITS.templates) throw new OsmoseError('too-large', 'this device enrolled as many faces as the room keeps');
    const contentKey = newContentKey();
    const t = makeTemplate({ id: newItemId(), name, owner: { deviceId: this.me.deviceId, publicKey: this.me.publicKey, secretKey: this.me.secretKey }, descriptors, contentKey, createdAt: Date.now() });
    const self: Recipient = { deviceId: this.me.deviceId, x25519Public: this.me.kx.publicKey };
    this.doc.transact(() => {
      const map = faceTemplates(this.doc);
      map.set(templateKey(t.id), t);
      for (const r of [self, ...recipients.filter((r) => r.deviceId !== self.deviceId)]) map.set(wrappedKeyKey(t.id, r.deviceId), wrapKey(contentKey, r, templateWrapContext(t.id)));
    }, ORIGIN.local);
    contentKey.fill(0);
    return t;
  }

  /**
   * Links another device of this person to a template this device enrolled: it may then delete the
   * template and hand its key on like the enrolling device. Re-signed, and the key wrapped for it.
   */
  link(id: string, device: Recipient): void {
    const t = this.entries.find((e) => e.id === id);
    if (!t || t.owner !== this.me.deviceId || !this.valid(t)) throw new OsmoseError('forbidden', 'only the device that enrolled a face can link devices to it');
    if (t.devices.includes(device.deviceId) || device.deviceId === t.owner) return;
    if (t.devices.length >= FACE_TEMPLATE_LIMITS.linkedDevices) throw new OsmoseError('too-large', `at most ${FACE_TEMPLATE_LIMITS.linkedDevices} linked devices`);
    const key = contentKeyFor(this.doc, t, this.me);
    if (!key) throw new OsmoseError('sealed-unreadable', "this device no longer holds the face's key");
    const { sig: _old, ...rest } = t;
    const next = signTemplate({ ...rest, devices: [...t.devices, device.deviceId] }, this.me.secretKey);
    this.doc.transact(() => {
      const map = faceTemplates(this.doc);
      map.set(templateKey(t.id), next);
      map.set(wrappedKeyKey(t.id, device.deviceId), wrapKey(key, device, templateWrapContext(t.id)));
    }, ORIGIN.local);
  }

  /** Deletes every template this device is an owner device of, with their keys: one action. */
  deleteMine(): number {
    const mine = this.entries.filter((t) => ownerDevices(t).includes(this.me.deviceId));
    if (!mine.length) return 0;
    this.doc.transact(() => {
      for (const t of mine) deleteTemplate(this.doc, t.id);
    }, ORIGIN.local);
    return mine.length;
  }

  /** Wraps this device's templates' keys for recognisers present that lack one (template-keys.ts). */
  ensureWraps(recipients: readonly Recipient[]): number {
    if (!this.entries.some((t) => ownerDevices(t).includes(this.me.deviceId))) return 0;
    let n = 0;
    this.doc.transact(() => (n = wrapForRecipients(this.doc, this.entries, this.me, recipients)), ORIGIN.local);
    return n;
  }

  dispose(): void {
    this.off();
    this.opened.clear();
  }
}

/** A wrapped key's ephemeral key: changes when a key is wrapped again, so the cache re-opens. */
function readKeyStamp(doc: Y.Doc, id: string, deviceId: string): string {
  const w = faceTemplates(doc).get(wrappedKeyKey(id, deviceId)) as { e?: unknown } | undefined;
  return typeof w?.e === 'string' ? w.e : '';
}
