/**
 * Mesh round trip: two devices in a room, 1000 sequential pings from A to B over our mesh
 * (`window.osmose.pingPeer`), against the same over a bare PeerJS pair in the same browser
 * (raw serialization, a similar small JSON message, performance.now() timing).
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { startBare } from './bare/server.ts';
import { summarize, type Summary } from './stats.ts';
import { stopHub, trackHub } from './support.ts';

export interface RttOptions {
  count: number;
  warmup: number;
}

export interface RttResult {
  ours: Summary;
  bare: Summary;
  count: number;
  warmup: number;
  /** Raw samples (ms), in order. */
  oursSamples: number[];
  bareSamples: number[];
}

interface OsmoseHandle {
  members(): { peerId: string; direct: boolean }[];
  hub(): string;
  pingPeer(peerId: string, count: number): Promise<number[]>;
}
interface BareHandle {
  opened(): Promise<void>;
  connect(id: string): Promise<void>;
  ping(id: string, count: number): Promise<number[]>;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

export async function runRtt(browser: Browser, opts: RttOptions, log: (s: string) => void): Promise<RttResult> {
  const contexts: BrowserContext[] = [];
  const page = async (): Promise<Page> => {
    const c = await browser.newContext();
    contexts.push(c);
    return c.newPage();
  };
  const hub = trackHub(new TestHub('bench-rtt', { args: ['--challenges', '100000'] }));
  let oursSamples: number[] = [];
  let bareSamples: number[] = [];
  try {
    // Ours: two devices in a room.
    await hub.start();
    const url = hub.joinUrl();
    const a = await page();
    const b = await page();
    for (const p of [a, b]) {
      p.on('pageerror', (e) => log(`  [rtt] page error: ${e.message}`));
      await p.goto(url);
    }
    const bId = await a.waitForFunction(
      () => (window as unknown as { osmose?: OsmoseHandle }).osmose?.members().find((m) => m.direct)?.peerId,
      undefined,
      { timeout: 20_000, polling: 50 },
    );
    const peerId = (await bId.jsonValue()) as string;
    const ping = (n: number) => a.evaluate(([id, count]) => (window as unknown as { osmose: OsmoseHandle }).osmose.pingPeer(id, count), [peerId, n] as const);
    await ping(opts.warmup);
    oursSamples = (await ping(opts.count)).map(r3);
    log(`  rtt ours: ${oursSamples.length} pings, p50 ${summarize(oursSamples).p50} ms`);
    for (const p of [a, b]) await p.goto('about:blank');
    await stopHub(hub);

    // Baseline: bare PeerJS pair.
    const bare = await startBare();
    try {
      const ba = await page();
      const bb = await page();
      await bb.goto(bare.pageUrl('bare-b'));
      await bb.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened());
      await ba.goto(bare.pageUrl('bare-a'));
      await ba.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened().then(() => (window as unknown as { bare: BareHandle }).bare.connect('bare-b')));
      const bping = (n: number) => ba.evaluate((count) => (window as unknown as { bare: BareHandle }).bare.ping('bare-b', count), n);
      await bping(opts.warmup);
      bareSamples = (await bping(opts.count)).map(r3);
      log(`  rtt bare PeerJS: ${bareSamples.length} pings, p50 ${summarize(bareSamples).p50} ms`);
      for (const p of [ba, bb]) await p.goto('about:blank');
    } finally {
      await bare.close();
    }
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await stopHub(hub);
  }
  return { ours: summarize(oursSamples), bare: summarize(bareSamples), count: opts.count, warmup: opts.warmup, oursSamples, bareSamples };
}
