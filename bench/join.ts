/**
 * Join latency: how long from navigation start until the app has its first authenticated direct
 * peer (`performance.mark('osmose:first-peer')`, set by src/app/room-app.svelte.ts).
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
import { instrument, collect, type JoinSample } from './join-probes.ts';

export type { JoinSample };

export interface JoinOptions {
  warm: number;
  cold: number;
  bare: number;
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
