/**
 * DocSync (protocol/doc-sync.ts) on a seeded, adversarial in-memory network
 * (tests/unit/sim/sim-network.ts): 3 to 10 replicas, one of them acting as the hub, edit the
 * room's document while the network reorders, duplicates, drops and partitions their frames and
 * cuts and restores links. After healing, every replica must hold the same state, and a late
 * joiner must catch up from any single replica.
 *
 * Runs:
 *   npx vitest run tests/unit/sim/doc-sync.sim.test.ts            40 seeds x 300 steps (CI)
 *   OSMOSE_SIM_SEEDS=1000 npx vitest run tests/unit/sim/doc-sync.sim.test.ts   the long run
 *   OSMOSE_SIM_SEED=17 npx vitest run tests/unit/sim/doc-sync.sim.test.ts      replay one seed
 *   OSMOSE_SIM_STEPS=2000 ...                                           longer histories
 * A failure names its seed and the command that replays it.
 *
 * Also here: frames that must be refused (garbage, truncated, unknown kind, huge), the
 * Reassembler's limits, and the ack protocol against the real hub replica (hub/room-memory.ts).
 * Tests written as `it.fails` document bugs found in the sync code: each says what is wrong and
 * the fix; when the fix lands, vitest reports them as failing, and `.fails` goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DocSync, ORIGIN, type SyncLink } from '../../../protocol/doc-sync.ts';
import { OsmoseError } from '../../../protocol/errors.ts';
import { FRAME, FRAME_LIMITS, Reassembler, decodeSyncFrame, encodeSyncFrame, fragment } from '../../../protocol/sync-frames.ts';
import { applyRetention, newDoc, notes, readTimeline, settings, timeline, type TimelineEntry } from '../../../protocol/room-doc.ts';
import { RoomMemory } from '../../../hub/memory/room-memory.ts';
import { MemoryStore } from '../../../hub/memory/memory-store.ts';
import { setQuiet } from '../../../hub/support/log.ts';
import { Rng, SimNetwork, content, pending, sameState, stateVector } from './sim-network.ts';

const SEEDS = Number(process.env.OSMOSE_SIM_SEEDS ?? 40);
const STEPS = Number(process.env.OSMOSE_SIM_STEPS ?? 300);
const ONLY = process.env.OSMOSE_SIM_SEED;
const seeds = ONLY !== undefined ? [Number(ONLY)] : Array.from({ length: SEEDS }, (_, i) => i + 1);
const replay = (seed: number) => `replay: OSMOSE_SIM_SEED=${seed} OSMOSE_SIM_STEPS=${STEPS} npx vitest run tests/unit/sim/doc-sync.sim.test.ts`;

/** Rethrows with the seed and the replay command in front of the message. */
function withSeed<T>(seed: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error) err.message = `seed ${seed}: ${err.message}\n${replay(seed)}`;
    throw err;
  }
}

/** How many replicas (hub included) a seed gets: 3 to 10. */
function replicaCount(seed: number): number {
  return new Rng(seed * 7919 + 1).range(3, 10);
}

function expectConverged(net: SimNetwork): void {
  const [first, ...rest] = net.replicas;
  for (const r of net.replicas) expect(pending(r.doc), `${r.id} still waits for missing updates`).toEqual({ structs: false, deletes: false });
  const sv = stateVector(first!.doc);
  const c = content(first!.doc);
  for (const r of rest) {
    expect(stateVector(r.doc), `state vector of ${r.id} vs ${first!.id}`).toEqual(sv);
    expect(content(r.doc), `content of ${r.id} vs ${first!.id}`).toEqual(c);
    expect(sameState(r.doc, first!.doc), `deletions of ${r.id} vs ${first!.id}`).toBe(true);
  }
}

/**
 * The only refusals an honest network may cause: fragments of a frame whose other pieces were
 * lost, and updates that overtook what they depend on (refused whole, then fetched by a
 * state-vector sync). A refused step 2 would be a bug: an honest one is always complete.
 */
function expectOnlyLostFragmentRefusals(net: SimNetwork): void {
  for (const r of net.replicas) {
    const unexpected = r.errors.filter((e) => !/unfinished fragmented frames/.test(e.error.message) && !(e.error.code === 'missing-dependencies' && !e.error.message.startsWith('sync step 2')));
    expect(unexpected.map((e) => `${e.error.code}: ${e.error.message}`), `refusals at ${r.id}`).toEqual([]);
  }
}

beforeAll(() => setQuiet(true));
afterAll(() => setQuiet(false));

