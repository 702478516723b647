/**
 * The room's memory: how fast a late joiner can read a big room, how fast updates apply, and how
 * fast the device stores them.
 *
 * - Late joiner catch-up (Chromium, real hub): a room of `messages` timeline messages and a note of
 *   `noteChars` characters, written into the hub's data folder (memory.sqlite) before the hub
 *   starts. Time from navigation start until the page shows the last message and the note's full
 *   length (an init script marks the moment; it changes nothing the app sees).
 *     from the hub:  a new device (fresh context) opens the join link; the hub is its only source.
 *     from a peer:   device A loads the room from the hub, then the hub restarts on the same folder
 *                    (same room secret, CA and ports) without memory.sqlite; A's and B's memory
 *                    frames to the hub are dropped in the page, so the hub stays empty and B, a new
 *                    device, can only catch up from A over the mesh.
 * - CRDT apply rate (Node): `updates` one-message updates applied one by one, merged first, and
 *   through DocSync as the hub receives them (frame decode, apply, forward, ack).
 * - Hub ingest (Node): updates/s the hub replica stores (SQLite, synchronous=FULL, one commit each).
 * - IndexedDB write rate (Chromium): the app's DocStore (batched transactions, compaction) against
 *   one IndexedDB transaction per update, in the same page and run.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { MemoryStore } from '../hub/memory/memory-store.ts';
import { RoomMemory } from '../hub/memory/room-memory.ts';
import { setQuiet } from '../hub/support/log.ts';
import { DocSync, ORIGIN } from '../protocol/doc-sync.ts';
import { FRAME, encodeSyncFrame } from '../protocol/sync-frames.ts';
import { newDoc, notes, timeline, type TimelineEntry } from '../protocol/room-doc.ts';
import { instrument } from './join-probes.ts';
import { summarize, round, medians, type Summary } from './stats.ts';
import { newContext, sleep, stopHub, trackHub, waitFor } from './support.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface MemoryOptions {
  /** Catch-up runs per source (hub, peer). */
  runs: number;
  messages: number;
  noteChars: number;
  /** Updates for the apply and IndexedDB rates. */
  updates: number;
  /** Updates for the hub ingest rate (each one an fsync'd commit). */
  hubUpdates: number;
}

export const CATCH_UP_TARGET_MS = 500;
const CATCH_UP_TIMEOUT_MS = 90_000;

export interface CatchUpSample {
  /** Navigation start → last message and the whole note shown. */
  ms: number;
  /** ms since navigation start: page loaded, hub online, first memory bytes, timeline shown, note shown. */
  marks: Record<string, number>;
}

export interface CatchUpResult {
  summary: Summary;
  samples: CatchUpSample[];
  breakdown: Record<string, number>;
  failures: string[];
}

export interface Rate {
  updates: number;
  ms: number;
  perSecond: number;
}

export interface MemoryResult {
  room: { messages: number; noteChars: number; stateBytes: number; buildMs: number };
  catchUp: { hub: CatchUpResult | null; peer: CatchUpResult | null; targetMs: number };
  apply: { oneByOne: Rate; merged: Rate & { mergeMs: number; applyMs: number }; docSync: Rate } | null;
  hubIngest: Rate | null;
  idb: { none: Rate; batched: Rate & { records: number }; naive: Rate & { records: number }; runs: number } | null;
  /** Parts that failed (the others are still reported). */
  failures: Record<string, string>;
  notes: string[];
}

// ---- the room ------------------------------------------------------------------------------------

const AUTHORS = Array.from({ length: 8 }, (_, i) => ({ id: `d${(i + 1).toString(16).repeat(32)}`, name: `Person ${i + 1}`, client: 1000 + i }));

export interface BigRoom {
  update: Uint8Array;
  lastText: string;
  noteChars: number;
  buildMs: number;
}

/**
 * The room as a real one looks to Yjs: messages from 8 authors (each its own Yjs client, so items
 * interleave instead of merging into one run), one transaction per message, and a note typed in
 * 1 KiB pieces. Recent timestamps, so no retention removes anything.
 */
