/**
 * The page side of the join benchmark: an init script that adds performance marks (WebSocket
 * opens, RTCPeerConnection states, capability probes, IndexedDB transactions, long tasks) without
 * changing what the app sees, and the reader that turns them into one sample.
 */
import type { Page } from '@playwright/test';

export interface JoinSample {
  firstPeerMs: number;
  /** This page dialled (its id is the smaller one) or answered. */
  role: 'dialer' | 'answerer' | 'unknown';
  /** The page was controlled by the service worker. */
  swControlled: boolean;
  marks: Record<string, number>;
}

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
export async function collect(page: Page): Promise<JoinSample> {
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