describe('DocSync on a seeded adversarial network', () => {
  const totals = { edits: 0, delivered: 0, dropped: 0, duplicated: 0, disconnects: 0, partitions: 0, refetched: 0 };
  afterAll(() => {
    if (seeds.length > 1) console.info(`[sim] ${seeds.length} seeds x ${STEPS} steps:`, totals);
  });

  it.each(seeds)('seed %i: every replica converges, and a late joiner catches up from any one', (seed) => {
    withSeed(seed, () => {
      const net = new SimNetwork({ seed, devices: replicaCount(seed) - 1, hub: true });
      try {
        for (let i = 0; i < STEPS; i++) net.step();
        net.heal();
        expect(net.queued).toBe(0);
        expectConverged(net);
        expectOnlyLostFragmentRefusals(net);
        // With every link up and nothing lost, the hub has acked everything every device holds.
        for (const d of net.devices) expect(d.sync.unsaved, `${d.id} still waits for the hub's ack`).toBe(false);

        for (const source of [...net.replicas]) {
          const late = net.join(`d${'f'.repeat(32)}`, source.id);
          expect(stateVector(late.doc), `late joiner from ${source.id}`).toEqual(stateVector(source.doc));
          expect(content(late.doc), `late joiner from ${source.id}`).toEqual(content(source.doc));
          expect(sameState(late.doc, source.doc)).toBe(true);
          net.removeReplica(late.id);
        }
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) if (k !== 'refetched') totals[k] += net.stats[k];
      } finally {
        net.destroy();
      }
    });
  }, Math.max(30_000, STEPS * 200));

  /**
   * No heal here: live links are never re-synced from outside. Device links still reorder and
   * duplicate (nothing is dropped on a live link, as on a reliable data channel), so updates
   * often arrive before what they depend on; each such update is refused whole and fetched again
   * through the state-vector sync the refusal asks for. Nothing is ever parked.
   */
  it.each(process.env.OSMOSE_SIM_SEEDS ? seeds : seeds.slice(0, 20))('seed %i: updates that overtake their dependencies are fetched again, without a heal', (seed) => {
    withSeed(seed, () => {
      // Links never go down either (a reconnect's step 1 exchange would hide a lost update), and
      // two or three devices leave few other paths for a lost update to come back by.
      const net = new SimNetwork({ seed, devices: 2 + (seed % 2), hub: seed % 3 === 0, faults: { drop: 0, disconnect: 0 } });
      try {
        let parkedSeen = 0;
        for (let i = 0; i < STEPS; i++) {
          net.step();
          for (const r of net.replicas) if (pending(r.doc).structs || pending(r.doc).deletes) parkedSeen++;
        }
        net.restore();
        expect(net.queued).toBe(0);
        expect(parkedSeen, 'a replica held parked updates').toBe(0);
        expectConverged(net);
        expectOnlyLostFragmentRefusals(net);
        if (net.hub) for (const d of net.devices) expect(d.sync.unsaved, `${d.id} still waits for the hub's ack`).toBe(false);
        totals.refetched += net.replicas.reduce((n, r) => n + r.errors.filter((e) => e.error.code === 'missing-dependencies').length, 0);
      } finally {
        net.destroy();
      }
    });
  }, Math.max(30_000, STEPS * 200));

  it('exercises what it claims to (a fixed seed)', () => {
    const net = new SimNetwork({ seed: 4242, devices: 6, hub: true });
    try {
      for (let i = 0; i < 600; i++) net.step();
      const s = net.stats;
      for (const k of ['edits', 'delivered', 'dropped', 'duplicated', 'stale', 'disconnects', 'reconnects', 'partitions', 'retentionRuns'] as const) {
        expect(s[k], k).toBeGreaterThan(0);
      }
      // Before healing, the replicas have drifted apart.
      const svs = new Set(net.replicas.map((r) => JSON.stringify(stateVector(r.doc))));
      expect(svs.size).toBeGreaterThan(1);
      net.heal();
      expectConverged(net);
      // The run made real content: messages, notes with text, retention deletions.
      expect(readTimeline(net.hub!.doc).length).toBeGreaterThan(5);
      expect([...notes(net.hub!.doc).values()].some((n) => String(n.get('body')).length > 0)).toBe(true);
    } finally {
      net.destroy();
    }
  });

  it('the same seed replays the same history', () => {
    const run = () => {
      const net = new SimNetwork({ seed: 99, devices: 4, hub: true });
      for (let i = 0; i < 200; i++) net.step();
      const out = { stats: { ...net.stats }, replicas: net.replicas.map((r) => ({ id: r.id, sv: stateVector(r.doc), content: content(r.doc) })) };
      net.destroy();
      return out;
    };
    expect(run()).toEqual(run());
  });
});

// ---- presence ----------------------------------------------------------------------------------

