/**
 * Rooms of many devices (issue 13, "Rooms of 50"): N devices (browser contexts in one Chromium)
 * open the join link at once; we measure the time until every device sees every other as
 * present, the time until the mesh is full (every device has a direct channel to every
 * other), the direct links per device, and what one edit costs: data-channel frames and bytes
 * sent by all devices, frames sent to the hub, and the time until every device has it.
 *
 * Frames are counted in the pages by wrapping `RTCDataChannel.prototype.send` and
 * `WebSocket.prototype.send` (an init script; the app is unchanged). Background traffic
 * (heartbeats, awareness) is measured in an idle window of the same length and subtracted.
 * Every device runs on this one 2-core machine, so the times are an upper bound: in a real room
 * each device brings its own CPU.
 */
import os from 'node:os';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { TestHub } from '../tests/e2e/support/hub.ts';
import { summarize, round, type Summary } from './stats.ts';
import { newContext, stopHub, trackHub } from './support.ts';

export interface MeshScaleOptions {
  sizes: number[];
  /** How long a size may take to reach full presence and a full mesh. */
  limitSeconds: number;
  edits: number;
}

export interface MeshScaleLevel {
  devices: number;
  /** Seconds from opening the join links to every device seeing every other present (null: not within the limit). */
  fullPresenceSeconds: number | null;
  /** Seconds to a direct channel between every pair (null: not within the limit). */
  fullMeshSeconds: number | null;
  /** Direct links per device when the level ended (full mesh or the limit). */
  links: { min: number; median: number; max: number };
  /** Devices each device saw present when the level ended. */
  present: { min: number; median: number };
  edit: {
    /** Data-channel frames (all devices together) per edit, background subtracted. */
    meshFrames: number;
    meshKb: number;
    /** Frames devices sent to the hub per edit (the hub then forwards to each device). */
    hubFrames: number;
    /** Time from the post until every device shows the message. */
    reachAllMs: Summary;
  } | null;
  error?: string;
}

export interface MeshScaleResult {
  levels: MeshScaleLevel[];
  notes: string[];
}

/** One row per size for the report. */
export function meshScaleRows(r: MeshScaleResult): { metric: string; ours: string; baseline: string; ratio: string; target: string; meets: string }[] {
  return r.levels.map((l) => ({
    metric: `room of ${l.devices}: full presence / full mesh / links per device (min-median)`,
    ours: l.error ? `failed: ${l.error.split('\n')[0]!.slice(0, 60)}` : `${l.fullPresenceSeconds ?? '>limit'} s / ${l.fullMeshSeconds ?? '>limit'} s / ${l.links.min}-${l.links.median} of ${l.devices - 1}`,
    baseline: l.edit ? `edit: ${l.edit.meshFrames} mesh frames, ${l.edit.hubFrames} to hub, all in ${l.edit.reachAllMs.p50} ms` : '',
    ratio: '',
    target: '',
    meets: '',
  }));
}

interface Counters {
  dcFrames: number;
  dcBytes: number;
  wsFrames: number;
}

interface OsmoseHandle {
  members(): { peerId: string; direct: boolean; status: string }[];
  memory(): { messages: string[] } | null;
  post(text: string): void;
}

/** Counts every frame this page sends on a data channel or a WebSocket. */
const COUNTER_SCRIPT = `(() => {
  const c = (globalThis.__osmoseFrames = { dcFrames: 0, dcBytes: 0, wsFrames: 0 });
  const size = (d) => (typeof d === 'string' ? d.length : d?.byteLength ?? d?.size ?? 0);
  const dcSend = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (d) { c.dcFrames++; c.dcBytes += size(d); return dcSend.call(this, d); };
  const wsSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (d) { c.wsFrames++; return wsSend.call(this, d); };
})();`;

const osmose = (p: Page) => p.evaluate(() => {
  const o = (window as unknown as { osmose?: OsmoseHandle }).osmose;
  const ms = o?.members() ?? [];
  return { present: ms.filter((m) => m.status === 'present').length, direct: ms.filter((m) => m.direct).length };
});

const counters = async (pages: Page[]): Promise<Counters> => {
  const all = await Promise.all(pages.map((p) => p.evaluate(() => (globalThis as unknown as { __osmoseFrames: Counters }).__osmoseFrames)));
  return all.reduce((a, b) => ({ dcFrames: a.dcFrames + b.dcFrames, dcBytes: a.dcBytes + b.dcBytes, wsFrames: a.wsFrames + b.wsFrames }), { dcFrames: 0, dcBytes: 0, wsFrames: 0 });
};
const diff = (a: Counters, b: Counters): Counters => ({ dcFrames: b.dcFrames - a.dcFrames, dcBytes: b.dcBytes - a.dcBytes, wsFrames: b.wsFrames - a.wsFrames });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => summarize(v).p50;

