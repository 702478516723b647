/**
 * File throughput and the receiver's peak memory for one file of `sizeMb`, against a naive PeerJS
 * send of the same size in the same browser (a bare page cuts an in-memory buffer into 64 KiB raw
 * messages and hands them all to PeerJS, which queues them in JS; the receiver keeps them in
 * memory). Ours, in the app: A shares through the file picker ("prepare": read, hash, store), then
 * a device presses "Get" (each chunk checked by SHA-256 and written to IndexedDB as it arrives,
 * the whole file's SHA-256 checked at the end), fetching from the sources it is allowed
 * (`window.osmoseFiles.useSources`), each case on a fresh device:
 *   p2p     B from A alone, peer to peer (what a room without the hub's copy yet has);
 *   hub     C from A and the hub's copy at once (the usual case a while after sharing), after B left;
 *   peers2  D from A and C at once, peers only (three devices, two sources);
 *   hubonly E from the hub's copy alone, over HTTP (what a byte costs without a data channel).
 * Time runs from the click (ours) or the first message (naive) to the last byte stored and checked
 * (ours) or received (naive). Memory is the receiver page's V8 heap + ArrayBuffer backing stores +
 * DOM heap (CDP Runtime.getHeapUsage), peak minus the value just before the transfer; and the same
 * sampled right after a forced GC every 2 s ("reachable"). CPU: every browser thread's time from
 * /proc during each phase (proc-cpu.ts), since wall time on a shared machine mostly measures the
 * other load. OSMOSE_BENCH_PROFILE=<dir> also writes CPU profiles of the p2p pair's main threads.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { E2E_TMP } from '../tests/e2e/support/env.ts';
import { downloadStats, fileRow, heapSampler, seededFile, storedSha256 } from '../tests/e2e/support/files.ts';
import { openView } from '../tests/e2e/support/shell.ts';
import { startBare, type BareSetup } from './bare/server.ts';
import { newContext, stopHub, trackHub, waitFor } from './support.ts';
import { diff, group, renderers, snapshot, total, type ThreadCpu } from './proc-cpu.ts';

export interface FilesOptions {
  sizeMb: number;
}

export interface CpuBreakdown {
  /** CPU seconds of the whole browser (every process) during the phase. */
  total: number;
  /** The same per MB moved, in ms: comparable whatever else the machine did meanwhile. */
  msPerMb: number;
  byProcess: Record<string, number>;
  byThread: Record<string, number>;
}

export interface FetchCase {
  /** Which sources the receiver used. */
  sources: string;
  seconds: number;
  mbPerSecond: number;
  memoryGrowthMb: number;
  liveMemoryGrowthMb: number;
  fetchSeconds: number;
  verifySeconds: number;
  /** Chunks stored from each source (peers by name, 'hub'). */
  bySource: Record<string, number>;
  hashOk: boolean;
  cpu: CpuBreakdown;
}

export interface FilesResult {
  sizeMb: number;
  prepareSeconds: number;
  prepareCpu: CpuBreakdown;
  /** From the end of preparing to the hub holding every chunk (A uploads in the background). */
  hubCopySeconds: number;
  /** B from A alone (the figure the issue's two-device row is about). */
  ours: FetchCase;
  /** C from A and the hub's copy. */
  withHub: FetchCase;
  /** D from A and C (peers only). */
  twoPeers: FetchCase;
  /** E from the hub's copy alone (HTTP, no data channel): what a byte costs on that path. */
  hubOnly: FetchCase;
  naive: { seconds: number; mbPerSecond: number; memoryGrowthMb: number; liveMemoryGrowthMb: number; description: string; cpu: CpuBreakdown };
  /** ours (peer to peer) / naive, and the same for the swarm cases. */
  ratio: number;
  ratioWithHub: number;
  ratioTwoPeers: number;
  ratioHubOnly: number;
}

interface BareHandle {
  opened(): Promise<void>;
  connect(id: string): Promise<void>;
  sendNaive(to: string, size: number): void;
  naiveReceived(): Promise<{ ms: number; bytes: number }>;
}

type Policy = 'all' | 'peers' | 'hub';
type W = { osmose?: { members(): { direct: boolean }[] }; osmoseFiles: { useSources(p: Policy): void } };

const MB = 1024 * 1024;
const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;

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

