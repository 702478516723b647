/**
 * File throughput between two devices, and the receiver's peak memory, for one file of `sizeMb`:
 * ours (A shares through the file picker, B presses "Get": bulk channel, paced on
 * bufferedAmountLowThreshold, each chunk hashed and written to IndexedDB, the whole file read back
 * and hashed at the end) against a naive PeerJS send of the same size in the same browser (a bare
 * page cuts an in-memory buffer into 64 KiB raw messages and hands them all to PeerJS, which
 * queues them in JS; the receiver keeps them in memory). Time runs from B's request (ours) or the
 * first message (naive) to the last byte stored and checked (ours) or received (naive). Memory is
 * the receiver page's V8 heap + ArrayBuffer backing stores + DOM heap (CDP Runtime.getHeapUsage),
 * peak minus the value just before the transfer; and the same sampled right after a forced GC
 * every 2 s ("reachable"), since the plain peak also counts dead buffers V8 has not collected yet.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { E2E_TMP } from '../tests/e2e/support/env.ts';
import { downloadStats, fileRow, heapSampler, seededFile, storedSha256 } from '../tests/e2e/support/files.ts';
import { startBare, type BareSetup } from './bare/server.ts';
import { newContext, stopHub, trackHub, waitFor } from './support.ts';
import { diff, group, renderers, snapshot, total, type ThreadCpu } from './proc-cpu.ts';

export interface FilesOptions {
  sizeMb: number;
}

export interface FilesResult {
  sizeMb: number;
  ours: { seconds: number; mbPerSecond: number; memoryGrowthMb: number; liveMemoryGrowthMb: number; fetchSeconds: number; verifySeconds: number; prepareSeconds: number; hashOk: boolean };
  naive: { seconds: number; mbPerSecond: number; memoryGrowthMb: number; liveMemoryGrowthMb: number; description: string };
  ratio: number;
  /** CPU seconds of the whole browser (all processes) per phase, and where they went. */
  cpu: Record<'prepare' | 'ours' | 'naive', CpuBreakdown>;
}

interface CpuBreakdown {
  total: number;
  byProcess: Record<string, number>;
  byThread: Record<string, number>;
}

interface BareHandle {
  opened(): Promise<void>;
  connect(id: string): Promise<void>;
  sendNaive(to: string, size: number): void;
  naiveReceived(): Promise<{ ms: number; bytes: number }>;
}

const MB = 1024 * 1024;

/** A CPU profile of the page's main thread (CDP Profiler), written as .cpuprofile on stop. */
async function startProfile(p: Page): Promise<(file: string) => Promise<string>> {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return async (file) => {
    const { profile } = await cdp.send('Profiler.stop');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    await cdp.detach();
    return file;
  };
}
const r1 = (v: number) => Math.round(v * 10) / 10;

