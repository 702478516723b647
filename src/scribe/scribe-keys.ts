/**
 * The scribe's content keys on this device: kept in memory only, unwrapped on demand from the
 * room's memory (`scribeKeys`, where each device keeps the key wrapped for its own X25519 key).
 * Nothing unwrapped is written anywhere: when retention or a member's deletion removes a session
 * from the room's memory, its wrapped keys go with it (and leave the disks as the stores compact)
 * and `forget` drops the unwrapped copy here. A device's X25519 secret (room/identity.ts) is what
 * stays; it opens nothing once the wrapped keys are gone.
 */
import type * as Y from 'yjs';
import type { MeshSealedKey } from '../../protocol/mesh.ts';
import { openText } from '../../protocol/sealed.ts';
import { scribeKeyContext, utteranceAad, type ScribeUtterance } from '../../protocol/scribe.ts';
import { readScribeKeys } from '../../protocol/scribe-doc.ts';
import { openMine, receiveKey, type KeyHolder } from '../room/sealed-keys.ts';

export const SCRIBE_PREFIX = 'scribe|';

export class ScribeKeys {
  private readonly keys = new Map<string, Uint8Array>();
  /** Opened texts by utterance id (sealed text never changes under its id). */
  private readonly texts = new Map<string, string>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly me: KeyHolder,
  ) {}

  /** The session's key if this device holds one (in memory, or wrapped for it in the room's memory). */
  key(session: string): Uint8Array | null {
    const cached = this.keys.get(session);
    if (cached) return cached;
    const mine = readScribeKeys(this.doc, session).get(this.me.deviceId);
    const key = mine ? openMine(mine.key, this.me, scribeKeyContext(session)) : null;
    if (key) this.keys.set(session, key);
    return key;
  }

  /** Keeps a key this device made or was handed (until `forget`). */
  remember(session: string, key: Uint8Array): void {
    this.keys.set(session, key);
  }

  /**
   * A key handed over the mesh: unwrapped with this device's X25519 secret. Throws if it is not a
   * scribe key for this device, or if it does not open an utterance the session already has.
   */
  take(msg: MeshSealedKey, utterances: readonly ScribeUtterance[]): { session: string; key: Uint8Array } {
    const key = receiveKey(msg, this.me, SCRIBE_PREFIX);
    const session = msg.context.slice(SCRIBE_PREFIX.length);
    const sample = utterances.find((u) => u.session === session);
    // A key that does not open what the session holds is someone's mistake or worse: refused.
    if (sample) openText(key, sample.text, utteranceAad(sample));
    return { session, key };
  }

  /** The utterance's text, or null when this device holds no key for its session (or it is damaged). */
  open(u: ScribeUtterance): string | null {
    const known = this.texts.get(u.id);
    if (known !== undefined) return known;
    const key = this.key(u.session);
    if (!key) return null;
    try {
      const text = openText(key, u.text, utteranceAad(u));
      this.texts.set(u.id, text);
      return text;
    } catch {
      return null;
    }
  }

  /** Drops the keys and texts of sessions no longer in the room's memory. */
  forget(live: ReadonlySet<string>, liveUtterances: ReadonlySet<string>): void {
    for (const s of [...this.keys.keys()]) if (!live.has(s)) this.keys.delete(s);
    for (const id of [...this.texts.keys()]) if (!liveUtterances.has(id)) this.texts.delete(id);
  }
}
