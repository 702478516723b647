/**
 * Join latency: how long from navigation start until the app has its first authenticated direct
 * peer (`performance.mark('osmose:first-peer')`, set by src/lib/room.svelte.ts).
 *
 * - warm: one context reopens the app N times (same device id, HTTP cache and service worker warm);
 * - cold: a brand-new context each time (new identity, empty cache, no service worker);
 * - baseline: a bare PeerJS page reloaded N times that dials a resident bare page (navigation
 *   start to data channel open), served from 127.0.0.1 with its own PeerServer.
 *
 * An init script records where the time goes (WebSocket opens, RTCPeerConnection states, the
 * capability probes, IndexedDB) as extra performance marks; it changes nothing the app sees.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { startBare } from './bare/server.ts';
import { summarize, medians, type Summary } from './stats.ts';
import { newContext as freshContext, sleep, stopHub, trackHub } from './support.ts';

export interface JoinOptions {
  warm: number;
  cold: number;
  bare: number;
}

export interface JoinSample {
  firstPeerMs: number;
  /** This page dialled (its id is the smaller one) or answered. */
  role: 'dialer' | 'answerer' | 'unknown';
  /** The page was controlled by the service worker. */
  swControlled: boolean;
  marks: Record<string, number>;
}

export interface JoinResult {
  warm: Summary;
  cold: Summary;
  bare: Summary;
  warmSamples: JoinSample[];
  coldSamples: JoinSample[];
  bareSamples: number[];
  /** Runs with no first peer within FIRST_PEER_TIMEOUT_MS (left out of the summaries). */
  timeouts: { warm: number; cold: number };
  /** Median ms since navigation start of each step, per scenario. */
  breakdown: { warm: Record<string, number>; cold: Record<string, number> };
  notes: string[];
}

const FIRST_PEER_TIMEOUT_MS = 20_000;

/** Runs in every document before the app: extra marks for a time breakdown. */
export function instrument(): void {
  const once = (name: string) => {
    try {
      if (!performance.getEntriesByName(name).length) performance.mark(name);
    } catch {
      // marks are best effort
    }
  };
  const w = window as unknown as Record<string, unknown>;

  const NativeWS = window.WebSocket;
  class WS extends NativeWS {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const u = String(url);
      const kind = u.includes('/signal/') ? 'sig' : u.includes('/room') ? 'room' : 'ws';
      once(`b:${kind}-ws-new`);
      this.addEventListener('open', () => once(`b:${kind}-ws-open`));
      this.addEventListener('message', () => once(`b:${kind}-ws-msg1`));
    }
  }
  w.WebSocket = WS;

  // PeerJS makes a throwaway RTCPeerConnection at load to probe features; only connections that
  // exchange descriptions count. The side whose first description is local made the offer.
  // Data channel traffic: the first message of each kind in and out (mesh hello, auth, profile).
  const kind = (d: unknown) => (typeof d === 'string' ? (/"t":"([a-z-]+)"/.exec(d)?.[1] ?? 'other') : 'binary');
  const tap = (ch: RTCDataChannel) => {
    ch.addEventListener('open', () => once('b:dc-open'));
    ch.addEventListener('message', (e) => once(`b:dc-in-${kind(e.data)}`));
    const send = ch.send.bind(ch) as (d: unknown) => void;
    ch.send = ((d: unknown) => {
      once(`b:dc-out-${kind(d)}`);
      send(d);
    }) as RTCDataChannel['send'];
  };
  const NativePC = window.RTCPeerConnection;
  class PC extends NativePC {
    private benchSdp = false;
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('icegatheringstatechange', () => this.iceGatheringState === 'complete' && once('b:ice-gathered'));
      this.addEventListener('icecandidate', (e) => e.candidate && once('b:ice-candidate1'));
      this.addEventListener('iceconnectionstatechange', () => (this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed') && once('b:ice-connected'));
      this.addEventListener('connectionstatechange', () => this.connectionState === 'connected' && once('b:pc-connected'));
      this.addEventListener('datachannel', (e) => tap(e.channel));
    }
    private firstSdp(role: 'dialer' | 'answerer'): void {
      if (this.benchSdp) return;
      this.benchSdp = true;
      once(`b:${role}`);
    }
    override setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
      this.firstSdp('dialer');
      once('b:sdp-local');
      return super.setLocalDescription(d);
    }
    override setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      this.firstSdp('answerer');
      once('b:sdp-remote');
      return super.setRemoteDescription(d);
    }
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const ch = super.createDataChannel(label, init);
      tap(ch);
      return ch;
    }
  }
  w.RTCPeerConnection = PC;

  const nav = navigator as unknown as { gpu?: { requestAdapter: (...a: unknown[]) => Promise<unknown> }; getBattery?: () => Promise<unknown> };
  const timed = <T>(name: string, p: () => Promise<T>) => {
    once(`b:${name}-start`);
    return p().finally(() => once(`b:${name}-end`));
  };
  if (nav.gpu) {
    const gpu = nav.gpu;
    const orig = gpu.requestAdapter.bind(gpu);
    gpu.requestAdapter = (...a: unknown[]) => timed('gpu', () => orig(...a));
  }
  if (navigator.mediaDevices && 'enumerateDevices' in navigator.mediaDevices) {
    const md = navigator.mediaDevices;
    const orig = md.enumerateDevices.bind(md);
    md.enumerateDevices = () => timed('media', orig);
  }
  if (nav.getBattery) {
    const orig = nav.getBattery.bind(nav);
    nav.getBattery = () => timed('battery', orig);
  }
  const idbOpen = indexedDB.open.bind(indexedDB);
  indexedDB.open = (name: string, version?: number) => {
    once('b:idb-open-start');
    const req = idbOpen(name, version);
    req.addEventListener('success', () => once('b:idb-open-end'));
    return req;
  };
  // IndexedDB transactions (identity, settings, the stored room): start and commit times.
  const idbLog: { start: number; end: number; mode: string; stores: string }[] = [];
  w.__benchIdb = idbLog;
  const nativeTx = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = nativeTx.apply(this, args);
    const entry = { start: performance.now(), end: NaN, mode: String(args[1] ?? 'readonly'), stores: String(args[0]) };
    idbLog.push(entry);
    const done = () => (entry.end = performance.now());
    tx.addEventListener('complete', done);
    tx.addEventListener('abort', done);
    tx.addEventListener('error', done);
    return tx;
  } as IDBDatabase['transaction'];
  // Main-thread tasks over 50 ms.
  const longTasks: { start: number; duration: number }[] = [];
  w.__benchLongTasks = longTasks;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // not supported
  }
  // src/main.ts assigns window.osmose right after mounting the UI and starting boot().
  Object.defineProperty(window, 'osmose', {
    configurable: true,
    set(v: unknown) {
      once('b:app-main');
      Object.defineProperty(window, 'osmose', { value: v, writable: true, configurable: true });
    },
  });
}