export function buildBigRoom(messages: number, noteChars: number): BigRoom {
  const t0 = performance.now();
  const doc = newDoc();
  const start = Date.now() - messages * 1000;
  let lastText = '';
  for (let i = 0; i < messages; i++) {
    const a = AUTHORS[i % AUTHORS.length]!;
    doc.clientID = a.client;
    lastText = `message ${i} of the benchmark room${i === messages - 1 ? ' (the last one)' : ''}`;
    const entry: TimelineEntry = { id: `msg-${String(i).padStart(8, '0')}`, author: a.id, authorName: a.name, text: lastText, sentAt: start + i * 1000 };
    doc.transact(() => timeline(doc).push([entry]), ORIGIN.local);
  }
  doc.clientID = AUTHORS[0]!.client;
  const body = new Y.Text();
  doc.transact(() => {
    const note = new Y.Map<unknown>();
    note.set('title', 'The big note');
    note.set('body', body);
    note.set('createdAt', Date.now());
    note.set('createdBy', AUTHORS[0]!.id);
    notes(doc).set('bignote-00000001', note);
  }, ORIGIN.local);
  const piece = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(20).slice(0, 1024);
  for (let n = 0; n < noteChars; n += piece.length) {
    doc.clientID = AUTHORS[(n / piece.length) % 2]!.client;
    doc.transact(() => body.insert(body.length, piece.slice(0, Math.min(piece.length, noteChars - n))), ORIGIN.local);
  }
  const update = Y.encodeStateAsUpdate(doc);
  const chars = body.length;
  doc.destroy();
  return { update, lastText, noteChars: chars, buildMs: round(performance.now() - t0, 1) };
}

/** Writes the room into a hub data folder, as the hub itself stores it. */
function fillHubData(dataDir: string, update: Uint8Array): void {
  const store = new MemoryStore(dataDir);
  store.append(update);
  store.close();
}

function removeHubMemory(dataDir: string): void {
  for (const f of ['memory.sqlite', 'memory.sqlite-wal', 'memory.sqlite-shm']) fs.rmSync(path.join(dataDir, f), { force: true });
}

// ---- page probes (init scripts) -------------------------------------------------------------------

/**
 * Marks `bench:caught-up` once the last message and the note's full length are on screen, plus
 * `bench:timeline` and `bench:note` separately, the first binary room-channel frame
 * (`bench:hub-bin1`) and the first binary data-channel message (`bench:dc-bin1`).
 */
export function caughtUpProbe(want: { lastText: string; noteChars: number; stateBytes: number }): void {
  const has = (n: string) => performance.getEntriesByName(n).length > 0;
  const mark = (n: string) => {
    if (!has(n)) performance.mark(n);
  };
  const check = () => {
    if (has('bench:caught-up')) return;
    const texts = document.querySelectorAll('[data-testid="chat-text"]');
    if (texts.length && texts[texts.length - 1]!.textContent === want.lastText) mark('bench:timeline');
    const rows = document.querySelectorAll('[data-testid="note-row"]');
    for (let i = 0; i < rows.length; i++) if ((rows[i]!.textContent ?? '').includes(`${want.noteChars} characters`)) mark('bench:note');
    if (has('bench:timeline') && has('bench:note')) {
      mark('bench:caught-up');
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  const begin = () => observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  if (document.documentElement) begin();
  else document.addEventListener('readystatechange', begin, { once: true });

  const NativeWS = window.WebSocket;
  const wsSend = NativeWS.prototype.send;
  const w = window as unknown as { __benchNoHubMemory?: boolean };
  // While set, this page's memory frames to the hub are dropped (the peer catch-up keeps the hub empty).
  NativeWS.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
    if (w.__benchNoHubMemory && typeof data !== 'string' && this.url.includes('/room')) return;
    return wsSend.call(this, data);
  };
  const wsAdd = NativeWS.prototype.addEventListener;
  // The app sets binaryType and listens with onmessage or addEventListener: watch the socket instead.
  const NativeCtor = window.WebSocket;
  class WS extends NativeCtor {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (String(url).includes('/room')) {
        let bytes = 0;
        wsAdd.call(this, 'message', (e: Event) => {
          const data = (e as MessageEvent).data as unknown;
          if (typeof data === 'string') return;
          mark('bench:hub-bin1');
          bytes += data instanceof ArrayBuffer ? data.byteLength : data instanceof Blob ? data.size : 0;
          if (bytes >= want.stateBytes) mark('bench:hub-all-bytes');
        });
        wsAdd.call(this, 'open', () => mark('bench:hub-open'));
      }
    }
  }
  window.WebSocket = WS;
  const NativePC = window.RTCPeerConnection;
  class PC extends NativePC {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('datachannel', (e) => tap(e.channel));
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const ch = super.createDataChannel(label, init);
      tap(ch);
      return ch;
    }
  }
  let dcBytes = 0;
  const tap = (ch: RTCDataChannel) =>
    ch.addEventListener('message', (e) => {
      const data = e.data as unknown;
      if (typeof data === 'string') return;
      mark('bench:dc-bin1');
      dcBytes += data instanceof ArrayBuffer ? data.byteLength : data instanceof Blob ? data.size : 0;
      if (dcBytes >= want.stateBytes) mark('bench:dc-all-bytes');
    });
  window.RTCPeerConnection = PC;
}

