/**
 * protocol/update-check.ts: what a replica refuses before Yjs sees it, and that it agrees with
 * Yjs itself on real updates (it refuses exactly what Yjs would have parked).
 */
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { UPDATE_LIMITS, checkUpdate, dropParked, loadStored } from '../../../protocol/update-check.ts';
import { ROOT_NAMES, newDoc, readTimeline, timeline, type TimelineEntry } from '../../../protocol/room-doc.ts';
import { Rng, SimNetwork, pending } from '../sim/sim-network.ts';
import { encodeUpdate, parkedDeletes, stallingUpdate } from '../support/hostile-updates.ts';

const clocks = (doc: Y.Doc) => (client: number) => Y.getState(doc.store, client);

function docWithText(client: number, text: string): Y.Doc {
  const doc = newDoc();
  doc.clientID = client;
  doc.getText('notes-body').insert(0, text);
  return doc;
}

/** Applies `update` to a copy of `doc` and says whether Yjs parked anything. */
function yjsParks(doc: Y.Doc, update: Uint8Array): boolean {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  Y.applyUpdate(copy, update);
  const parked = copy.store.pendingStructs !== null || copy.store.pendingDs !== null;
  copy.destroy();
  return parked;
}

describe('checkUpdate refuses what cannot be applied now', () => {
  const empty = newDoc();

  it.each([
    ['structs that start past what the receiver holds (a gap)', encodeUpdate([{ client: 5, clock: 3, structs: [{ gc: 1 }] }])],
    ['a skip over clocks the receiver lacks, then structs', encodeUpdate([{ client: 5, clock: 0, structs: [{ skip: 2 }, { text: 'x' }] }])],
    ['an origin the receiver lacks', encodeUpdate([{ client: 5, clock: 0, structs: [{ text: 'x', origin: [6, 0] }] }])],
    ['deletions of clocks the receiver lacks', parkedDeletes(3)],
    ['the 1.2 MB stalling update of issue 9', stallingUpdate(300_000)],
  ])('%s: missing-dependencies, and Yjs would have parked it', (_name, update) => {
    const v = checkUpdate(update, clocks(empty));
    expect(v.ok).toBe(false);
    expect(!v.ok && v.error.code).toBe('missing-dependencies');
    expect(yjsParks(empty, update)).toBe(true);
  });

  it('takes references the update brings itself, in any order of clients', () => {
    // Client 9's item hangs after client 4's, which comes later in the update.
    const u = encodeUpdate([
      { client: 9, clock: 0, structs: [{ text: 'b', origin: [4, 1] }] },
      { client: 4, clock: 0, structs: [{ text: 'aa' }] },
    ], [{ client: 4, ranges: [[0, 1]] }]);
    expect(checkUpdate(u, clocks(empty))).toMatchObject({ ok: true, structs: 2, deleteRanges: 1 });
    expect(yjsParks(empty, u)).toBe(false);
  });

  it('takes an update that overlaps what the receiver holds', () => {
    const receiver = docWithText(11, 'hello');
    const richer = new Y.Doc();
    Y.applyUpdate(richer, Y.encodeStateAsUpdate(receiver));
    richer.clientID = 12;
    richer.getText('notes-body').insert(5, ' world');
    const whole = Y.encodeStateAsUpdate(richer); // starts at clock 0 of client 11: held already
    expect(checkUpdate(whole, clocks(receiver)).ok).toBe(true);
    expect(yjsParks(receiver, whole)).toBe(false);
  });

  it('refuses a reference of a struct to itself or later (bad-request)', () => {
    const u = encodeUpdate([{ client: 5, clock: 0, structs: [{ text: 'x', origin: [5, 0] }] }]);
    expect(checkUpdate(u, clocks(empty))).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('refuses writes under a root type the room document does not have', () => {
    const u = encodeUpdate([{ client: 5, clock: 0, structs: [{ text: 'x', root: 'junk' }] }]);
    expect(checkUpdate(u, clocks(empty), { roots: ROOT_NAMES })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const fine = encodeUpdate([{ client: 5, clock: 0, structs: [{ text: 'x', root: 'timeline' }] }]);
    expect(checkUpdate(fine, clocks(empty), { roots: ROOT_NAMES }).ok).toBe(true);
  });

  it('refuses counts over the limits before reading them (too-large)', () => {
    const limits = { ...UPDATE_LIMITS, structs: 10, deleteRanges: 10, clients: 3 };
    const many = encodeUpdate([{ client: 5, clock: 0, structs: Array.from({ length: 11 }, () => ({ gc: 1 })) }]);
    expect(checkUpdate(many, clocks(empty), { limits })).toMatchObject({ ok: false, error: { code: 'too-large' } });
    expect(checkUpdate(parkedDeletes(11, 0), clocks(empty), { limits })).toMatchObject({ ok: false, error: { code: 'too-large' } });
    const clients = encodeUpdate([1, 2, 3, 4].map((client) => ({ client, clock: 0, structs: [{ gc: 1 }] })));
    expect(checkUpdate(clients, clocks(empty), { limits })).toMatchObject({ ok: false, error: { code: 'too-large' } });
  });

  it('never throws on damage: a client twice, counts past the end, truncation, unknown content', () => {
    const twice = encodeUpdate([{ client: 5, clock: 0, structs: [{ gc: 1 }] }, { client: 5, clock: 1, structs: [{ gc: 1 }] }]);
    const real = Y.encodeStateAsUpdate(docWithText(3, 'some text here'));
    const cases = [twice, new Uint8Array([0xff, 0xff, 0xff, 0x0f]), real.subarray(0, real.length - 3), new Uint8Array([1, 1, 5, 0, 31]), new Uint8Array([1, 1, 5, 0, 7 | 128, 6, 0, 99])];
    for (const u of cases) {
      const v = checkUpdate(u, clocks(empty));
      expect(v.ok).toBe(false);
      expect(!v.ok && v.error.code).toBe('bad-request');
    }
  });
});

describe('checkUpdate agrees with Yjs on real updates', () => {
  /** Every update of a seeded sim run, plus the replicas it ended with. */
  function history(seed: number) {
    const net = new SimNetwork({ seed, devices: 4, hub: false });
    const updates: Uint8Array[] = [];
    for (const r of net.replicas) r.doc.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 250; i++) net.step();
    return { net, updates };
  }

  it.each([1, 2, 3])('seed %i: refused exactly when Yjs would park; every step 2 is taken', (seed) => {
    const { net, updates } = history(seed);
    const rng = new Rng(seed * 31);
    let refused = 0;
    let taken = 0;
    try {
      for (let trial = 0; trial < 30; trial++) {
        // A receiver that holds a random part of the history (never anything parked).
        const receiver = newDoc();
        for (const u of updates) {
          if (!rng.chance(0.6)) continue;
          Y.applyUpdate(receiver, u);
          dropParked(receiver);
        }
        for (let k = 0; k < 10; k++) {
          const u = rng.pick(updates);
          const v = checkUpdate(u, clocks(receiver), { roots: ROOT_NAMES });
          if (!v.ok) expect(v.error.code).toBe('missing-dependencies');
          expect(v.ok, 'checkUpdate says applicable iff Yjs applies it whole').toBe(!yjsParks(receiver, u));
          if (v.ok) taken++;
          else refused++;
        }
        // A step 2 from any replica to this receiver is always complete.
        for (const source of net.replicas) {
          const step2 = Y.encodeStateAsUpdate(source.doc, Y.encodeStateVector(receiver));
          expect(checkUpdate(step2, clocks(receiver), { roots: ROOT_NAMES }).ok).toBe(true);
          expect(yjsParks(receiver, step2)).toBe(false);
        }
        receiver.destroy();
      }
      // The comparison saw both kinds.
      expect(refused).toBeGreaterThan(10);
      expect(taken).toBeGreaterThan(10);
    } finally {
      net.destroy();
    }
  });
});

describe('loadStored heals data saved with parked updates', () => {
  it('keeps what applies, drops what was parked, and reports it', () => {
    const old = newDoc();
    timeline(old).push([{ id: 'aaaaaaaaaaaa', author: `d${'1'.repeat(32)}`, authorName: 'A', text: 'kept', sentAt: 1 } satisfies TimelineEntry]);
    // How data was poisoned before: Yjs parked the update, and a snapshot copied it in.
    Y.applyUpdate(old, stallingUpdate(1000));
    expect(pending(old)).toEqual({ structs: true, deletes: true });
    const snapshot = Y.encodeStateAsUpdate(old);
    const fresh = newDoc();
    const loaded = loadStored(fresh, [snapshot, new Uint8Array([9, 9, 9])], 'storage');
    expect(pending(fresh)).toEqual({ structs: false, deletes: false });
    expect(readTimeline(fresh).map((m) => m.text)).toEqual(['kept']);
    expect(loaded.damaged).toBe(1);
    expect(loaded.dropped!.deleteBytes).toBeGreaterThan(1000);
    expect(loaded.dropped!.structBytes).toBeGreaterThan(0);
    // What is written back (a snapshot of the healed replica) no longer carries it.
    expect(Y.encodeStateAsUpdate(fresh).length).toBeLessThan(200);
  });
});

describe('checkUpdate reads strings without decoding ASCII, and counts others as Yjs does', () => {
  /** Updates of one writer: `first` inserted, then `more` appended after it. */
  function twoSteps(first: (doc: Y.Doc) => void, more: (doc: Y.Doc) => void) {
    const doc = newDoc();
    doc.clientID = 7;
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    first(doc);
    more(doc);
    return updates;
  }

  it.each([
    ['ASCII', 'plain text'],
    ['accents', 'héllo wörld'],
    ['emoji (two UTF-16 units each)', 'hi 😀😀 there'],
    ['mixed scripts', 'Ωmega 漢字 ok'],
  ])('%s: a text, a map key and a message; what follows them is taken, a gap is refused', (_label, text) => {
    const updates = twoSteps(
      (doc) =>
        doc.transact(() => {
          doc.getText('notes').insert(0, text);
          doc.getMap('settings').set(text, text);
          timeline(doc).push([{ id: 'msg-00000001', author: 'd' + '1'.repeat(32), authorName: text, text, sentAt: 1 }]);
        }),
      (doc) => doc.getText('notes').insert(text.length, '!'),
    );
    const receiver = newDoc();
    expect(checkUpdate(updates[0]!, clocks(receiver), { roots: ROOT_NAMES })).toMatchObject({ ok: true });
    // The second update starts right after the first one's clocks: only a right count takes it.
    expect(checkUpdate(updates[1]!, clocks(receiver), { roots: ROOT_NAMES })).toMatchObject({ ok: false, error: { code: 'missing-dependencies' } });
    Y.applyUpdate(receiver, updates[0]!);
    expect(checkUpdate(updates[1]!, clocks(receiver), { roots: ROOT_NAMES })).toMatchObject({ ok: true });
  });

  it('a string that is not UTF-8 is refused, as Yjs would refuse it', () => {
    const doc = newDoc();
    doc.getText('notes').insert(0, 'ZZZZZZZZ');
    const update = Y.encodeStateAsUpdate(doc);
    const at = Buffer.from(update).indexOf('ZZZZZZZZ');
    expect(at).toBeGreaterThan(0);
    const broken = update.slice();
    broken[at + 3] = 0xff;
    expect(() => Y.applyUpdate(newDoc(), broken)).toThrow();
    expect(checkUpdate(broken, clocks(newDoc()), { roots: ROOT_NAMES })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});
