/**
 * Where the page's main thread spends its time, as a V8 CPU profile summary: a tool to find what
 * to make faster, not a stage (it asserts and records nothing).
 *
 *   scripts/with-netns.sh node --import tsx bench/profile.ts <catch-up|cold|warm> [--messages=N] [--top=N]
 *
 * - catch-up: a brand-new device opens the join link of a hub holding the memory stage's big room
 *   and is profiled until the last message and the whole note are on screen;
 * - cold: a brand-new device opens the join link of an empty room with one resident device and is
 *   profiled until its first peer;
 * - warm: the same device reopens the app (service worker and stored credential warm).
 *
 * The profiler starts on a same-origin page first (so the renderer process stays the same), then
 * the page navigates. Prints self time per function and per script, and the marks.
 */
import './scratch.ts';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { MemoryStore } from '../hub/memory/memory-store.ts';
import { instrument } from './join-probes.ts';
import { buildBigRoom, caughtUpProbe } from './memory.ts';
import { launchBrowser, newContext, sleep, stopHub, trackHub, killAllSync } from './support.ts';
import type { Page } from '@playwright/test';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const mode = args.find((a) => !a.startsWith('--')) ?? 'catch-up';
const flag = (n: string, d: number) => Number(args.find((a) => a.startsWith(`--${n}=`))?.split('=')[1] ?? d);
const TOP = flag('top', 30);

/** Init script: a 3 ms busy loop with a name the profile can find, at a known page time. */
function clockSync(): void {
  const w = window as unknown as { __benchSyncAt?: number };
  const benchClockSync = () => {
    const t = performance.now();
    while (performance.now() - t < 3);
    return t;
  };
  w.__benchSyncAt = benchClockSync();
}

/** Busy ms per 100 ms of page time, with the three functions that took most of each slice. */
function buckets(p: Profile & { startTime: number }, syncAt: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hasSync = (id: number) => {
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) if (byId.get(x)!.callFrame.functionName.endsWith('lockSync')) return true;
    return false;
  };
  let t = p.startTime;
  let offset: number | null = null;
  const times: number[] = [];
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    times.push(t);
    if (offset === null && hasSync(p.samples[i]!)) offset = t / 1000 - syncAt;
  }
  if (offset === null) return console.log(`(no clock sync sample: no time slices; functions named like it: ${p.nodes.filter((n) => /ync/.test(n.callFrame.functionName)).map((n) => n.callFrame.functionName).join(', ')})`);
  const slices = new Map<number, { busy: number; fns: Map<string, number> }>();
  for (let i = 0; i < p.samples.length; i++) {
    const f = byId.get(p.samples[i]!)!.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    const at = times[i]! / 1000 - offset;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const k = Math.floor(at / 100) * 100;
    const s = slices.get(k) ?? { busy: 0, fns: new Map() };
    s.busy += dt;
    const name = `${f.functionName || '(anon)'}@${f.url.split('/').pop()?.split('-')[0] ?? ''}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    s.fns.set(name, (s.fns.get(name) ?? 0) + dt);
    slices.set(k, s);
  }
  console.log('\nbusy ms per 100 ms of page time (ms since navigation start), top functions:');
  for (const [k, s] of [...slices].sort((a, b) => a[0] - b[0])) {
    const top = [...s.fns].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, v]) => `${n} ${v.toFixed(0)}`).join(', ');
    console.log(`  ${String(k).padStart(5)}  ${s.busy.toFixed(0).padStart(3)}  ${top}`);
  }
}

function summarize(p: Profile): number {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const byScript = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const f = n.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    total += dt;
    const file = f.url.split('/').pop() || f.functionName;
    const key = `${f.functionName || '(anonymous)'}  ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    byScript.set(file, (byScript.get(file) ?? 0) + dt);
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${v.toFixed(1).padStart(8)} ms  ${k}`);
  };
  console.log(`busy (not idle, not "program"): ${total.toFixed(1)} ms`);
  print('self time by script', byScript);
  print('self time by function', self);
  return total;
}

async function marks(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const m of performance.getEntriesByType('mark')) if (!(m.name in out)) out[m.name] = Math.round(m.startTime);
    const lt = (window as unknown as { __benchLongTasks?: { start: number; duration: number }[] }).__benchLongTasks ?? [];
    lt.forEach((t, i) => (out[`longtask-${i}@${Math.round(t.start)}`] = Math.round(t.duration)));
    return out;
  });
}

async function main(): Promise<void> {
  const browser = await launchBrowser();
  const hub = trackHub(new TestHub('bench-profile', { args: ['--challenges', '100000'] }));
  try {
    let want = { lastText: '', noteChars: 0, stateBytes: 0 };
    if (mode === 'catch-up') {
      const room = buildBigRoom(flag('messages', 10_000), 1_000_000);
      const store = new MemoryStore(hub.dataDir);
      store.append(room.update);
      store.close();
      want = { lastText: room.lastText, noteChars: room.noteChars, stateBytes: room.update.byteLength };
    }
    await hub.start();
    const url = hub.joinUrl();
    if (mode !== 'catch-up') {
      const resident = await (await newContext(browser)).newPage();
      await resident.goto(url);
      await resident.waitForFunction(() => (window as unknown as { osmose?: { hub(): string } }).osmose?.hub() === 'online', undefined, { timeout: 30_000 });
    }
    const ctx = await newContext(browser);
    await ctx.addInitScript(instrument);
    await ctx.addInitScript(clockSync);
    if (mode === 'catch-up') await ctx.addInitScript(caughtUpProbe, want);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    const done = mode === 'catch-up' ? 'bench:caught-up' : 'osmose:first-peer';
    const waitDone = () => page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, done, { timeout: 120_000, polling: 50 });
    let target = url;
    if (mode === 'warm') {
      await page.goto(url);
      await waitDone();
      await page.evaluate(() => navigator.serviceWorker?.ready.then(() => undefined));
      await page.goto(`${hub.origin}/`);
      await waitDone();
      target = `${hub.origin}/`;
    }
    await page.goto(`${hub.origin}/icons/icon.svg`);
    await sleep(mode === 'warm' ? 1500 : 300);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await page.goto(target);
    await waitDone();
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
    const m = await marks(page);
    console.log(`${mode}: marks (ms since navigation start)`);
    console.log(JSON.stringify(m, null, 1));
    const busy = summarize(profile);
    const longest = Math.max(0, ...Object.entries(m).filter(([k]) => k.startsWith('longtask-')).map(([, v]) => v));
    console.log(`SUMMARY ${mode}: done at ${m[done]} ms; main thread busy ${busy.toFixed(0)} ms; longest task ${longest} ms; room channel open ${m['b:room-ws-open'] ?? '-'} ms`);
    buckets(profile, await page.evaluate(() => (window as unknown as { __benchSyncAt: number }).__benchSyncAt));
  } finally {
    await stopHub(hub);
    await browser.close();
  }
}

process.on('exit', killAllSync);
main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