async function level(browser: Browser, n: number, opts: MeshScaleOptions, log: (s: string) => void): Promise<MeshScaleLevel> {
  const hub = trackHub(new TestHub(`bench-mesh-${n}`, { args: ['--challenges', '100000', '--join-failures', '1000'] }));
  const contexts: BrowserContext[] = [];
  try {
    await hub.start();
    const url = hub.joinUrl();
    const pages: Page[] = [];
    for (let i = 0; i < n; i++) {
      const c = await newContext(browser);
      contexts.push(c);
      await c.addInitScript({ content: COUNTER_SCRIPT });
      pages.push(await c.newPage());
    }
    const t0 = performance.now();
    await Promise.all(pages.map((p) => p.goto(url)));
    let fullPresence: number | null = null;
    let fullMesh: number | null = null;
    let last: { present: number; direct: number }[] = [];
    const deadline = t0 + opts.limitSeconds * 1000;
    while (performance.now() < deadline && fullMesh === null) {
      last = await Promise.all(pages.map(osmose));
      const at = (performance.now() - t0) / 1000;
      if (fullPresence === null && last.every((s) => s.present >= n - 1)) fullPresence = at;
      if (last.every((s) => s.direct >= n - 1)) fullMesh = at;
      else await sleep(250);
    }
    const links = last.map((s) => s.direct);
    const present = last.map((s) => s.present);
    const lv: MeshScaleLevel = {
      devices: n,
      fullPresenceSeconds: fullPresence === null ? null : round(fullPresence, 1),
      fullMeshSeconds: fullMesh === null ? null : round(fullMesh, 1),
      links: { min: Math.min(...links), median: median(links), max: Math.max(...links) },
      present: { min: Math.min(...present), median: median(present) },
      edit: null,
    };
    log(`  ${n} devices: full presence ${lv.fullPresenceSeconds ?? `not within ${opts.limitSeconds} s`}${fullPresence === null ? '' : ' s'}, full mesh ${lv.fullMeshSeconds ?? `not within ${opts.limitSeconds} s`}${fullMesh === null ? '' : ' s'}; links per device min ${lv.links.min} / median ${lv.links.median} / max ${lv.links.max} of ${n - 1}`);

    // Edits: one device posts; wait until every device shows it. Background traffic over an
    // idle window of the same length is subtracted.
    const reach: number[] = [];
    const perEdit: Counters[] = [];
    for (let i = 0; i < opts.edits; i++) {
      const text = `scale ${n} edit ${i} ${Math.random().toString(36).slice(2, 8)}`;
      const c0 = await counters(pages);
      const e0 = performance.now();
      await pages[i % n]!.evaluate((t) => (window as unknown as { osmose: OsmoseHandle }).osmose.post(t), text);
      await Promise.all(pages.map((p) => p.waitForFunction((t) => (window as unknown as { osmose: OsmoseHandle }).osmose.memory()?.messages.includes(t), text, { timeout: 30_000, polling: 20 })));
      const took = performance.now() - e0;
      await sleep(300); // floods still on their way
      const window_ = performance.now() - e0;
      const c1 = await counters(pages);
      await sleep(window_);
      const c2 = await counters(pages);
      const edit = diff(c0, c1);
      const idle = diff(c1, c2);
      reach.push(took);
      perEdit.push({ dcFrames: edit.dcFrames - idle.dcFrames, dcBytes: edit.dcBytes - idle.dcBytes, wsFrames: edit.wsFrames - idle.wsFrames });
    }
    lv.edit = {
      meshFrames: Math.max(0, median(perEdit.map((c) => c.dcFrames))),
      meshKb: Math.max(0, round(median(perEdit.map((c) => c.dcBytes)) / 1024, 1)),
      hubFrames: Math.max(0, median(perEdit.map((c) => c.wsFrames))),
      reachAllMs: summarize(reach),
    };
    log(`  ${n} devices: one edit costs ${lv.edit.meshFrames} data-channel frames (${lv.edit.meshKb} KB) and ${lv.edit.hubFrames} frames to the hub; reaches every device in p50 ${lv.edit.reachAllMs.p50} ms (n=${reach.length})`);
    return lv;
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await stopHub(hub);
  }
}

export async function runMeshScale(browser: Browser, opts: MeshScaleOptions, log: (s: string) => void): Promise<MeshScaleResult> {
  const levels: MeshScaleLevel[] = [];
  for (const n of opts.sizes) {
    try {
      levels.push(await level(browser, n, opts, log));
    } catch (err) {
      log(`  ${n} devices FAILED: ${(err as Error).message.split('\n')[0]}`);
      levels.push({ devices: n, fullPresenceSeconds: null, fullMeshSeconds: null, links: { min: 0, median: 0, max: 0 }, present: { min: 0, median: 0 }, edit: null, error: (err as Error).message });
    }
  }
  return {
    levels,
    notes: [`Every device is a browser context in one Chromium on this ${os.cpus().length}-core machine: the times are what this box manages, not what a room of phones would see.`],
  };
}
