/**
 * DocSync (protocol/doc-sync.ts) as a device runs it, against a hostile member and against the
 * honest case that looks like one: an update that overtakes what it depends on. Frames move only
 * when a test delivers them, so every ordering here is chosen, not random.
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import * as awarenessProtocol from 'y-protocols/awareness';
import { describe, expect, it } from 'vitest';
import { DocSync } from '../../../protocol/doc-sync.ts';
import type { OsmoseError } from '../../../protocol/errors.ts';
import { AWARENESS_LIMITS } from '../../../protocol/awareness-guard.ts';
import { FRAME, FRAME_LIMITS, Reassembler, decodeSyncFrame, encodeSyncFrame, fragment } from '../../../protocol/sync-frames.ts';
import { ROOT_NAMES, newDoc, readTimeline, timeline, type TimelineEntry } from '../../../protocol/room-doc.ts';
import { content, pending, stateVector } from '../sim/sim-network.ts';
import { encodeUpdate, stallingUpdate, updateFrame } from '../support/hostile-updates.ts';

interface Node {
  id: string;
  doc: Y.Doc;
  sync: DocSync;
  awareness: Awareness;
  errors: { link: string; error: OsmoseError }[];
}

/**
 * Devices joined by links whose frames wait in per-direction queues until delivered. Time stands
 * still until the network is quiet; then it jumps to the next timer (a step 1 answer that waits).
 */
class Net {
  readonly nodes = new Map<string, Node>();
  readonly queues = new Map<string, Uint8Array[]>();
  now = 0;
  private timers: { at: number; fn: () => void }[] = [];

  node(id: string): Node {
    let n = this.nodes.get(id);
    if (n) return n;
    const doc = newDoc();
    const awareness = new Awareness(doc);
    awareness.setLocalState({ deviceId: id, name: id, typing: false, viewing: null });
    const errors: Node['errors'] = [];
    const sync = new DocSync(doc, awareness, {
      roots: ROOT_NAMES,
      onError: (link, error) => errors.push({ link, error }),
      now: () => this.now,
      schedule: (fn, ms) => {
        const t = { at: this.now + ms, fn };
        this.timers.push(t);
        return () => {
          const i = this.timers.indexOf(t);
          if (i >= 0) this.timers.splice(i, 1);
        };
      },
    });
    n = { id, doc, sync, awareness, errors };
    this.nodes.set(id, n);
    return n;
  }

  link(a: string, b: string): void {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      this.queues.set(`${from}>${to}`, []);
      this.node(from).sync.addLink({ id: to, send: (f) => this.queues.get(`${from}>${to}`)!.push(f) });
    }
  }

  /** Delivers `n` frames from one direction's queue (all by default), oldest first. */
  deliver(from: string, to: string, n = Infinity): void {
    const q = this.queues.get(`${from}>${to}`)!;
    for (; n > 0 && q.length; n--) this.node(to).sync.receive(from, q.shift()!);
  }

  /** Delivers the newest frame of one direction first (a frame that overtakes the others). */
  deliverNewest(from: string, to: string): void {
    const q = this.queues.get(`${from}>${to}`)!;
    this.node(to).sync.receive(from, q.pop()!);
  }

  drain(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [dir, q] of this.queues) {
        if (!q.length) continue;
        const [from, to] = dir.split('>') as [string, string];
        this.deliver(from, to, 1);
        moved = true;
      }
      if (!moved && this.timers.length) {
        const next = this.timers.sort((a, b) => a.at - b.at).shift()!;
        this.now = Math.max(this.now, next.at);
        next.fn();
        moved = true;
      }
    }
  }

  destroy(): void {
    for (const n of this.nodes.values()) {
      n.sync.destroy();
      n.awareness.destroy();
    }
  }
}

const post = (doc: Y.Doc, text: string) =>
  doc.transact(() => timeline(doc).push([{ id: `m${text.replace(/\W/g, '').padEnd(11, '0').slice(0, 11)}`, author: `d${'1'.repeat(32)}`, authorName: 'A', text, sentAt: 1 } satisfies TimelineEntry]));