describe('awareness on the adversarial network', () => {
  /** Each device sees every other device's current local state (the hub has none). */
  function presenceMismatches(net: SimNetwork): string[] {
    const out: string[] = [];
    for (const d of net.devices) {
      for (const o of net.devices) {
        if (o === d) continue;
        const seen = d.awareness!.getStates().get(o.doc.clientID);
        if (JSON.stringify(seen) !== JSON.stringify(o.awareness!.getLocalState())) out.push(`${d.id.slice(0, 6)} sees ${o.id.slice(0, 6)} as ${JSON.stringify(seen)}`);
      }
    }
    return out;
  }

  function runPresence(seed: number, steps: number): SimNetwork {
    const net = new SimNetwork({ seed, devices: new Rng(seed).range(3, 6), hub: true, awareness: true });
    const rng = new Rng(seed + 1_000_003);
    for (let i = 0; i < steps; i++) {
      net.step();
      if (rng.chance(0.2)) {
        const d = rng.pick(net.devices);
        if (rng.chance(0.5)) d.awareness!.setLocalStateField('typing', rng.chance(0.5));
        else d.awareness!.setLocalStateField('viewing', rng.chance(0.5) ? rng.hex(24) : null);
      }
    }
    net.heal();
    return net;
  }

  it('documents still converge with presence on', () => {
    const net = runPresence(7, 300);
    try {
      expectConverged(net);
    } finally {
      net.destroy();
    }
  });

  // Awareness survives every link being cut and restored (the minimal case is below).
  it('after healing, every device sees every other device as it is now (seeds 1-10)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const net = runPresence(seed, 300);
      try {
        withSeed(seed, () => expect(presenceMismatches(net)).toEqual([]));
      } finally {
        net.destroy();
      }
    }
  });

  /**
   * A, B and C are all linked; C's link to A drops, then comes back. Removing A's awareness on C
   * is not news to forward (B keeps seeing A over its own link), and when the link returns, A's
   * unchanged state with its old clock is accepted again (DocSync.removeLink forgets the meta).
   */
  it('a link that drops and comes back: everyone still sees everyone (minimal case)', () => {
    const net = new SimNetwork({ seed: 1, devices: 3, hub: false, awareness: true, faults: { drop: 0, duplicate: 0, disconnect: 0, reconnect: 0, partition: 0 } });
    try {
      net.drain();
      const [a, b, c] = net.devices as [(typeof net.devices)[0], (typeof net.devices)[0], (typeof net.devices)[0]];
      expect(presenceMismatches(net)).toEqual([]);
      net.disconnect(c.id, a.id);
      net.drain();
      // B never lost its link to A.
      expect(b.awareness!.getStates().has(a.doc.clientID)).toBe(true);
      net.connect(c.id, a.id);
      net.drain();
      expect(presenceMismatches(net)).toEqual([]);
    } finally {
      net.destroy();
    }
  });
});

// ---- retention across replicas ---------------------------------------------------------------

describe('retention across replicas', () => {
  /**
   * A reaction or pin made concurrently on another device, before it heard of the message's
   * expiry, merges in afterwards: applyRetention also sweeps reactions and message pins whose
   * message is gone and that are older than the cutoff by their own time (ORPHAN_GRACE_MS).
   */
  it('no reaction or pin of an expired message survives a concurrent reaction', () => {
    const DAY = 86_400_000;
    const t0 = Date.UTC(2025, 0, 1);
    const a = newDoc();
    const b = newDoc();
    timeline(a).push([{ id: 'oldmessage01', author: `d${'1'.repeat(32)}`, authorName: 'A', text: 'old', sentAt: t0 } satisfies TimelineEntry]);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    applyRetention(a, t0 + 31 * DAY); // A expires the message...
    b.getMap('reactions').set(`oldmessage01|👍|d${'2'.repeat(32)}`, true); // ...while B reacts to it
    b.getMap('board').set('pin00000001', { kind: 'message', ref: 'oldmessage01', pinnedBy: `d${'2'.repeat(32)}`, pinnedAt: t0 + 31 * DAY });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    applyRetention(a, t0 + 40 * DAY);
    applyRetention(b, t0 + 40 * DAY);
    expect(readTimeline(a)).toEqual([]);
    expect([...a.getMap('reactions').keys()]).toEqual([]);
    expect([...a.getMap('board').keys()]).toEqual([]);
  });
});

// ---- frames that must be refused ------------------------------------------------------------