export async function runFiles(browser: Browser, opts: FilesOptions, log: (s: string) => void): Promise<FilesResult> {
  const contexts: BrowserContext[] = [];
  /** Which renderer process serves which page (a new context gets a new renderer). */
  const names = new Map<number, string>();
  const page = async (name: string, url: string): Promise<Page> => {
    const before = renderers();
    const c = await newContext(browser);
    contexts.push(c);
    const p = await c.newPage();
    p.on('pageerror', (e) => log(`  [files] ${name}: page error: ${e.message}`));
    await p.goto(url);
    for (const pid of renderers()) if (!before.has(pid)) names.set(pid, name);
    return p;
  };
  const cpuSince = (before: ThreadCpu[], what: string, mb: number): CpuBreakdown => {
    const d = diff(before, snapshot());
    const byProcess = group(d, names, false);
    const top = Object.entries(group(d, names)).slice(0, 12);
    const cpu = { total: total(d), msPerMb: Math.round((total(d) * 1000) / mb), byProcess, byThread: Object.fromEntries(top) };
    log(`  files: CPU ${what}: ${cpu.total} s (${cpu.msPerMb} ms/MB); ${Object.entries(byProcess).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    log(`    threads: ${top.map(([k, v]) => `${k} ${v}`).join('; ')}`);
    return cpu;
  };
  const hub = trackHub(new TestHub('bench-files', { args: ['--challenges', '100000'] }));
  let bare: BareSetup | null = null;
  const size = opts.sizeMb * MB;
  try {
    const src = await seededFile(path.join(E2E_TMP, 'bench-files'), `bench-${opts.sizeMb}.bin`, size, 9);
    await hub.start();
    /** Device ids to names, for the chunks-by-source counts. */
    const deviceNames = new Map<string, string>([['hub', 'hub']]);
    const device = async (name: string) => {
      const p = await page(name, hub.joinUrl());
      await openView(p, 'files');
      const idOf = () => p.evaluate(() => (window as unknown as { osmose?: { deviceId?: string } }).osmose?.deviceId ?? null);
      deviceNames.set((await waitFor(idOf, 20_000, `${name}'s device id`))!, name);
      return p;
    };
    const a = await device('A');
    const b = await device('B');
    const connected = (p: Page, n: number) =>
      waitFor(() => p.evaluate((k) => ((window as unknown as W).osmose?.members().filter((m) => m.direct).length ?? 0) >= k, n), 30_000, `${n} direct peers`);
    await connected(a, 1);

    // Preparing (read, hash, store on A) is timed apart: it happens before anyone asks.
    const tPrep = Date.now();
    const cpuPrep = snapshot();
    await a.getByTestId('file-input').setInputFiles(src.file);
    const rowA = a.getByTestId('file-row').filter({ hasText: path.basename(src.file) });
    await waitFor(async () => (await rowA.getAttribute('data-state').catch(() => null)) === 'complete', 300_000, 'the sender to prepare the file', 200);
    const prepareSeconds = (Date.now() - tPrep) / 1000;
    const prepareCpu = cpuSince(cpuPrep, 'prepare', opts.sizeMb);
    const id = (await rowA.getAttribute('data-file-id'))!;
    const tHub = Date.now();

    /** One device presses "Get" with the sources it may use; the time to the file complete and checked. */
    const fetchCase = async (p: Page, name: string, policy: Policy, label: string): Promise<FetchCase> => {
      const dev = { page: p, context: p.context(), name };
      await waitFor(async () => (await fileRow(dev, id).getAttribute('data-state').catch(() => null)) === 'remote', 30_000, `the file to reach ${name}`);
      await p.evaluate((pol) => (window as unknown as W).osmoseFiles.useSources(pol), policy);
      const heap = await heapSampler(p, 200, { gcEveryMs: 2000 });
      const profiles = process.env.OSMOSE_BENCH_PROFILE && name === 'B' ? await Promise.all([a, p].map((x) => startProfile(x))) : null;
      const t0 = Date.now();
      const cpu0 = snapshot();
      await fileRow(dev, id).getByTestId('file-download').click();
      await waitFor(async () => (await fileRow(dev, id).getAttribute('data-state')) === 'complete', 600_000, `${name} to receive the file`, 100);
      const seconds = (Date.now() - t0) / 1000;
      const cpu = cpuSince(cpu0, label, opts.sizeMb);
      if (profiles) for (const [i, stop] of profiles.entries()) log(`  files: profile ${await stop(path.join(process.env.OSMOSE_BENCH_PROFILE!, `${i ? 'receiver' : 'sender'}.cpuprofile`))}`);
      const mem = await heap.stop();
      const stats = await downloadStats(p, id);
      const hashOk = (await storedSha256(p, id)) === src.sha256;
      // Peer ids are long: name them by device.
      const bySource = Object.fromEntries(Object.entries(stats?.bySource ?? {}).map(([k, v]) => [deviceNames.get(k) ?? k.slice(0, 8), v]));
      const c: FetchCase = {
        sources: label,
        seconds: r1(seconds),
        mbPerSecond: r1(opts.sizeMb / seconds),
        memoryGrowthMb: r1(mem.growth / MB),
        liveMemoryGrowthMb: r1(mem.liveGrowth / MB),
        fetchSeconds: r1((stats?.ms.fetch ?? 0) / 1000),
        verifySeconds: r1((stats?.ms.verify ?? 0) / 1000),
        bySource,
        hashOk,
        cpu,
      };
      log(`  files: ${label}: ${c.mbPerSecond} MB/s (${c.seconds} s: fetch ${c.fetchSeconds} s + whole-file check ${c.verifySeconds} s), chunks by source ${JSON.stringify(bySource)}, receiver memory +${c.memoryGrowthMb} MB peak, +${c.liveMemoryGrowthMb} MB reachable, hash ${hashOk ? 'ok' : 'WRONG'}`);
      return c;
    };

    const ours = await fetchCase(b, 'B', 'peers', 'peer to peer (B from A)');
    log(`  files: prepare ${r1(prepareSeconds)} s`);

    // The hub's copy: A uploads it in the background (pausing while it sends to peers).
    await waitFor(async () => (await rowA.getByTestId('file-hub').getAttribute('data-state').catch(() => null)) === 'done', 600_000, "the hub's copy", 200);
    const hubCopySeconds = r1((Date.now() - tHub) / 1000);
    log(`  files: the hub held every chunk ${hubCopySeconds} s after preparing ended (uploads pause while A sends to peers)`);
    // B leaves; C gets the file from A and the hub.
    await b.context().close();
    const c = await device('C');
    await connected(c, 1);
    const withHub = await fetchCase(c, 'C', 'all', 'sharer + hub copy (C from A and the hub)');
    // D joins the two devices that have the file; peers only.
    const d = await device('D');
    await connected(d, 2);
    const twoPeers = await fetchCase(d, 'D', 'peers', 'two peers (D from A and C)');
    // E from the hub alone: no data channel at all.
    for (const p of [c, d]) await p.context().close();
    const e = await device('E');
    const hubOnly = await fetchCase(e, 'E', 'hub', "the hub's copy alone (E over HTTP)");
    for (const p of [a, e]) await p.goto('about:blank');
    await stopHub(hub);

    // Naive: a bare PeerJS pair in the same browser.
    bare = await startBare();
    const bb = await page('naive receiver', bare.pageUrl('files-b'));
    await bb.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened());
    const ba = await page('naive sender', bare.pageUrl('files-a'));
    await ba.evaluate(() => (window as unknown as { bare: BareHandle }).bare.opened().then(() => (window as unknown as { bare: BareHandle }).bare.connect('files-b')));
    const heapN = await heapSampler(bb, 200, { gcEveryMs: 2000 });
    const cpuN = snapshot();
    const received = bb.evaluate(() => (window as unknown as { bare: BareHandle }).bare.naiveReceived());
    await ba.evaluate((n) => (window as unknown as { bare: BareHandle }).bare.sendNaive('files-b', n), size);
    const got = await received;
    const naiveCpu = cpuSince(cpuN, 'naive', opts.sizeMb);
    const memN = await heapN.stop();
    const naive = {
      seconds: r1(got.ms / 1000),
      mbPerSecond: r1(opts.sizeMb / (got.ms / 1000)),
      memoryGrowthMb: r1(memN.growth / MB),
      liveMemoryGrowthMb: r1(memN.liveGrowth / MB),
      description: '64 KiB raw messages handed to PeerJS all at once (its own 8 MiB/50 ms queue), receiver keeps them in memory; no hashing, no storage',
      cpu: naiveCpu,
    };
    log(`  files: naive = ${naive.description}`);
    log(`  files: naive PeerJS ${naive.mbPerSecond} MB/s (${naive.seconds} s), receiver memory +${naive.memoryGrowthMb} MB peak, +${naive.liveMemoryGrowthMb} MB reachable`);
    return {
      sizeMb: opts.sizeMb,
      prepareSeconds: r1(prepareSeconds),
      prepareCpu,
      hubCopySeconds,
      ours,
      withHub,
      twoPeers,
      hubOnly,
      naive,
      ratio: r2(ours.mbPerSecond / naive.mbPerSecond),
      ratioWithHub: r2(withHub.mbPerSecond / naive.mbPerSecond),
      ratioTwoPeers: r2(twoPeers.mbPerSecond / naive.mbPerSecond),
      ratioHubOnly: r2(hubOnly.mbPerSecond / naive.mbPerSecond),
    };
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await bare?.close();
    await stopHub(hub);
  }
}