function expectSame(a: Node, b: Node): void {
  expect(pending(a.doc)).toEqual({ structs: false, deletes: false });
  expect(pending(b.doc)).toEqual({ structs: false, deletes: false });
  expect(stateVector(a.doc)).toEqual(stateVector(b.doc));
  expect(content(a.doc)).toEqual(content(b.doc));
}

describe('a device refuses a hostile update from a peer', () => {
  it('typed error, document unchanged, nothing parked, nothing forwarded, the peer asked for a sync', () => {
    const net = new Net();
    try {
      net.link('me', 'mallory');
      net.link('me', 'friend');
      net.drain();
      post(net.node('me').doc, 'hello');
      net.drain();
      const before = Y.encodeStateAsUpdate(net.node('me').doc);
      const toFriend = net.queues.get('me>friend')!;
      const toMallory = net.queues.get('me>mallory')!;
      net.node('me').sync.receive('mallory', updateFrame(stallingUpdate(10_000)));
      const me = net.node('me');
      expect(me.errors.map((e) => [e.link, e.error.code])).toEqual([['mallory', 'missing-dependencies']]);
      expect(pending(me.doc)).toEqual({ structs: false, deletes: false });
      expect(Y.encodeStateAsUpdate(me.doc)).toEqual(before);
      expect(toFriend).toEqual([]); // not flooded on
      expect(toMallory.length).toBe(1); // a sync step 1: "here is what I have"
      expect(decodeSyncFrame(toMallory[0]!)).toMatchObject({ ok: true, frame: { kind: FRAME.sync } });
      expect(toMallory[0]![2]).toBe(0);
    } finally {
      net.destroy();
    }
  });

  it('refuses writes outside the room document and over-sized counts, with typed errors', () => {
    const net = new Net();
    try {
      net.link('me', 'mallory');
      net.drain();
      const me = net.node('me');
      me.sync.receive('mallory', updateFrame(encodeUpdate([{ client: 5, clock: 0, structs: [{ text: 'x', root: 'junk' }] }])));
      me.sync.receive('mallory', updateFrame(encodeUpdate([{ client: 5, clock: 0, structs: Array.from({ length: 1_000_001 }, () => ({ gc: 1 })) }])));
      expect(me.errors.map((e) => e.error.code)).toEqual(['bad-request', 'too-large']);
      expect(me.doc.share.has('junk')).toBe(false);
      expect(pending(me.doc)).toEqual({ structs: false, deletes: false });
    } finally {
      net.destroy();
    }
  });
});

describe('an honest update that overtakes what it depends on still arrives', () => {
  it('a live update that overtakes the step 2 of a new link: refused, then fetched by a sync', () => {
    const net = new Net();
    try {
      net.link('a', 'b');
      net.drain();
      post(net.node('a').doc, 'from a');
      net.drain(); // b has a's message; c has never met anyone
      net.link('b', 'c');
      const b = net.node('b');
      b.doc.transact(() => timeline(b.doc).delete(0, 1)); // depends on a's message, which c lacks
      net.deliver('b', 'c'); // b's step 1, then the deletion: it overtakes b's step 2, not made yet
      const c = net.node('c');
      expect(c.errors.map((e) => e.error.code)).toEqual(['missing-dependencies']);
      expect(pending(c.doc)).toEqual({ structs: false, deletes: false });
      net.drain();
      expectSame(b, c);
      expectSame(net.node('a'), c);
      expect(readTimeline(c.doc)).toEqual([]);
      expect(c.doc.getArray('timeline').length).toBe(0);
    } finally {
      net.destroy();
    }
  });

  it('on a link that reorders, even when the step 2 it waits for was made before the update', () => {
    const net = new Net();
    try {
      net.link('a', 'b');
      net.deliver('b', 'a'); // a answers b's step 1 now (its step 2 waits in the queue to b)
      post(net.node('a').doc, 'one');
      post(net.node('a').doc, 'two'); // depends on "one" (same client, next clock)
      const b = net.node('b');
      net.deliverNewest('a', 'b'); // "two" overtakes everything
      expect(b.errors.map((e) => e.error.code)).toEqual(['missing-dependencies']);
      net.deliver('a', 'b'); // a's step 1, the old step 2, then "one"
      net.drain();
      expect(readTimeline(b.doc).map((m) => m.text)).toEqual(['one', 'two']);
      expectSame(net.node('a'), b);
    } finally {
      net.destroy();
    }
  });
});