/** Reads the first-peer mark and the breakdown (ms since navigation start). */
async function collect(page: Page): Promise<JoinSample> {
  return page.evaluate(() => {
    const marks: Record<string, number> = {};
    const r = (n: number) => Math.round(n * 10) / 10;
    for (const m of performance.getEntriesByType('mark')) if (!(m.name in marks)) marks[m.name] = r(m.startTime);
    const navE = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (navE) {
      marks['nav:workerStart'] = r(navE.workerStart);
      marks['nav:responseStart'] = r(navE.responseStart);
      marks['nav:responseEnd'] = r(navE.responseEnd);
      marks['nav:domInteractive'] = r(navE.domInteractive);
      marks['nav:domContentLoaded'] = r(navE.domContentLoadedEventEnd);
      marks['nav:load'] = r(navE.loadEventEnd);
    }
    for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
      const p = new URL(e.name).pathname;
      const js = /^\/assets\/(main|app|codec|disclose-version)-[^/]*\.js$/.exec(p);
      if (js) {
        // The app's entry and its preloaded chunks: when the last one arrived (network, HTTP cache or worker).
        marks['res:appjs-end'] = Math.max(marks['res:appjs-end'] ?? 0, r(e.responseEnd));
        marks[`res:${js[1]}.js-end`] = r(e.responseEnd);
        continue;
      }
      const key = p === '/api/join/challenge' ? 'challenge' : p === '/api/join' ? 'join' : null;
      if (key && !(`res:${key}-start` in marks)) {
        marks[`res:${key}-start`] = r(e.startTime);
        marks[`res:${key}-end`] = r(e.responseEnd);
      }
    }
    const fp = performance.getEntriesByName('osmose:first-peer')[0];
    const fpAt = fp?.startTime ?? Infinity;
    const w = window as unknown as { __benchIdb?: { start: number; end: number }[]; __benchLongTasks?: { start: number; duration: number }[] };
    const idb = (w.__benchIdb ?? []).filter((t) => t.start < fpAt);
    marks['sum:idb-tx-count'] = idb.length;
    marks['sum:idb-tx-ms'] = r(idb.reduce((a, t) => a + (Number.isFinite(t.end) ? t.end - t.start : 0), 0));
    const lt = (w.__benchLongTasks ?? []).filter((t) => t.start < fpAt);
    marks['sum:longtask-count'] = lt.length;
    marks['sum:longtask-ms'] = r(lt.reduce((a, t) => a + t.duration, 0));
    if (lt.length) marks['sum:longtask-max-ms'] = r(Math.max(...lt.map((t) => t.duration)));
    return {
      firstPeerMs: fp ? r(fp.startTime) : NaN,
      role: ('b:dialer' in marks ? 'dialer' : 'b:answerer' in marks ? 'answerer' : 'unknown') as JoinSample['role'],
      swControlled: Boolean(navigator.serviceWorker?.controller),
      marks,
    };
  });
}

