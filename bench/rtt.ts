/**
 * Mesh round trip: two devices in a room, sequential pings from A to B over our mesh
 * (`window.osmose.pingPeer`), against the same over a bare PeerJS pair in the same browser (raw
 * serialization, a similar small JSON message, performance.now() timing). Both pairs stay up
 * and the pings alternate in blocks, so machine noise falls on both alike. Both sides are
 * cross-origin isolated, so performance.now() has the same resolution.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { startBare, type BareSetup } from './bare/server.ts';
import { summarize, type Summary } from './stats.ts';
import { newContext, stopHub, trackHub } from './support.ts';

export interface RttOptions {
  count: number;
  warmup: number;
  /** Pings per block; blocks alternate ours / bare until each has `count`. */
  block: number;
}

export interface RttResult {
  ours: Summary;
  bare: Summary;
  count: number;
  warmup: number;
  block: number;
  crossOriginIsolated: { ours: boolean; bare: boolean };
  /** p50 of each block, in run order: how much the machine's noise moves the number. */
  blockP50: { ours: number[]; bare: number[] };
  /** Raw samples (ms), in order. */
  oursSamples: number[];
  bareSamples: number[];
}

interface OsmoseHandle {
  members(): { peerId: string; direct: boolean }[];
  pingPeer(peerId: string, count: number): Promise<number[]>;
}
interface BareHandle {
  opened(): Promise<void>;
  connect(id: string): Promise<void>;
  ping(id: string, count: number): Promise<number[]>;
}

const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

export async function runRtt(browser: Browser, opts: RttOptions, log: (s: string) => void): Promise<RttResult> {
  const contexts: BrowserContext[] = [];
  const page = async (): Promise<Page> => {
    const c = await newContext(browser);
    contexts.push(c);
    return c.newPage();
  };
  const hub = trackHub(new TestHub('bench-rtt', { args: ['--challenges', '100000'] }));
  let bare: BareSetup | null = null;
  const oursSamples: number[] = [];
  const bareSamples: number[] = [];
  try {
    // Ours: two devices in a room, A pings B over the authenticated mesh session.
    await hub.start();
    const url = hub.joinUrl();
    const a = await page();
    const b = await page();
    for (const p of [a, b]) {
      p.on('pageerror', (e) => log(`  [rtt] page error: ${e.message}`));
      await p.goto(url);
    }
    const handle = await a.waitForFunction(() => (window as unknown as { osmose?: OsmoseHandle }).osmose?.members().find((m) => m.direct)?.peerId, undefined, {
      timeout: 20_000,
      polling: 50,
    });
    const peerId = (await handle.jsonValue()) as string;
    const ours = (n: number) => a.evaluate(([id, count]) => (window as unknown as { osmose: OsmoseHandle }).osmose.pingPeer(id, count), [peerId, n] as const);

    // Baseline: a bare PeerJS pair, A dials B.
    bare = await startBare();
    const ba = await page();
    const bb = await page();
    await bb.goto(bare.pageUrl('bare-b'));
    await bb.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened());
    await ba.goto(bare.pageUrl('bare-a'));
    await ba.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened().then(() => (window as unknown as { bare: BareHandle }).bare.connect('bare-b')));
    const bareRun = (n: number) => ba.evaluate((count) => (window as unknown as { bare: BareHandle }).bare.ping('bare-b', count), n);

    const isolated = { ours: await a.evaluate(() => crossOriginIsolated), bare: await ba.evaluate(() => crossOriginIsolated) };
    await ours(opts.warmup);
    await bareRun(opts.warmup);
    const blocks: { ours: number[]; bare: number[] } = { ours: [], bare: [] };
    while (oursSamples.length < opts.count || bareSamples.length < opts.count) {
      const n1 = Math.min(opts.block, opts.count - oursSamples.length);
      if (n1 > 0) {
        const got = (await ours(n1)).map(r4);
        oursSamples.push(...got);
        blocks.ours.push(summarize(got).p50);
      }
      const n2 = Math.min(opts.block, opts.count - bareSamples.length);
      if (n2 > 0) {
        const got = (await bareRun(n2)).map(r4);
        bareSamples.push(...got);
        blocks.bare.push(summarize(got).p50);
      }
    }
    log(`  rtt: ours p50 ${summarize(oursSamples).p50} ms, bare PeerJS p50 ${summarize(bareSamples).p50} ms (${opts.count} each, blocks of ${opts.block}; cross-origin isolated: ours ${isolated.ours}, bare ${isolated.bare})`);
    log(`  rtt: p50 per block: ours ${blocks.ours.join(' / ')} ms; bare ${blocks.bare.join(' / ')} ms`);
    for (const p of [a, b, ba, bb]) await p.goto('about:blank');
    return {
      ours: summarize(oursSamples),
      bare: summarize(bareSamples),
      count: opts.count,
      warmup: opts.warmup,
      block: opts.block,
      crossOriginIsolated: isolated,
      blockP50: blocks,
      oursSamples,
      bareSamples,
    };
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await bare?.close();
    await stopHub(hub);
  }
}