describe('presence from a link is filtered', () => {
  function setup() {
    const net = new Net();
    net.link('me', 'mallory');
    net.link('me', 'friend');
    net.drain();
    return { net, me: net.node('me'), mallory: net.node('mallory'), friend: net.node('friend') };
  }
  const frame = (entries: [number, number, unknown][]) => {
    const fake = new Awareness(new Y.Doc());
    for (const [client, clock, state] of entries) fake.meta.set(client, { clock, lastUpdated: 0 }), state === null ? fake.states.delete(client) : fake.states.set(client, state as object);
    const bytes = awarenessProtocol.encodeAwarenessUpdate(fake, entries.map(([c]) => c));
    fake.destroy();
    return encodeSyncFrame(FRAME.awareness, 0, bytes);
  };

  it('takes an honest state, and its removal by the link that sent it', () => {
    const { net, me, friend } = setup();
    try {
      expect(me.awareness.getStates().get(friend.doc.clientID)).toMatchObject({ name: 'friend' });
      friend.awareness.setLocalState(null);
      net.drain();
      expect(me.awareness.getStates().has(friend.doc.clientID)).toBe(false);
      expect(me.errors).toEqual([]);
    } finally {
      net.destroy();
    }
  });

  it('never takes a state for this device, or for a client another link speaks for', () => {
    const { net, me, friend } = setup();
    try {
      const mine = me.awareness.getLocalState();
      me.sync.receive('mallory', frame([[me.doc.clientID, 999, { deviceId: 'me', name: 'hijacked', typing: false, viewing: null }]]));
      me.sync.receive('mallory', frame([[friend.doc.clientID, 999, { deviceId: 'friend', name: 'renamed', typing: true, viewing: null }]]));
      me.sync.receive('mallory', frame([[friend.doc.clientID, 1000, null]]));
      expect(me.awareness.getLocalState()).toEqual(mine);
      expect(me.awareness.getStates().get(friend.doc.clientID)).toMatchObject({ name: 'friend', typing: false });
    } finally {
      net.destroy();
    }
  });

  it(`refuses more than ${AWARENESS_LIMITS.statesPerLink} clients from one link, and frames over ${AWARENESS_LIMITS.frameBytes} bytes`, () => {
    const { net, me } = setup();
    try {
      const many = Array.from({ length: 50 }, (_, i) => [10_000 + i, 1, { deviceId: 'x', name: `fake ${i}`, typing: false, viewing: null }] as [number, number, unknown]);
      const sizeBefore = me.awareness.getStates().size;
      me.sync.receive('mallory', frame(many));
      me.sync.receive('mallory', frame([[20_000, 1, { name: 'x'.repeat(AWARENESS_LIMITS.frameBytes) }]]));
      expect(me.errors.map((e) => e.error.code)).toEqual(['too-large', 'too-large']);
      expect(me.awareness.getStates().size).toBe(sizeBefore);
    } finally {
      net.destroy();
    }
  });
});

describe('fragment reassembly holds bounded memory per peer', () => {
  it(`unfinished frames together never hold more than ${FRAME_LIMITS.pendingBytes} bytes`, () => {
    const r = new Reassembler();
    const big = new Uint8Array(FRAME_LIMITS.frameBytes - 1024);
    let refused: unknown = null;
    // Four frames that never finish, each just under the per-frame limit: all but the last piece.
    for (let id = 1; id <= FRAME_LIMITS.maxPending && !refused; id++) {
      const pieces = fragment(big, id);
      for (const p of pieces.slice(0, -1)) {
        const d = decodeSyncFrame(p);
        const out = d.ok ? r.add(d.frame.payload) : d.error;
        if (out) {
          refused = out;
          break;
        }
      }
    }
    expect(refused).toMatchObject({ code: 'too-large' });
    expect(r.heldBytes).toBeLessThanOrEqual(FRAME_LIMITS.pendingBytes);
  });
});