/** True once the page has its first authenticated peer; false after FIRST_PEER_TIMEOUT_MS. */
async function waitFirstPeer(page: Page): Promise<boolean> {
  try {
    await page.waitForFunction(() => performance.getEntriesByName('osmose:first-peer').length > 0, undefined, { timeout: FIRST_PEER_TIMEOUT_MS, polling: 20 });
    return true;
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return false;
    throw err;
  }
}

async function mustFirstPeer(page: Page, what: string): Promise<void> {
  if (!(await waitFirstPeer(page))) throw new Error(`${what}: no first peer within ${FIRST_PEER_TIMEOUT_MS} ms`);
}

/** The peer id of the first device `page` lists (the resident sees only the joiner). */
async function firstMemberId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const m = (window as unknown as { osmose: { members(): { peerId: string }[] } }).osmose.members();
    return m.length ? m[0]!.peerId : '';
  });
}

/** Waits until `page` no longer has a direct channel to `peerId` (the other side left). */
async function waitGone(page: Page, peerId: string, timeoutMs: number): Promise<boolean> {
  try {
    await page.waitForFunction(
      (id) => !(window as unknown as { osmose: { members(): { peerId: string; direct: boolean }[] } }).osmose.members().some((m) => m.peerId === id && m.direct),
      peerId,
      { timeout: timeoutMs, polling: 50 },
    );
    return true;
  } catch {
    return false;
  }
}

const STEPS = [
  'nav:workerStart',
  'nav:responseStart',
  'nav:responseEnd',
  'res:main.js-end',
  'res:app.js-end',
  'res:appjs-end',
  'nav:domInteractive',
  'nav:domContentLoaded',
  'nav:load',
  'b:app-main',
  'b:idb-open-end',
  'b:gpu-start',
  'b:gpu-end',
  'b:media-end',
  'b:battery-end',
  'res:challenge-start',
  'res:challenge-end',
  'res:join-start',
  'res:join-end',
  'b:room-ws-new',
  'b:room-ws-open',
  'b:room-ws-msg1',
  'b:sig-ws-new',
  'b:sig-ws-msg1',
  'b:sdp-local',
  'b:sdp-remote',
  'b:ice-candidate1',
  'b:ice-connected',
  'b:dc-open',
  'b:pc-connected',
  'b:dc-out-hello',
  'b:dc-in-hello',
  'b:dc-out-auth',
  'b:dc-in-auth',
  'b:dc-out-profile',
  'b:dc-in-profile',
  'osmose:first-peer',
  'sum:idb-tx-count',
  'sum:idb-tx-ms',
  'sum:longtask-count',
  'sum:longtask-ms',
  'sum:longtask-max-ms',
] as const;