const MARKS = [
  'nav:domContentLoaded', 'b:app-main', 'b:room-ws-open', 'bench:hub-bin1', 'bench:hub-all-bytes', 'b:dc-open', 'bench:dc-bin1', 'bench:dc-all-bytes',
  'bench:timeline', 'bench:note', 'bench:caught-up', 'sum:longtask-ms-after-bytes', 'sum:longtask-max-ms',
] as const;

async function readSample(page: Page): Promise<CatchUpSample> {
  return page.evaluate(() => {
    const r = (n: number) => Math.round(n * 10) / 10;
    const marks: Record<string, number> = {};
    for (const m of performance.getEntriesByType('mark')) if (!(m.name in marks)) marks[m.name] = r(m.startTime);
    const navE = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (navE) marks['nav:domContentLoaded'] = r(navE.domContentLoadedEventEnd);
    // Main-thread tasks over 50 ms (recorded by join-probes' instrument) once the room's bytes were in.
    const from = marks['bench:hub-all-bytes'] ?? marks['bench:dc-all-bytes'] ?? Infinity;
    const to = marks['bench:caught-up'] ?? Infinity;
    const lt = ((window as unknown as { __benchLongTasks?: { start: number; duration: number }[] }).__benchLongTasks ?? []).filter((t) => t.start + t.duration >= from && t.start <= to);
    marks['sum:longtask-ms-after-bytes'] = r(lt.reduce((a, t) => a + t.duration, 0));
    if (lt.length) marks['sum:longtask-max-ms'] = r(Math.max(...lt.map((t) => t.duration)));
    return { ms: marks['bench:caught-up'] ?? NaN, marks };
  });
}

async function waitCaughtUp(page: Page): Promise<void> {
  await page.waitForFunction(() => performance.getEntriesByName('bench:caught-up').length > 0, undefined, { timeout: CATCH_UP_TIMEOUT_MS, polling: 100 });
}

async function deviceContext(browser: Browser, room: BigRoom, dropHubMemory: boolean): Promise<BrowserContext> {
  const ctx = await newContext(browser);
  await ctx.addInitScript(instrument);
  await ctx.addInitScript(caughtUpProbe, { lastText: room.lastText, noteChars: room.noteChars, stateBytes: room.update.byteLength });
  if (dropHubMemory) await ctx.addInitScript(() => ((window as unknown as { __benchNoHubMemory: boolean }).__benchNoHubMemory = true));
  return ctx;
}

function hubState(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { osmose?: { hub(): string } }).osmose?.hub() ?? 'none');
}

/** Opens the join link in a new device and times its catch-up. */
async function catchUpOnce(browser: Browser, url: string, room: BigRoom, dropHubMemory: boolean, log: (s: string) => void, label: string): Promise<CatchUpSample> {
  const ctx = await deviceContext(browser, room, dropHubMemory);
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => log(`  [${label}] page error: ${e.message}`));
    await page.goto(url);
    await waitCaughtUp(page);
    const s = await readSample(page);
    await page.goto('about:blank');
    return s;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

function summarizeCatchUp(samples: CatchUpSample[], failures: string[]): CatchUpResult {
  return { summary: summarize(samples.map((s) => s.ms)), samples, breakdown: medians(samples.map((s) => s.marks), MARKS) as Record<string, number>, failures };
}