describe('DocSync refuses bad frames with a typed error and leaves the document as it was', () => {
  function setup(opts: { ack?: boolean } = {}) {
    const doc = newDoc();
    doc.transact(() => {
      timeline(doc).push([{ id: 'aaaaaaaaaaaa', author: `d${'1'.repeat(32)}`, authorName: 'A', text: 'hello', sentAt: 1 } satisfies TimelineEntry]);
      settings(doc).set('retentionDays', 7);
    });
    const awareness = new Awareness(doc);
    awareness.setLocalState({ deviceId: `d${'1'.repeat(32)}`, name: 'A', typing: false, viewing: null });
    const errors: OsmoseError[] = [];
    const sent: Uint8Array[] = [];
    const sync = new DocSync(doc, awareness, { ack: opts.ack, onError: (_link, e) => errors.push(e) });
    sync.addLink({ id: 'p', send: (f) => sent.push(f) });
    const before = Y.encodeStateAsUpdate(doc);
    const awarenessBefore = JSON.stringify([...awareness.getStates()]);
    const unchanged = () => {
      const other = newDoc();
      Y.applyUpdate(other, before);
      expect(sameState(doc, other)).toBe(true);
      expect(content(doc)).toEqual(content(other));
      expect(pending(doc)).toEqual({ structs: false, deletes: false });
      expect(JSON.stringify([...awareness.getStates()])).toBe(awarenessBefore);
    };
    const done = () => {
      sync.destroy();
      awareness.destroy();
    };
    return { doc, sync, errors, sent, unchanged, done };
  }

  const realUpdateFrame = (seq = 0) => {
    const src = newDoc();
    timeline(src).push([{ id: 'bbbbbbbbbbbb', author: `d${'2'.repeat(32)}`, authorName: 'B', text: 'x'.repeat(200), sentAt: 2 } satisfies TimelineEntry]);
    return encodeSyncFrame(FRAME.sync, seq, new Uint8Array([2, ...lengthPrefixed(Y.encodeStateAsUpdate(src))]));
  };

  it.each([
    ['unknown sync message type', encodeSyncFrame(FRAME.sync, 0, new Uint8Array([7, 1, 2, 3])), /^bad-request$/],
    ['garbage awareness payload', encodeSyncFrame(FRAME.awareness, 0, new Uint8Array([1, 5, 1, 3, 0x7b, 0x7b, 0x7b])), /^bad-request$/],
    // lib0's readUint8 reads past the end as undefined, so an empty frame shows up as an unknown kind.
    ['empty frame', new Uint8Array(0), /^(bad-request|unknown-type)$/],
    ['kind without seq', new Uint8Array([FRAME.sync]), /^bad-request$/],
    ['seq that never ends', new Uint8Array([FRAME.sync, 0xff, 0xff, 0xff]), /^bad-request$/],
    ['unknown kind', new Uint8Array([99, 0, 1, 2]), /^unknown-type$/],
    ['a fragment handed to DocSync unassembled', encodeSyncFrame(FRAME.fragment, 0, new Uint8Array([1, 0, 2])), /^bad-request$/],
  ] as const)('%s', (_name, frame, code) => {
    const s = setup();
    expect(() => s.sync.receive('p', frame)).not.toThrow();
    expect(s.errors.length).toBe(1);
    expect(s.errors[0]).toBeInstanceOf(OsmoseError);
    expect(s.errors[0]!.code).toMatch(code);
    s.unchanged();
    s.done();
  });

  it('a huge frame is refused before decoding', () => {
    const s = setup();
    const huge = new Uint8Array(FRAME_LIMITS.frameBytes + 1);
    huge[0] = FRAME.sync;
    s.sync.receive('p', huge);
    expect(s.errors.map((e) => e.code)).toEqual(['too-large']);
    s.unchanged();
    s.done();
  });

  it('frames from a link it does not have are ignored', () => {
    const s = setup();
    s.sync.receive('stranger', realUpdateFrame());
    expect(s.errors).toEqual([]);
    s.unchanged();
    s.done();
  });

  it('a huge fragment is refused by the app-side size check (decodeSyncFrame with the piece limit)', () => {
    const piece = new Uint8Array(FRAME_LIMITS.fragmentBytes + 65);
    piece[0] = FRAME.fragment;
    const d = decodeSyncFrame(piece, FRAME_LIMITS.fragmentBytes + 64);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error.code).toBe('too-large');
  });

  /** Malformed Yjs updates inside well-formed sync frames. */
  const badUpdates = () => {
    const whole = realUpdateFrame(3);
    return [
      ['a length past the end', encodeSyncFrame(FRAME.sync, 3, new Uint8Array([2, 0xff, 0xff, 0x03, 1, 2, 3]))],
      ['garbage inside a well-framed update', encodeSyncFrame(FRAME.sync, 3, new Uint8Array([2, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))],
      ...[3, 10, 40, whole.length - 1].map((cut) => [`a real update cut at ${cut} bytes`, whole.subarray(0, cut)] as const),
    ] as const;
  };

  /** y-protocols console.error()s what it swallows (see the bug below): keep the test output clean. */
  function quietly(fn: () => void): void {
    const original = console.error;
    console.error = () => undefined;
    try {
      fn();
    } finally {
      console.error = original;
    }
  }

  it('malformed or truncated updates never throw and leave the document unchanged', () => {
    for (const [name, frame] of badUpdates()) {
      const s = setup({ ack: true });
      quietly(() => expect(() => s.sync.receive('p', frame), name).not.toThrow());
      s.unchanged();
      s.done();
    }
    // The same update whole is taken: the refusals were about the damage.
    const s = setup();
    s.sync.receive('p', realUpdateFrame());
    expect(readTimeline(s.doc).map((m) => m.id)).toContain('bbbbbbbbbbbb');
    s.done();
  });

  /**
   * y-protocols' readSyncMessage swallows what Y.applyUpdate throws unless given an errorHandler:
   * DocSync passes one, so a malformed step 2 or update reaches onError with a typed error and the
   * hub (ack: true) does not ack it as stored.
   */
  it('malformed or truncated updates are reported with a typed error and not acked', () => {
    for (const [name, frame] of badUpdates()) {
      const s = setup({ ack: true });
      quietly(() => s.sync.receive('p', frame));
      expect(s.errors.map((e) => e.code), name).toEqual(['bad-request']);
      expect(s.sent.filter((f) => f[0] === FRAME.ack), name).toEqual([]);
      s.done();
    }
  });
});

