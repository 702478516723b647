/**
 * Soak: a hub in a building runs for months while devices come and go. One device stays in the
 * room the whole time; others (browser contexts) join, post a message, see and are seen over a
 * direct channel, and leave (half close their page, half vanish with their whole context), for
 * 10 minutes by default (`--soak-minutes=N`; 30 for the half-hour run). Reported at the start
 * and the end, each after a full garbage collection: the hub's heap and RSS (its preloaded probe,
 * bench/hub-probe.ts), the long-lived device's JS heap (Chromium's own collector through CDP),
 * and the hub's census (what it holds per device, socket, source and link: the same line it logs
 * every hour). Growth shows as end minus start; the structures must come back to what the
 * devices present need.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { round } from './stats.ts';
import { newContext, sleep, stopHub, trackHub, waitFor } from './support.ts';
import { probe, probeEnv, probeNodeArgs } from './hub-memory.ts';
import type { Row } from './report.ts';

export interface SoakOptions {
  minutes: number;
  /** Devices coming and going at once, besides the one that stays. */
  devices: number;
}

type Census = Record<string, Record<string, number>>;

interface Snapshot {
  atSeconds: number;
  hubHeapMb: number | null;
  hubRssMb: number | null;
  deviceHeapMb: number;
  census: Census | null;
}

export interface SoakResult {
  minutes: number;
  visits: number;
  failedVisits: number;
  start: Snapshot;
  end: Snapshot;
  notes: string[];
}

interface OsmoseHandle {
  hub(): string;
  deviceId: string;
  members(): { peerId: string; direct: boolean; status: string }[];
  memory(): { messages: string[] } | null;
  post(text: string): void;
}

const mb = (bytes: number | undefined | null) => (bytes === undefined || bytes === null ? null : round(bytes / 1024 / 1024, 1));

/** The hub's census from the last line it logged (it logs one on every SIGUSR2). */
function lastCensus(output: string): Census | null {
  const line = output.split('\n').filter((l) => l.includes(' hub census ')).at(-1);
  if (!line) return null;
  const { process: _memory, ...census } = JSON.parse(line.slice(line.indexOf('{'))) as Census;
  return census;
}

async function online(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { osmose?: OsmoseHandle }).osmose?.hub() === 'online', undefined, { timeout: 60_000, polling: 100 });
  return page.evaluate(() => (window as unknown as { osmose: OsmoseHandle }).osmose.deviceId);
}

/** One device's visit: join, be seen over a direct channel by the one that stays, post, leave. */
async function visit(browser: Browser, url: string, stayer: Page, n: number): Promise<void> {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const id = await online(page, url);
    await stayer.waitForFunction((peer) => (window as unknown as { osmose: OsmoseHandle }).osmose.members().some((m) => m.peerId === peer && m.status === 'present' && m.direct), id, { timeout: 60_000, polling: 200 });
    const text = `soak visit ${n}`;
    await page.evaluate((t) => (window as unknown as { osmose: OsmoseHandle }).osmose.post(t), text);
    await stayer.waitForFunction((t) => (window as unknown as { osmose: OsmoseHandle }).osmose.memory()?.messages.includes(t), text, { timeout: 60_000, polling: 200 });
    // Half leave by closing the page (the app says goodbye), half vanish with their context.
    if (n % 2 === 0) await page.close({ runBeforeUnload: true });
  } finally {
    await context.close().catch(() => undefined);
  }
}

async function snapshot(hub: TestHub, probeFile: string, cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>, t0: number): Promise<Snapshot> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  const before = hub.output.length;
  const mem = await probe(hub.pid!, probeFile, true);
  // The census line comes with the same signal.
  await waitFor(() => hub.output.slice(before).includes(' hub census '), 5_000, 'the hub census').catch(() => undefined);
  return { atSeconds: round((performance.now() - t0) / 1000, 0), hubHeapMb: mb(mem?.heapUsed), hubRssMb: mb(mem?.rss), deviceHeapMb: mb(usedSize)!, census: lastCensus(hub.output) };
}