async function catchUpFromHub(browser: Browser, room: BigRoom, opts: MemoryOptions, log: (s: string) => void): Promise<CatchUpResult> {
  const hub = trackHub(new TestHub('bench-memory-hub', { args: ['--challenges', '100000'] }));
  const samples: CatchUpSample[] = [];
  const failures: string[] = [];
  try {
    fillHubData(hub.dataDir, room.update);
    await hub.start();
    const url = hub.joinUrl();
    for (let i = 0; i < opts.runs; i++) {
      try {
        const s = await catchUpOnce(browser, url, room, false, log, 'hub');
        samples.push(s);
        log(`  catch-up from the hub ${i + 1}/${opts.runs}: ${s.ms} ms (room channel open ${s.marks['b:room-ws-open'] ?? '?'} ms, all bytes in ${s.marks['bench:hub-all-bytes'] ?? '?'} ms, then ${s.marks['sum:longtask-ms-after-bytes']} ms of long tasks (longest ${s.marks['sum:longtask-max-ms'] ?? 0} ms); timeline ${s.marks['bench:timeline']} ms, note ${s.marks['bench:note']} ms)`);
      } catch (err) {
        failures.push((err as Error).message.split('\n')[0]!);
        log(`  catch-up from the hub ${i + 1}/${opts.runs}: FAILED ${(err as Error).message.split('\n')[0]}`);
      }
      await sleep(300);
    }
  } finally {
    await stopHub(hub);
  }
  return summarizeCatchUp(samples, failures);
}

async function catchUpFromPeer(browser: Browser, room: BigRoom, opts: MemoryOptions, log: (s: string) => void, notes: string[]): Promise<CatchUpResult> {
  const hub = trackHub(new TestHub('bench-memory-peer', { args: ['--challenges', '100000'] }));
  const samples: CatchUpSample[] = [];
  const failures: string[] = [];
  const contexts: BrowserContext[] = [];
  try {
    // Device A gets the room from the hub, like any member who was there.
    fillHubData(hub.dataDir, room.update);
    await hub.start();
    const url = hub.joinUrl();
    const actx = await deviceContext(browser, room, false);
    contexts.push(actx);
    const a = await actx.newPage();
    a.on('pageerror', (e) => log(`  [peer A] page error: ${e.message}`));
    await a.goto(url);
    await waitCaughtUp(a);
    log(`  catch-up from a peer: device A has the room (${(await readSample(a)).ms} ms from the hub)`);

    // The hub forgets the room (same folder, secret, CA and ports; no memory.sqlite), and A's
    // memory frames to it are dropped from now on, so it stays empty.
    await a.evaluate(() => ((window as unknown as { __benchNoHubMemory: boolean }).__benchNoHubMemory = true));
    // Not stopHub(): its 5 s SIGKILL fallback timer outlives a quick stop and would kill the restarted hub.
    let fallback: NodeJS.Timeout | undefined;
    await Promise.race([hub.stop(), new Promise<void>((r) => (fallback = setTimeout(() => void hub.kill().then(r), 10_000)))]);
    clearTimeout(fallback);
    removeHubMemory(hub.dataDir);
    await waitFor(async () => (await hubState(a)) !== 'online', 15_000, 'device A to notice the hub restart');
    await hub.start();
    try {
      await waitFor(async () => (await hubState(a)) === 'online', 60_000, 'device A to reconnect to the restarted hub', 250);
    } catch (err) {
      throw new Error(`${(err as Error).message} (A's hub state: ${await hubState(a)}; hub log tail: ${hub.output.slice(-600)})`);
    }

    for (let i = 0; i < opts.runs; i++) {
      try {
        const s = await catchUpOnce(browser, url, room, true, log, 'peer B');
        samples.push(s);
        log(`  catch-up from a peer ${i + 1}/${opts.runs}: ${s.ms} ms (data channel open ${s.marks['b:dc-open'] ?? '?'} ms, all bytes in ${s.marks['bench:dc-all-bytes'] ?? '?'} ms, then ${s.marks['sum:longtask-ms-after-bytes']} ms of long tasks (longest ${s.marks['sum:longtask-max-ms'] ?? 0} ms); timeline ${s.marks['bench:timeline']} ms, note ${s.marks['bench:note']} ms)`);
      } catch (err) {
        failures.push((err as Error).message.split('\n')[0]!);
        log(`  catch-up from a peer ${i + 1}/${opts.runs}: FAILED ${(err as Error).message.split('\n')[0]}`);
      }
      await sleep(500);
    }
    await a.goto('about:blank');
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await stopHub(hub);
  }
  // Check the premise: the hub never held the room during the peer runs.
  try {
    const store = new MemoryStore(hub.dataDir);
    const bytes = store.loadAll().reduce((n, u) => n + u.byteLength, 0);
    store.close();
    notes.push(`peer catch-up: the restarted hub held ${bytes} bytes of room memory afterwards (the room is ${room.update.byteLength} bytes), so B caught up from A`);
    if (bytes > room.update.byteLength / 10) failures.push(`the hub held ${bytes} bytes: B may have caught up from the hub`);
  } catch (err) {
    notes.push(`peer catch-up: could not read the hub's memory afterwards: ${(err as Error).message}`);
  }
  return summarizeCatchUp(samples, failures);
}