function lengthPrefixed(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let n = bytes.length;
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return [...out, ...bytes];
}

// ---- Reassembler -------------------------------------------------------------------------------

describe('Reassembler limits', () => {
  /** The payloads of `fragment(frame)` (what Reassembler.add takes). */
  const pieces = (frame: Uint8Array, id: number, max: number) =>
    fragment(frame, id, max).map((f) => {
      const d = decodeSyncFrame(f);
      if (!d.ok) throw d.error;
      return d.frame.payload;
    });
  const bytes = (n: number, seed = 1) => {
    const rng = new Rng(seed);
    return Uint8Array.from({ length: n }, () => rng.int(256));
  };

  it('puts pieces together in any order', () => {
    const frame = bytes(10_000);
    const ps = pieces(frame, 1, 1000);
    expect(ps.length).toBe(10);
    const r = new Reassembler();
    const order = [3, 9, 0, 5, 1, 8, 2, 7, 6, 4];
    const results = order.map((i) => r.add(ps[i]!));
    expect(results.slice(0, -1).every((x) => x === null)).toBe(true);
    expect(results.at(-1)).toEqual(frame);
  });

  it('ignores a duplicate piece and still completes exactly once', () => {
    const frame = bytes(3000, 2);
    const ps = pieces(frame, 5, 1000);
    const r = new Reassembler();
    expect(r.add(ps[0]!)).toBeNull();
    expect(r.add(ps[0]!)).toBeNull();
    expect(r.add(ps[1]!)).toBeNull();
    expect(r.add(ps[1]!)).toBeNull();
    expect(r.add(ps[2]!)).toEqual(frame);
    // After completion a stray duplicate starts a new (never finished) frame, not a second copy.
    expect(r.add(ps[2]!)).toBeNull();
  });

  it('refuses more unfinished frames than maxPending', () => {
    const r = new Reassembler();
    for (let id = 1; id <= FRAME_LIMITS.maxPending; id++) expect(r.add(pieces(bytes(2000, id), id, 1000)[0]!)).toBeNull();
    const err = r.add(pieces(bytes(2000, 9), 99, 1000)[0]!);
    expect(err).toBeInstanceOf(OsmoseError);
    expect((err as OsmoseError).code).toBe('too-large');
    // A piece of a frame already pending is still taken.
    expect(r.add(pieces(bytes(2000, 1), 1, 1000)[1]!)).toEqual(bytes(2000, 1));
  });

  it('refuses a fragmented frame that grows over frameBytes, and forgets it', () => {
    const r = new Reassembler();
    const count = FRAME_LIMITS.maxFragments;
    const per = Math.ceil(FRAME_LIMITS.frameBytes / (count - 1)) + 1;
    const piece = (i: number) => {
      const head = [...varuint(7), ...varuint(i), ...varuint(count)];
      const p = new Uint8Array(head.length + per);
      p.set(head);
      return p;
    };
    let result: ReturnType<Reassembler['add']> = null;
    for (let i = 0; i < count && !(result instanceof OsmoseError); i++) result = r.add(piece(i));
    expect(result).toBeInstanceOf(OsmoseError);
    expect((result as OsmoseError).code).toBe('too-large');
    // Forgotten: its id starts afresh (the next piece does not complete anything).
    expect(r.add(new Uint8Array([...varuint(7), ...varuint(0), ...varuint(2), 1]))).toBeNull();
  });

  it('refuses bad pieces with bad-request', () => {
    const r = new Reassembler();
    const codes = [
      r.add(new Uint8Array([])),
      r.add(new Uint8Array([1, 5, 3, 0])), // index >= count
      r.add(new Uint8Array([1, 0, 1, 0])), // count < 2
      r.add(new Uint8Array([1, 0, ...varuint(FRAME_LIMITS.maxFragments + 1), 0])), // too many pieces
    ].map((e) => (e as OsmoseError).code);
    expect(codes).toEqual(['bad-request', 'bad-request', 'bad-request', 'bad-request']);
    expect(r.add(new Uint8Array([2, 0, 3, 9]))).toBeNull();
    expect((r.add(new Uint8Array([2, 1, 4, 9])) as OsmoseError).code).toBe('bad-request'); // count changed
  });

  it('drops unfinished frames after pendingTimeoutMs (injected clock)', () => {
    let t = 1_000;
    const r = new Reassembler(() => t);
    const frame = bytes(2000, 3);
    const ps = pieces(frame, 1, 1000);
    for (let id = 10; id < 10 + FRAME_LIMITS.maxPending; id++) r.add(pieces(bytes(2000, id), id, 1000)[0]!);
    // Full: nothing new until the clock moves.
    expect(r.add(ps[0]!)).toBeInstanceOf(OsmoseError);
    t += FRAME_LIMITS.pendingTimeoutMs; // exactly at the limit: still kept
    expect(r.add(ps[0]!)).toBeInstanceOf(OsmoseError);
    t += 1;
    expect(r.add(ps[0]!)).toBeNull();
    // The expired frames' late pieces start new entries; they never complete the old ones.
    t += FRAME_LIMITS.pendingTimeoutMs + 1;
    expect(r.add(ps[1]!)).toBeNull(); // piece 0 of frame 1 expired too: not complete
    expect(r.add(ps[0]!)).toEqual(frame);
  });
});