export async function runJoin(browser: Browser, opts: JoinOptions, log: (s: string) => void): Promise<JoinResult> {
  const notes: string[] = [];
  const hub = trackHub(new TestHub('bench-join', { args: ['--challenges', '100000'] }));
  const contexts: BrowserContext[] = [];
  const newContext = async () => {
    const c = await freshContext(browser);
    contexts.push(c);
    await c.addInitScript(instrument);
    return c;
  };
  const warmSamples: JoinSample[] = [];
  const coldSamples: JoinSample[] = [];
  const bareSamples: number[] = [];
  const timeouts = { warm: 0, cold: 0 };
  try {
    await hub.start();
    const url = hub.joinUrl();

    // The resident device, already in the room.
    const resident = await (await newContext()).newPage();
    await resident.goto(url);
    await resident.waitForFunction(() => (window as unknown as { osmose?: { hub(): string } }).osmose?.hub() === 'online', undefined, { timeout: 20_000 });

    // Warm: one context, warmed once (cache + service worker), then reopened N times.
    const joiner = await (await newContext()).newPage();
    joiner.on('pageerror', (e) => log(`  [joiner] page error: ${e.message}`));
    await joiner.goto(url);
    await mustFirstPeer(joiner, 'join warm-up');
    const joinerId = await firstMemberId(resident);
    await joiner.evaluate(() => navigator.serviceWorker?.ready.then(() => undefined));
    // One more load so the service worker controls the page from now on.
    await joiner.goto('about:blank');
    await waitGone(resident, joinerId, 5000);
    await joiner.goto(url);
    await mustFirstPeer(joiner, 'join warm-up (second load)');
    log(`  join: warm-up done (service worker controls page: ${(await collect(joiner)).swControlled})`);

    for (let i = 0; i < opts.warm; i++) {
      await joiner.goto('about:blank');
      // The user reopens the app a moment later: let the room see us leave first.
      await waitGone(resident, joinerId, 5000);
      await sleep(200);
      await joiner.goto(url);
      if (!(await waitFirstPeer(joiner))) {
        timeouts.warm++;
        log(`  join warm ${i + 1}/${opts.warm}: no first peer within ${FIRST_PEER_TIMEOUT_MS} ms (counted as a timeout)`);
        continue;
      }
      const s = await collect(joiner);
      warmSamples.push(s);
      log(`  join warm ${i + 1}/${opts.warm}: ${s.firstPeerMs} ms (${s.role}${s.swControlled ? ', sw' : ''})`);
    }
    await joiner.goto('about:blank');
    await joiner.context().close();

    // Cold: a brand-new context (new identity, empty cache, no service worker) each time.
    for (let i = 0; i < opts.cold; i++) {
      const ctx = await newContext();
      const page = await ctx.newPage();
      await page.goto(url);
      if (await waitFirstPeer(page)) {
        const s = await collect(page);
        coldSamples.push(s);
        log(`  join cold ${i + 1}/${opts.cold}: ${s.firstPeerMs} ms (${s.role})`);
      } else {
        timeouts.cold++;
        log(`  join cold ${i + 1}/${opts.cold}: no first peer within ${FIRST_PEER_TIMEOUT_MS} ms (counted as a timeout)`);
      }
      await page.goto('about:blank');
      await ctx.close();
      await sleep(300);
    }
    await resident.goto('about:blank');

    // Baseline: bare PeerJS, a resident page and a page reopened N times that dials it.
    if (opts.bare > 0) {
      const bare = await startBare();
      try {
        const a = await (await freshContext(browser)).newPage();
        contexts.push(a.context());
        await a.goto(bare.pageUrl('bare-resident'));
        await a.evaluate(() => (window as unknown as { bare: { opened(): Promise<void> } }).bare.opened());
        const b = await (await freshContext(browser)).newPage();
        contexts.push(b.context());
        // Warm the HTTP cache once.
        await b.goto(bare.pageUrl('bare-warmup', 'bare-resident'));
        await b.waitForFunction(() => performance.getEntriesByName('bare:first-peer').length > 0, undefined, { timeout: FIRST_PEER_TIMEOUT_MS });
        for (let i = 0; i < opts.bare; i++) {
          await b.goto('about:blank');
          await sleep(200);
          await b.goto(bare.pageUrl(`bare-joiner-${i}`, 'bare-resident'));
          await b.waitForFunction(() => performance.getEntriesByName('bare:first-peer').length > 0, undefined, { timeout: FIRST_PEER_TIMEOUT_MS, polling: 20 });
          bareSamples.push(await b.evaluate(() => Math.round(performance.getEntriesByName('bare:first-peer')[0]!.startTime * 10) / 10));
        }
        log(`  join bare PeerJS: ${bareSamples.join(', ')} ms`);
        await b.goto('about:blank');
        await a.goto('about:blank');
      } finally {
        await bare.close();
      }
    }
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await stopHub(hub);
  }

  const dialers = warmSamples.filter((s) => s.role === 'dialer').length;
  if (timeouts.warm || timeouts.cold) notes.push(`timeouts (no first peer in ${FIRST_PEER_TIMEOUT_MS / 1000} s, left out of the percentiles): warm ${timeouts.warm}, cold ${timeouts.cold}`);
  notes.push(`warm: the joiner dialled in ${dialers}/${warmSamples.length} runs (the smaller device id dials; the same id every run)`);
  const cd = coldSamples.filter((s) => s.role === 'dialer');
  const ca = coldSamples.filter((s) => s.role === 'answerer');
  if (cd.length && ca.length) notes.push(`cold: p50 ${summarize(cd.map((s) => s.firstPeerMs)).p50} ms when the joiner dialled (${cd.length}), ${summarize(ca.map((s) => s.firstPeerMs)).p50} ms when it answered (${ca.length})`);
  return {
    warm: summarize(warmSamples.map((s) => s.firstPeerMs)),
    cold: summarize(coldSamples.map((s) => s.firstPeerMs)),
    bare: summarize(bareSamples),
    warmSamples,
    coldSamples,
    bareSamples,
    timeouts,
    breakdown: {
      warm: medians(warmSamples.map((s) => s.marks), STEPS) as Record<string, number>,
      cold: medians(coldSamples.map((s) => s.marks), STEPS) as Record<string, number>,
    },
    notes,
  };
}