export async function runSoak(browser: Browser, opts: SoakOptions, log: (s: string) => void): Promise<SoakResult> {
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-soak-probe-'));
  const probeFile = path.join(probeDir, 'probe.json');
  // Short grace: a device that vanished leaves the roster 10 s later, not 2 minutes later.
  const hub = trackHub(new TestHub('bench-soak', { args: ['--grace', '10', '--challenges', '100000', '--join-failures', '1000'], nodeArgs: probeNodeArgs, env: probeEnv(probeFile) }));
  let stayerContext: BrowserContext | null = null;
  try {
    await hub.start();
    const url = hub.joinUrl();
    stayerContext = await newContext(browser);
    const stayer = await stayerContext.newPage();
    await online(stayer, url);
    const cdp = await stayerContext.newCDPSession(stayer);
    const t0 = performance.now();
    let visits = 0;
    let failed = 0;
    const visitor = async () => {
      const n = visits++;
      try {
        await visit(browser, url, stayer, n);
      } catch (err) {
        failed++;
        log(`  soak: visit ${n} failed: ${(err as Error).message.split('\n')[0]}`);
      }
    };
    // Warm up: every code path has run once before the start is measured.
    await Promise.all(Array.from({ length: opts.devices }, visitor));
    await sleep(15_000);
    const start = await snapshot(hub, probeFile, cdp, t0);
    log(`  soak start: hub heap ${start.hubHeapMb} MB, RSS ${start.hubRssMb} MB; device heap ${start.deviceHeapMb} MB; census ${JSON.stringify(start.census)}`);
    const deadline = performance.now() + opts.minutes * 60_000;
    let lastLog = performance.now();
    await Promise.all(
      Array.from({ length: opts.devices }, async () => {
        while (performance.now() < deadline) {
          await visitor();
          if (performance.now() - lastLog > 60_000) {
            lastLog = performance.now();
            log(`  soak: ${round((performance.now() - t0) / 60_000, 1)} min, ${visits} visits (${failed} failed)`);
          }
        }
      }),
    );
    // Past the grace period, so devices that vanished have left the roster too.
    await sleep(15_000);
    const end = await snapshot(hub, probeFile, cdp, t0);
    log(`  soak end: hub heap ${end.hubHeapMb} MB, RSS ${end.hubRssMb} MB; device heap ${end.deviceHeapMb} MB; census ${JSON.stringify(end.census)}`);
    return {
      minutes: opts.minutes,
      visits,
      failedVisits: failed,
      start,
      end,
      notes: [
        `${visits} visits in ${opts.minutes} min, ${opts.devices} at a time, beside one device that stayed; ${failed} failed.`,
        `Census at the start: ${JSON.stringify(start.census)}`,
        `Census at the end:   ${JSON.stringify(end.census)}`,
        'Heaps are read after a full garbage collection (the hub: --expose-gc through its probe; the device: CDP HeapProfiler.collectGarbage).',
      ],
    };
  } finally {
    await stayerContext?.close().catch(() => undefined);
    await stopHub(hub);
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}

const growth = (a: number | null, b: number | null) => (a === null || b === null ? 'n/a' : `${b >= a ? '+' : ''}${round(b - a, 1)} MB`);

export function soakRows(r: SoakResult): Row[] {
  const row = (metric: string, a: number | null, b: number | null): Row => ({ metric, ours: `${a ?? 'n/a'} → ${b ?? 'n/a'} MB`, baseline: '', ratio: growth(a, b), target: '', meets: '' });
  const held = (c: Census | null) => (c ? `roster ${c.room?.roster}, channel ${c.room?.sockets}, signaling ${c.signaling?.sockets}, memory links ${c.memory?.links}` : 'n/a');
  return [
    row(`soak ${r.minutes} min (${r.visits} visits): hub heap after GC, start → end`, r.start.hubHeapMb, r.end.hubHeapMb),
    row('soak: hub RSS, start → end', r.start.hubRssMb, r.end.hubRssMb),
    row('soak: the device that stayed, JS heap after GC, start → end', r.start.deviceHeapMb, r.end.deviceHeapMb),
    { metric: 'soak: what the hub holds (census), start → end', ours: `${held(r.start.census)} → ${held(r.end.census)}`, baseline: '', ratio: '', target: '', meets: '' },
  ];
}