function varuint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

// ---- the hub's replica: acks mean durable --------------------------------------------------------

describe('acks from the real hub replica (hub/room-memory.ts, SQLite)', () => {
  const dirs: string[] = [];
  const open: RoomMemory[] = [];
  afterEach(() => {
    for (const m of open.splice(0)) {
      try {
        m.close();
      } catch {
        // closed by the test already
      }
    }
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-sim-hub-'));
    dirs.push(d);
    return d;
  };
  /** Each replica's store, as the hub hands it over (to read its rows). */
  const storeOf = new Map<RoomMemory, MemoryStore>();
  const hubAt = (dataDir: string, now?: () => number) => {
    const store = new MemoryStore(dataDir);
    const m = new RoomMemory(store, { now });
    storeOf.set(m, store);
    open.push(m);
    return m;
  };

  const DEVICE = `d${'a'.repeat(32)}`;
  /** Recent enough that the hub's retention (30 days by default, real clock) keeps it. */
  const NOW = Date.now();

  /** A device with its own DocSync, linked to a hub over a FIFO "WebSocket" we step by hand. */
  function device() {
    const doc = newDoc();
    let saved = 0;
    const sync = new DocSync(doc, null, { onSaved: () => saved++ });
    const toHub: Uint8Array[] = [];
    const toDevice: Uint8Array[] = [];
    let hub: RoomMemory | null = null;
    const d = {
      doc,
      sync,
      get savedCalls() {
        return saved;
      },
      toHub,
      toDevice,
      link(m: RoomMemory) {
        hub = m;
        m.attach(DEVICE, (f) => toDevice.push(f));
        const link: SyncLink = { id: 'hub', wantsAck: true, send: (f) => toHub.push(f) };
        sync.addLink(link);
      },
      unlink() {
        hub?.detach(DEVICE);
        sync.removeLink('hub');
        toHub.length = 0;
        toDevice.length = 0;
        hub = null;
      },
      /** Delivers up to `n` frames device → hub. */
      up(n = Infinity) {
        for (; n > 0 && toHub.length; n--) hub!.receive(DEVICE, toHub.shift()!);
      },
      /** Delivers up to `n` frames hub → device. */
      down(n = Infinity) {
        for (; n > 0 && toDevice.length; n--) sync.receive('hub', toDevice.shift()!);
      },
      pump() {
        while (toHub.length || toDevice.length) {
          d.up();
          d.down();
        }
      },
      post(text: string, sentAt = NOW) {
        const entry: TimelineEntry = { id: new Rng(text.length * 31 + sentAt).hex(24), author: DEVICE, authorName: 'Dev', text, sentAt };
        doc.transact(() => timeline(doc).push([entry]), ORIGIN.local);
      },
    };
    return d;
  }

  /** True if `container` already holds everything in `update` (applying it changes nothing). */
  function holds(container: Y.Doc, update: Uint8Array): boolean {
    const probe = newDoc();
    Y.applyUpdate(probe, Y.encodeStateAsUpdate(container));
    let changed = false;
    probe.on('update', () => (changed = true));
    Y.applyUpdate(probe, update);
    return !changed && probe.store.pendingStructs === null && probe.store.pendingDs === null;
  }

  it('unsaved goes false only after the ack, and everything acked is there after a reopen', () => {
    const dir = tmp();
    let hub = hubAt(dir);
    const d = device();
    d.link(hub);
    d.pump();
    expect(d.sync.unsaved).toBe(false);

    let savedState: Uint8Array | null = null;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) d.post(`round ${round} message ${i}`, NOW + round * 1000 + i);
      d.doc.transact(() => {
        const note = new Y.Map<unknown>();
        note.set('title', `note ${round}`);
        note.set('body', new Y.Text('x'.repeat(round * 100)));
        notes(d.doc).set(`note-${round}-xxxxxx`, note);
      }, ORIGIN.local);
      expect(d.sync.unsaved).toBe(true);
      d.up(); // the hub stores and acks...
      expect(d.sync.unsaved).toBe(true); // ...but the device has not heard the ack yet
      d.down();
      expect(d.sync.unsaved).toBe(false);
      savedState = Y.encodeStateAsUpdate(d.doc);
    }
    // One more edit reaches the hub, its ack does not reach the device.
    d.post('late one', NOW + 10_000);
    d.up();
    expect(d.sync.unsaved).toBe(true);

    // A crash: a second process opens the same folder while the first never closed.
    const crashed = hubAt(dir);
    expect(holds(crashed.doc, savedState!)).toBe(true);
    expect(readTimeline(crashed.doc).length).toBe(101);
    crashed.close();
    hub.close();
    // And after a clean reopen.
    hub = hubAt(dir);
    expect(holds(hub.doc, savedState!)).toBe(true);
    expect(holds(hub.doc, Y.encodeStateAsUpdate(d.doc))).toBe(true);
    expect(readTimeline(hub.doc).length).toBe(101);
  });

  it('a device that comes back after the hub restarted is saved again once acked', () => {
    const dir = tmp();
    let hub = hubAt(dir);
    const d = device();
    d.link(hub);
    d.pump();
    d.unlink();
    for (let i = 0; i < 10; i++) d.post(`offline ${i}`, NOW + i);
    expect(d.sync.unsaved).toBe(true);
    hub.close();
    hub = hubAt(dir);
    d.link(hub);
    d.pump();
    expect(d.sync.unsaved).toBe(false);
    hub.close();
    hub = hubAt(dir);
    expect(holds(hub.doc, Y.encodeStateAsUpdate(d.doc))).toBe(true);
  });

  /**
   * Updates taken in while the hub link was down reach the hub only in the step-2 reply to its
   * step 1; an ack for an unrelated edit made right after the link came back must not clear
   * `unsaved` before that. Here: a peer's message arrives while the hub is away; the hub comes
   * back; the device creates an independent note; the hub acks the note first.
   */
  it('unsaved stays true until the hub has what arrived while it was away', () => {
    const dir = tmp();
    const hub = hubAt(dir);
    const d = device();
    d.link(hub);
    d.pump();
    d.unlink();
    // A peer's message reaches the device while the hub link is down.
    const peer = newDoc();
    timeline(peer).push([{ id: 'peermessage01', author: `d${'b'.repeat(32)}`, authorName: 'Peer', text: 'from a peer', sentAt: NOW } satisfies TimelineEntry]);
    d.sync.addLink({ id: 'peer', send: () => undefined });
    d.sync.receive('peer', encodeSyncFrame(FRAME.sync, 0, new Uint8Array([2, ...lengthPrefixed(Y.encodeStateAsUpdate(peer))])));
    expect(d.sync.unsaved).toBe(true);
    // The hub comes back (both sides send step 1); the device makes a note before the hub's step 1 lands.
    d.link(hub);
    d.doc.transact(() => {
      const note = new Y.Map<unknown>();
      note.set('title', 'made right after reconnecting');
      note.set('body', new Y.Text('hi'));
      notes(d.doc).set('note-after-reconnect', note);
    }, ORIGIN.local);
    d.up(); // hub: the device's step 1, then the note (stored, acked)
    expect(hub.doc.store.pendingStructs).toBeNull(); // the note did not depend on anything missing
    d.down(1); // the hub's step 1: the device answers with a step 2 (queued, not yet delivered)
    d.down(); // the hub's answer to our step 1, and the ack for the note
    if (!d.sync.unsaved) {
      // The device claims all is saved: then the hub must have the peer's message.
      const crashed = hubAt(dir);
      expect(notes(crashed.doc).has('note-after-reconnect')).toBe(true);
      expect(readTimeline(crashed.doc).map((m) => m.text)).toContain('from a peer');
    }
  });

  /**
   * The hub never acks an update it could not integrate. Minimal case: offline edit u1; the link
   * comes back; edit u2 (same client, so it depends on u1) goes out before the step-2 exchange.
   * The hub refuses u2 whole (`missing-dependencies`: Yjs would have parked it and acked), and
   * the step 2 that follows brings u1 and u2; that frame is acked.
   */
  it('the hub never acks an update it could not integrate, and takes it with the step 2', () => {
    const dir = tmp();
    const refusals: OsmoseError[] = [];
    const hub = new RoomMemory(new MemoryStore(dir), { onRefusal: (_d, e) => refusals.push(e) });
    open.push(hub);
    const d = device();
    d.link(hub);
    d.pump();
    d.unlink();
    d.post('u1 offline', NOW);
    d.link(hub);
    d.post('u2 right after reconnecting', NOW + 1000);
    const acksBefore = d.toDevice.length;
    d.up(); // the device's step 1, then u2 (which depends on u1)
    expect(refusals.map((e) => e.code)).toEqual(['missing-dependencies']);
    expect(pending(hub.doc)).toEqual({ structs: false, deletes: false }); // nothing parked
    expect(readTimeline(hub.doc).map((m) => m.text)).not.toContain('u2 right after reconnecting');
    const acks = d.toDevice.slice(acksBefore).filter((f) => f[0] === FRAME.ack);
    expect(acks).toEqual([]);
    d.pump();
    expect(readTimeline(hub.doc).map((m) => m.text)).toEqual(['u1 offline', 'u2 right after reconnecting']);
    expect(d.sync.unsaved).toBe(false);
    const reopened = hubAt(dir);
    expect(readTimeline(reopened.doc).map((m) => m.text)).toEqual(['u1 offline', 'u2 right after reconnecting']);
  });

  it('an update the hub failed to store (disk full) is never covered by a later ack', () => {
    const dir = tmp();
    const real = new MemoryStore(dir);
    let failNext = false;
    const store = {
      loadAll: () => real.loadAll(),
      compact: (s: Uint8Array) => real.compact(s),
      close: () => real.close(),
      append: (u: Uint8Array) => {
        if (failNext) {
          failNext = false;
          throw new OsmoseError('storage-full', 'disk full (test)');
        }
        real.append(u);
      },
    };
    const hub = new RoomMemory(store);
    open.push(hub);
    const d = device();
    d.link(hub);
    d.pump();
    failNext = true;
    d.post('lost to a full disk', NOW);
    d.pump();
    expect(d.sync.unsaved).toBe(true); // no ack for it
    d.post('stored fine', NOW + 1000);
    d.pump();
    if (!d.sync.unsaved) {
      // The device believes both are on the hub: then a crash must not lose either.
      const crashed = hubAt(dir);
      expect(readTimeline(crashed.doc).map((m) => m.text).sort()).toEqual(['lost to a full disk', 'stored fine']);
    }
  });

  describe('retention on the hub (injected clock)', () => {
    const DAY = 86_400_000;
    const t0 = Date.UTC(2025, 0, 1);
    const secret = `EXPIRED-${new Rng(5).hex(16)}`;

    function setupExpired() {
      const dir = tmp();
      let t = t0;
      const hub = hubAt(dir, () => t);
      const d = device();
      d.link(hub);
      d.pump();
      expect(settings(hub.doc).get('retentionDays')).toBe(30);
      d.post(secret, t0 - 10 * DAY);
      d.post('KEPT message', t0 + 35 * DAY);
      d.doc.transact(() => d.doc.getMap('reactions').set(`${readTimeline(d.doc)[0]!.id}|👍|${DEVICE}`, true), ORIGIN.local);
      d.pump();
      expect(d.sync.unsaved).toBe(false);
      expect(readTimeline(hub.doc).map((m) => m.text)).toEqual([secret, 'KEPT message']);
      hub.close();
      t = t0 + 31 * DAY; // the old message is now past 30 days
      return { dir, d, now: () => t };
    }

    it('deletes expired messages: gone after a reopen, from the rows, and from devices that sync', () => {
      const { dir, d, now } = setupExpired();
      let hub = hubAt(dir, now); // retention runs on open
      expect(readTimeline(hub.doc).map((m) => m.text)).toEqual(['KEPT message']);
      expect(hub.doc.getMap('reactions').size).toBe(0);
      // The device hears of it when it syncs.
      d.unlink();
      d.link(hub);
      d.pump();
      expect(readTimeline(d.doc).map((m) => m.text)).toEqual(['KEPT message']);
      hub.close();
      hub = hubAt(dir, now);
      expect(readTimeline(hub.doc).map((m) => m.text)).toEqual(['KEPT message']);
      const rows = storeOf.get(hub)!.loadAll();
      expect(rows.length).toBeGreaterThan(0);
      const needle = Buffer.from(secret);
      for (const r of rows) expect(Buffer.from(r).includes(needle)).toBe(false);
    });

    const filesHolding = (dir: string, text: string) =>
      fs.readdirSync(dir).filter((f) => f.startsWith('memory.sqlite') && fs.readFileSync(path.join(dir, f)).includes(Buffer.from(text)));

    it('expired text is not left in the raw bytes of memory.sqlite once the hub has closed', () => {
      const { dir, now } = setupExpired();
      const hub = hubAt(dir, now);
      expect(readTimeline(hub.doc).map((m) => m.text)).toEqual(['KEPT message']);
      hub.close();
      expect(filesHolding(dir, 'KEPT message').length).toBeGreaterThan(0); // the check can see text
      expect(filesHolding(dir, secret)).toEqual([]);
    });

    it('retention on a running hub (a settings change) removes the expired text from disk', () => {
      const { dir, d, now } = setupExpired();
      // Reopen before the expiry would apply, so retention runs later, on the running hub.
      const early = hubAt(dir, () => t0 + DAY);
      d.unlink();
      d.link(early);
      d.pump();
      expect(readTimeline(early.doc).map((m) => m.text)).toEqual([secret, 'KEPT message']);
      early.close();
      const hub = hubAt(dir, now);
      expect(readTimeline(hub.doc).map((m) => m.text)).toEqual(['KEPT message']);
      // The hub keeps running: what is on disk now (the WAL included) no longer holds it.
      d.unlink();
      d.link(hub);
      d.pump();
      d.doc.transact(() => settings(d.doc).set('retentionDays', 20), ORIGIN.local);
      d.pump();
      expect(readTimeline(d.doc).map((m) => m.text)).toEqual(['KEPT message']);
      expect(filesHolding(dir, secret)).toEqual([]);
    });
  });
});