// ---- CRDT apply and hub ingest (Node) -------------------------------------------------------------

function oneMessageUpdates(n: number): Uint8Array[] {
  const doc = newDoc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  const start = Date.now() - n * 10;
  for (let i = 0; i < n; i++) {
    const a = AUTHORS[i % AUTHORS.length]!;
    doc.clientID = a.client;
    doc.transact(() => timeline(doc).push([{ id: `upd-${String(i).padStart(8, '0')}`, author: a.id, authorName: a.name, text: `update ${i}`, sentAt: start + i * 10 } satisfies TimelineEntry]), ORIGIN.local);
  }
  doc.destroy();
  return out;
}

const rate = (updates: number, ms: number): Rate => ({ updates, ms: round(ms, 1), perSecond: Math.round(updates / (ms / 1000)) });

/** Median of `reps` timings of `fn`. */
function timed(reps: number, fn: () => void): number {
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

function applyRates(n: number): NonNullable<MemoryResult['apply']> {
  const updates = oneMessageUpdates(n);
  const check = (doc: Y.Doc) => {
    if (timeline(doc).length !== n) throw new Error(`apply: expected ${n} messages, got ${timeline(doc).length}`);
  };
  const oneByOneMs = timed(3, () => {
    const doc = newDoc();
    for (const u of updates) Y.applyUpdate(doc, u);
    check(doc);
  });
  let mergeMs = 0;
  let applyMs = 0;
  const mergedMs = timed(3, () => {
    const doc = newDoc();
    const t0 = performance.now();
    const merged = Y.mergeUpdates(updates);
    const t1 = performance.now();
    Y.applyUpdate(doc, merged);
    mergeMs = t1 - t0;
    applyMs = performance.now() - t1;
    check(doc);
  });
  // As the hub takes them: frame decode, apply, forward to another device, ack.
  const frames = updates.map((u, i) => {
    const e = encoding.createEncoder();
    syncProtocol.writeUpdate(e, u);
    return encodeSyncFrame(FRAME.sync, i + 1, encoding.toUint8Array(e));
  });
  const docSyncMs = timed(3, () => {
    const doc = newDoc();
    const sync = new DocSync(doc, null, { ack: true });
    let acks = 0;
    sync.addLink({ id: 'sender', send: (f) => void (f[0] === FRAME.ack && acks++) });
    sync.addLink({ id: 'other', send: () => undefined });
    for (const f of frames) sync.receive('sender', f);
    check(doc);
    if (acks !== n) throw new Error(`apply: expected ${n} acks, got ${acks}`);
    sync.destroy();
  });
  return { oneByOne: rate(n, oneByOneMs), merged: { ...rate(n, mergedMs), mergeMs: round(mergeMs, 1), applyMs: round(applyMs, 1) }, docSync: rate(n, docSyncMs) };
}

/** The hub replica storing `n` updates, each in its own frame (one fsync'd SQLite commit each). */
function hubIngest(n: number): Rate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bench-ingest-'));
  setQuiet(true);
  try {
    const memory = new RoomMemory(new MemoryStore(dir));
    const frames = oneMessageUpdates(n).map((u, i) => {
      const e = encoding.createEncoder();
      syncProtocol.writeUpdate(e, u);
      return encodeSyncFrame(FRAME.sync, i + 1, encoding.toUint8Array(e));
    });
    let acks = 0;
    memory.attach('dbench', (f) => void (f[0] === FRAME.ack && acks++));
    const t0 = performance.now();
    for (const f of frames) memory.receive('dbench', f);
    const ms = performance.now() - t0;
    memory.close();
    if (acks !== n) throw new Error(`hub ingest: expected ${n} acks, got ${acks}`);
    return rate(n, ms);
  } finally {
    setQuiet(false);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- IndexedDB (Chromium) -----------------------------------------------------------------------------

/** The page: the app's DocStore and, for comparison, one IndexedDB transaction per update. */
const IDB_PAGE = `
import * as Y from 'yjs';
import { DocStore, deleteStoredMemory } from '../src/memory/doc-store.ts';
import { db } from '../src/platform/storage.ts';
import { ORIGIN } from '../protocol/doc-sync.ts';
import { newDoc, timeline } from '../protocol/room-doc.ts';

const yieldNow = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(undefined); c.port2.postMessage(0); });
const entry = (i) => ({ id: 'idb-' + String(i).padStart(8, '0'), author: 'd' + '1'.repeat(32), authorName: 'bench', text: 'message ' + i, sentAt: Date.now() });
/** n updates, one message each, in tasks of 'chunk' (as a burst of edits or a catch-up arrives). */
async function generate(doc, n, chunk) {
  for (let i = 0; i < n; i++) {
    doc.transact(() => timeline(doc).push([entry(i)]), ORIGIN.local);
    if ((i + 1) % chunk === 0) await yieldNow();
  }
}
async function stored(roomId) {
  const rows = await (await db()).getAllFromIndex('docUpdates', 'byRoom', roomId);
  const d = newDoc();
  for (const r of rows) Y.applyUpdate(d, r.data);
  return { records: rows.length, messages: timeline(d).length };
}
let runId = 0;
window.benchIdb = {
  async none(n, chunk) {
    const doc = newDoc();
    const t0 = performance.now();
    await generate(doc, n, chunk);
    return { ms: performance.now() - t0, records: 0, messages: timeline(doc).length };
  },
  async batched(n, chunk) {
    const roomId = 'bench-batched-' + ++runId;
    const doc = newDoc();
    let error = null;
    const store = await DocStore.open(roomId, doc, (e) => (error = e));
    const t0 = performance.now();
    await generate(doc, n, chunk);
    await store.flush();
    const ms = performance.now() - t0;
    await store.close();
    if (error) throw new Error('DocStore: ' + error.message);
    const s = await stored(roomId);
    await deleteStoredMemory(roomId);
    return { ms, ...s };
  },
  async naive(n, chunk) {
    const roomId = 'bench-naive-' + ++runId;
    const d = await db();
    const doc = newDoc();
    const writes = [];
    doc.on('update', (u) => writes.push(d.add('docUpdates', { roomId, data: u })));
    const t0 = performance.now();
    await generate(doc, n, chunk);
    await Promise.all(writes);
    const ms = performance.now() - t0;
    const s = await stored(roomId);
    await deleteStoredMemory(roomId);
    return { ms, ...s };
  },
};
window.benchReady = true;
`;

async function startIdbPage(): Promise<{ url: string; close(): Promise<void> }> {
  const out = await build({
    stdin: { contents: IDB_PAGE, resolveDir: HERE, sourcefile: 'idb-page.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  const js = out.outputFiles[0]!.contents;
  const html = '<!doctype html><meta charset="utf-8"><title>idb bench</title><script type="module" src="/idb.js"></script>\n';
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (p === '/idb.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (p === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface IdbRun {
  ms: number;
  records: number;
  messages: number;
}

async function idbRates(browser: Browser, n: number, log: (s: string) => void): Promise<NonNullable<MemoryResult['idb']>> {
  const site = await startIdbPage();
  const ctx = await newContext(browser);
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => log(`  [idb] page error: ${e.message}`));
    await page.goto(site.url);
    await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true, undefined, { timeout: 20_000 });
    const run = (kind: 'none' | 'batched' | 'naive', count: number) =>
      page.evaluate(([k, c]) => (window as unknown as { benchIdb: Record<string, (n: number, chunk: number) => Promise<IdbRun>> }).benchIdb[k]!(c, 100), [kind, count] as const);
    // Warm up IndexedDB and the JIT on a small run of each.
    for (const k of ['none', 'batched', 'naive'] as const) await run(k, 500);
    const reps = 3;
    const got: Record<'none' | 'batched' | 'naive', IdbRun[]> = { none: [], batched: [], naive: [] };
    for (let i = 0; i < reps; i++) {
      for (const k of ['none', 'batched', 'naive'] as const) {
        const r = await run(k, n);
        if (r.messages !== n) throw new Error(`idb ${k}: stored ${r.messages} of ${n} messages`);
        got[k].push(r);
      }
    }
    const med = (rs: IdbRun[]) => [...rs].sort((a, b) => a.ms - b.ms)[Math.floor(rs.length / 2)]!;
    const none = med(got.none);
    const batched = med(got.batched);
    const naive = med(got.naive);
    log(`  IndexedDB, ${n} updates: no storage ${round(none.ms, 0)} ms; DocStore batched ${round(batched.ms, 0)} ms (${batched.records} records left after compaction); one transaction per update ${round(naive.ms, 0)} ms (${naive.records} records)`);
    return { none: rate(n, none.ms), batched: { ...rate(n, batched.ms), records: batched.records }, naive: { ...rate(n, naive.ms), records: naive.records }, runs: reps };
  } finally {
    await ctx.close().catch(() => undefined);
    await site.close();
  }
}

// ---- the stage ---------------------------------------------------------------------------------------

export async function runMemory(browser: Browser, opts: MemoryOptions, log: (s: string) => void): Promise<MemoryResult> {
  const failures: Record<string, string> = {};
  const notes: string[] = [];
  const attempt = async <T>(part: string, fn: () => Promise<T> | T): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      failures[part] = (err as Error).stack ?? String(err);
      log(`  memory/${part} FAILED: ${(err as Error).message.split('\n')[0]}`);
      return null;
    }
  };

  const room = buildBigRoom(opts.messages, opts.noteChars);
  log(`  room: ${opts.messages} messages and a ${room.noteChars}-character note, ${(room.update.byteLength / 2 ** 20).toFixed(2)} MiB as one Yjs update (built in ${room.buildMs} ms)`);

  const apply = await attempt('apply', () => applyRates(opts.updates));
  if (apply) log(`  CRDT apply, ${opts.updates} updates: one by one ${apply.oneByOne.perSecond}/s; merged first ${apply.merged.perSecond}/s (merge ${apply.merged.mergeMs} ms + apply ${apply.merged.applyMs} ms); through DocSync (frame, apply, forward, ack) ${apply.docSync.perSecond}/s`);
  const hubIngestRate = await attempt('hub-ingest', () => hubIngest(opts.hubUpdates));
  if (hubIngestRate) log(`  hub replica stores ${hubIngestRate.perSecond} updates/s (${opts.hubUpdates} frames, one SQLite commit each, synchronous=FULL)`);
  const idb = await attempt('idb', () => idbRates(browser, opts.updates, log));
  const hub = await attempt('catch-up-hub', () => catchUpFromHub(browser, room, opts, log));
  const peer = await attempt('catch-up-peer', () => catchUpFromPeer(browser, room, opts, log, notes));
  for (const [part, r] of [['catch-up-hub', hub], ['catch-up-peer', peer]] as const) {
    if (r && r.failures.length) failures[part] = r.failures.join('; ');
  }
  notes.push(`catch-up: navigation start (a new device opening the join link: app load, join, hub or mesh link, transfer, apply, store, render) until the last message and the note's full length are on screen; target ${CATCH_UP_TARGET_MS} ms`);
  return {
    room: { messages: opts.messages, noteChars: room.noteChars, stateBytes: room.update.byteLength, buildMs: room.buildMs },
    catchUp: { hub, peer, targetMs: CATCH_UP_TARGET_MS },
    apply,
    hubIngest: hubIngestRate,
    idb,
    failures,
    notes,
  };
}

/** Median ms per step of the catch-up, for the printed report. */
export function catchUpBreakdownTable(m: MemoryResult): string {
  const cols = [m.catchUp.hub?.breakdown ?? {}, m.catchUp.peer?.breakdown ?? {}];
  const keys = MARKS.filter((k) => cols.some((c) => k in c));
  const head = 'step (median ms since navigation start; sum: ms in total)';
  const w = Math.max(head.length, ...keys.map((k) => k.length));
  const cell = (v: number | undefined) => String(v ?? '').padStart(8);
  return [
    `| ${head.padEnd(w)} | from hub | from peer |`,
    `|${'-'.repeat(w + 2)}|----------|-----------|`,
    ...keys.map((k) => `| ${k.padEnd(w)} | ${cell(cols[0]![k])} | ${cell(cols[1]![k]).padStart(9)} |`),
  ].join('\n');
}