export async function runFiles(browser: Browser, opts: FilesOptions, log: (s: string) => void): Promise<FilesResult> {
  const contexts: BrowserContext[] = [];
  const page = async (): Promise<Page> => {
    const c = await newContext(browser);
    contexts.push(c);
    return c.newPage();
  };
  /** Which renderer process serves which page (a new context gets a new renderer). */
  const names = new Map<number, string>();
  const named = async (p: Page, name: string, url: string) => {
    const before = renderers();
    await p.goto(url);
    for (const pid of renderers()) if (!before.has(pid)) names.set(pid, name);
  };
  const cpuSince = (before: ThreadCpu[], what: string) => {
    const d = diff(before, snapshot());
    const byProc = group(d, names, false);
    const top = Object.entries(group(d, names)).slice(0, 12);
    log(`  files: CPU ${what}: ${total(d)} s in all; ${Object.entries(byProc).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    log(`    threads: ${top.map(([k, v]) => `${k} ${v}`).join('; ')}`);
    return { total: total(d), byProcess: byProc, byThread: Object.fromEntries(top) };
  };
  const hub = trackHub(new TestHub('bench-files', { args: ['--challenges', '100000'] }));
  let bare: BareSetup | null = null;
  const size = opts.sizeMb * MB;
  try {
    const src = await seededFile(path.join(E2E_TMP, 'bench-files'), `bench-${opts.sizeMb}.bin`, size, 9);
    await hub.start();
    const a = await page();
    const b = await page();
    for (const [p, name] of [[a, 'sender'], [b, 'receiver']] as const) {
      p.on('pageerror', (e) => log(`  [files] page error: ${e.message}`));
      await named(p, name, hub.joinUrl());
    }
    await waitFor(() => a.evaluate(() => (window as unknown as { osmose?: { members(): { direct: boolean }[] } }).osmose?.members().some((m) => m.direct)), 20_000, 'the two devices to connect');

    // Ours. Preparing (read, hash, store on A) is timed apart: it happens before anyone asks.
    const tPrep = Date.now();
    const cpuPrep = snapshot();
    await a.getByTestId('file-input').setInputFiles(src.file);
    const rowA = a.getByTestId('file-row').filter({ hasText: path.basename(src.file) });
    await waitFor(async () => (await rowA.getAttribute('data-state').catch(() => null)) === 'complete', 300_000, 'the sender to prepare the file', 200);
    const prepareSeconds = (Date.now() - tPrep) / 1000;
    const prepareCpu = cpuSince(cpuPrep, 'prepare');
    const id = (await rowA.getAttribute('data-file-id'))!;
    const dev = { page: b, context: b.context(), name: 'B' };
    await waitFor(async () => (await fileRow(dev, id).getAttribute('data-state').catch(() => null)) === 'remote', 30_000, 'the file to reach B');
    const heapB = await heapSampler(b, 200, { gcEveryMs: 2000 });
    // OSMOSE_BENCH_PROFILE=<dir>: CPU profiles of both pages' main threads during the fetch.
    const profiles = process.env.OSMOSE_BENCH_PROFILE ? await Promise.all([a, b].map((p) => startProfile(p))) : null;
    const t0 = Date.now();
    const cpu0 = snapshot();
    await fileRow(dev, id).getByTestId('file-download').click();
    await waitFor(async () => (await fileRow(dev, id).getAttribute('data-state')) === 'complete', 600_000, 'B to receive the file', 100);
    const seconds = (Date.now() - t0) / 1000;
    const oursCpu = cpuSince(cpu0, 'ours');
    if (profiles) for (const [i, stop] of profiles.entries()) log(`  files: profile ${await stop(path.join(process.env.OSMOSE_BENCH_PROFILE!, `${i ? 'receiver' : 'sender'}.cpuprofile`))}`);
    const mem = await heapB.stop();
    const stats = await downloadStats(b, id);
    const hashOk = (await storedSha256(b, id)) === src.sha256;
    const ours = {
      seconds: r1(seconds),
      mbPerSecond: r1(opts.sizeMb / seconds),
      memoryGrowthMb: r1(mem.growth / MB),
      liveMemoryGrowthMb: r1(mem.liveGrowth / MB),
      fetchSeconds: r1((stats?.ms.fetch ?? 0) / 1000),
      verifySeconds: r1((stats?.ms.verify ?? 0) / 1000),
      prepareSeconds: r1(prepareSeconds),
      hashOk,
    };
    log(`  files: ours ${ours.mbPerSecond} MB/s (${ours.seconds} s: fetch ${ours.fetchSeconds} s + whole-file check ${ours.verifySeconds} s), receiver memory +${ours.memoryGrowthMb} MB peak, +${ours.liveMemoryGrowthMb} MB reachable, hash ${hashOk ? 'ok' : 'WRONG'}; prepare ${ours.prepareSeconds} s`);
    for (const p of [a, b]) await p.goto('about:blank');
    await stopHub(hub);

    // Naive: a bare PeerJS pair in the same browser.
    bare = await startBare();
    const ba = await page();
    const bb = await page();
    await named(bb, 'naive receiver', bare.pageUrl('files-b'));
    await bb.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened());
    await named(ba, 'naive sender', bare.pageUrl('files-a'));
    await ba.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened().then(() => (window as unknown as { bare: BareHandle }).bare.connect('files-b')));
    const heapN = await heapSampler(bb, 200, { gcEveryMs: 2000 });
    const cpuN = snapshot();
    const received = bb.evaluate(() => (window as unknown as { bare: BareHandle }).bare.naiveReceived());
    await ba.evaluate((n) => (window as unknown as { bare: BareHandle }).bare.sendNaive('files-b', n), size);
    const got = await received;
    const naiveCpu = cpuSince(cpuN, 'naive');
    const memN = await heapN.stop();
    const naive = {
      seconds: r1(got.ms / 1000),
      mbPerSecond: r1(opts.sizeMb / (got.ms / 1000)),
      memoryGrowthMb: r1(memN.growth / MB),
      liveMemoryGrowthMb: r1(memN.liveGrowth / MB),
      description: '64 KiB raw messages handed to PeerJS all at once (its own 8 MiB/50 ms queue), receiver keeps them in memory; no hashing, no storage',
    };
    log(`  files: naive = ${naive.description}`);
    log(`  files: naive PeerJS ${naive.mbPerSecond} MB/s (${naive.seconds} s), receiver memory +${naive.memoryGrowthMb} MB peak, +${naive.liveMemoryGrowthMb} MB reachable`);
    return { sizeMb: opts.sizeMb, ours, naive, ratio: Math.round((ours.mbPerSecond / naive.mbPerSecond) * 100) / 100, cpu: { prepare: prepareCpu, ours: oursCpu, naive: naiveCpu } };
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await bare?.close();
    await stopHub(hub);
  }
}
