/** The benchmark report: a markdown table on stdout and the full JSON in bench/results/latest.json. */
import fs from 'node:fs';
import path from 'node:path';
import type { JoinResult } from './join.ts';
import type { RttResult } from './rtt.ts';
import type { CapacityResult } from './capacity.ts';
import type { FilesResult } from './files.ts';
import type { MemoryResult } from './memory.ts';
import type { GatewayResult } from './gateway.ts';
import { round } from './stats.ts';

export interface Results {
  join?: JoinResult;
  rtt?: RttResult;
  capacity?: CapacityResult;
  files?: FilesResult;
  memory?: MemoryResult;
  gateway?: GatewayResult;
}

export interface Row {
  metric: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  /** 'yes' | 'no' | '' (no target): reported, never asserted. */
  meets: string;
}

const ms = (v: number | undefined | null, d = 1) => (v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : `${round(v, d)} ms`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '' : `${(a / b).toFixed(2)}x`);
const yn = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : 'no');

export function rows(r: Results): Row[] {
  const out: Row[] = [];
  if (r.join) {
    const { warm, cold, bare } = r.join;
    out.push(
      { metric: `join p50, warm reopen (n=${warm.n})`, ours: ms(warm.p50), baseline: ms(bare.p50), ratio: ratio(warm.p50, bare.p50), target: '<= 400 ms', meets: yn(Number.isFinite(warm.p50) ? warm.p50 <= 400 : null) },
      { metric: `join p95, warm reopen`, ours: ms(warm.p95), baseline: ms(bare.p95), ratio: ratio(warm.p95, bare.p95), target: '', meets: '' },
      { metric: `join p50, new device (n=${cold.n})`, ours: ms(cold.p50), baseline: '', ratio: '', target: '', meets: '' },
      { metric: `join p95, new device`, ours: ms(cold.p95), baseline: '', ratio: '', target: '', meets: '' },
    );
  }
  if (r.rtt) {
    const { ours, bare } = r.rtt;
    const within = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? a <= b * 1.1 : null);
    const p50ok = Number.isFinite(ours.p50) ? ours.p50 <= 0.6 && within(ours.p50, bare.p50) === true : null;
    out.push(
      { metric: `mesh RTT p50 (n=${ours.n})`, ours: ms(ours.p50, 3), baseline: ms(bare.p50, 3), ratio: ratio(ours.p50, bare.p50), target: '<= 0.6 ms, <= 1.1x bare', meets: yn(p50ok) },
      { metric: `mesh RTT p99`, ours: ms(ours.p99, 3), baseline: ms(bare.p99, 3), ratio: ratio(ours.p99, bare.p99), target: '<= 1.1x bare', meets: yn(within(ours.p99, bare.p99)) },
      { metric: `mesh RTT mean`, ours: ms(ours.mean, 3), baseline: ms(bare.mean, 3), ratio: ratio(ours.mean, bare.mean), target: '', meets: '' },
    );
  }
  if (r.capacity) {
    const c = r.capacity;
    const tried = c.levels.length ? c.levels[c.levels.length - 1]!.target : 0;
    out.push(
      { metric: `hub signaling clients held (tried ${tried})`, ours: String(c.maxHeld), baseline: '', ratio: '', target: '>= 5000', meets: yn(c.maxHeld >= 5000) },
    );
    const perClient = (l: CapacityResult['levels'][number]) => `${l.kbPerClient} KB (${l.kbPerClientAfterGc ?? '?'} after GC)`;
    const at5000 = c.levels.find((l) => l.target === 5000 && l.held === 5000);
    out.push({ metric: `hub RSS KB/client at 5000`, ours: at5000 ? perClient(at5000) : 'n/a', baseline: '', ratio: '', target: '<= 20 KB', meets: yn(at5000 ? at5000.kbPerClient <= 20 : null) });
    const top = [...c.levels].reverse().find((l) => l.failed === 0 && l.held === l.target);
    if (top && top.target !== 5000) out.push({ metric: `hub RSS KB/client at ${top.target}`, ours: perClient(top), baseline: '', ratio: '', target: '<= 20 KB', meets: yn(top.kbPerClient <= 20) });
  }
  if (r.files) {
    const f = r.files;
    const naive = `${f.naive.mbPerSecond} MB/s (naive)`;
    const cpu = (c: { cpu: { msPerMb: number } }) => `${c.cpu.msPerMb} ms/MB`;
    out.push(
      { metric: `file throughput, ${f.sizeMb} MB, 2 devices, peer to peer`, ours: `${f.ours.mbPerSecond} MB/s`, baseline: naive, ratio: `${f.ratio.toFixed(2)}x`, target: '>= 25 MB/s, >= 2x naive', meets: yn(f.ours.mbPerSecond >= 25 && f.ratio >= 2) },
      { metric: `  the same + the hub's copy (sharer and hub at once)`, ours: `${f.withHub.mbPerSecond} MB/s`, baseline: naive, ratio: `${f.ratioWithHub.toFixed(2)}x`, target: '>= 25 MB/s, >= 2x naive', meets: yn(f.withHub.mbPerSecond >= 25 && f.ratioWithHub >= 2) },
      { metric: `  3 devices, two peers with the file`, ours: `${f.twoPeers.mbPerSecond} MB/s`, baseline: naive, ratio: `${f.ratioTwoPeers.toFixed(2)}x`, target: '', meets: '' },
      { metric: `  the hub's copy alone (HTTP)`, ours: `${f.hubOnly.mbPerSecond} MB/s`, baseline: naive, ratio: `${f.ratioHubOnly.toFixed(2)}x`, target: '', meets: '' },
      { metric: `CPU per MB moved, browser + hub (p2p / +hub / 2 peers / hub alone)`, ours: `${cpu(f.ours)} / ${cpu(f.withHub)} / ${cpu(f.twoPeers)} / ${cpu(f.hubOnly)}`, baseline: `${cpu(f.naive)} (naive)`, ratio: `${(f.ours.cpu.msPerMb / f.naive.cpu.msPerMb).toFixed(2)}x`, target: '', meets: '' },
      { metric: `receiver memory growth, ${f.sizeMb} MB (peak, p2p / +hub / 2 peers / hub alone)`, ours: `${f.ours.memoryGrowthMb} / ${f.withHub.memoryGrowthMb} / ${f.twoPeers.memoryGrowthMb} / ${f.hubOnly.memoryGrowthMb} MB`, baseline: `${f.naive.memoryGrowthMb} MB`, ratio: '', target: '<= 64 MB', meets: yn(Math.max(f.ours.memoryGrowthMb, f.withHub.memoryGrowthMb, f.twoPeers.memoryGrowthMb, f.hubOnly.memoryGrowthMb) <= 64) },
      { metric: `receiver memory growth (reachable, after GC)`, ours: `${f.ours.liveMemoryGrowthMb} / ${f.withHub.liveMemoryGrowthMb} / ${f.twoPeers.liveMemoryGrowthMb} / ${f.hubOnly.liveMemoryGrowthMb} MB`, baseline: `${f.naive.liveMemoryGrowthMb} MB`, ratio: '', target: '<= 64 MB', meets: yn(Math.max(f.ours.liveMemoryGrowthMb, f.withHub.liveMemoryGrowthMb, f.twoPeers.liveMemoryGrowthMb, f.hubOnly.liveMemoryGrowthMb) <= 64) },
    );
  }
  if (r.memory) out.push(...memoryRows(r.memory));
  if (r.gateway) {
    const g = r.gateway;
    const us = (v: number) => (Number.isFinite(v) ? `${round(v, 0)} µs` : 'n/a');
    out.push(
      { metric: `edit into the other room, p50 (n=${g.edits})`, ours: ms(g.crossRoom.p50, 2), baseline: `${ms(g.inRoom.p50, 2)} (same edit, in the room)`, ratio: ratio(g.crossRoom.p50, g.inRoom.p50), target: '', meets: '' },
      { metric: `edit into the other room, p95`, ours: ms(g.crossRoom.p95, 2), baseline: `${ms(g.inRoom.p95, 2)} (in the room)`, ratio: ratio(g.crossRoom.p95, g.inRoom.p95), target: '', meets: '' },
      { metric: `ledger per item: new row, p50 (SQLite FULL)`, ours: us(g.ledger.newRowUs.p50), baseline: `${us(g.ledger.joinRowUs.p50)} (frame joins a row)`, ratio: '', target: '', meets: '' },
      { metric: `ledger on disk per row`, ours: `${g.ledger.bytesPerRow} bytes`, baseline: '', ratio: '', target: '', meets: '' },
      { metric: `link ended → other hub cut, max (n=${g.endMs.n})`, ours: ms(g.endMs.max, 1), baseline: `p50 ${ms(g.endMs.p50, 1)}`, ratio: '', target: '<= 1000 ms', meets: yn(Number.isFinite(g.endMs.max) ? g.endMs.max <= 1000 : null) },
    );
  }
  return out;
}

const perSecond = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${Math.round(v).toLocaleString('en-US')}/s`);

/** The room's memory: catch-up against the 500 ms target; rates against their naive baselines. */
function memoryRows(m: MemoryResult): Row[] {
  const out: Row[] = [];
  const target = m.catchUp.targetMs;
  const room = `${m.room.messages / 1000}k msgs + ${Math.round(m.room.noteChars / 1e5) / 10} MB note`;
  for (const [label, c] of [['from hub', m.catchUp.hub], ['from a peer', m.catchUp.peer]] as const) {
    const p50 = c?.summary.p50;
    out.push({
      metric: `late joiner catch-up ${label}, ${room}, p50 (n=${c?.summary.n ?? 0})`,
      ours: ms(p50, 0),
      baseline: '',
      ratio: p50 !== undefined && Number.isFinite(p50) ? `${(p50 / target).toFixed(2)}x target` : '',
      target: `<= ${target} ms`,
      meets: yn(p50 !== undefined && Number.isFinite(p50) ? p50 <= target : null),
    });
  }
  if (m.apply) {
    const a = m.apply;
    out.push(
      { metric: `CRDT apply, ${a.oneByOne.updates / 1000}k updates one by one`, ours: perSecond(a.oneByOne.perSecond), baseline: '', ratio: '', target: '', meets: '' },
      { metric: `CRDT apply, same updates merged first`, ours: perSecond(a.merged.perSecond), baseline: `${perSecond(a.oneByOne.perSecond)} (one by one)`, ratio: ratio(a.merged.perSecond, a.oneByOne.perSecond), target: '', meets: '' },
      { metric: `CRDT apply through DocSync (frame, ack, forward)`, ours: perSecond(a.docSync.perSecond), baseline: `${perSecond(a.oneByOne.perSecond)} (raw Yjs)`, ratio: ratio(a.docSync.perSecond, a.oneByOne.perSecond), target: '', meets: '' },
    );
  }
  if (m.hubIngest) out.push({ metric: `hub replica stores (SQLite FULL, 1 commit/frame)`, ours: perSecond(m.hubIngest.perSecond), baseline: '', ratio: '', target: '', meets: '' });
  if (m.idb) {
    const i = m.idb;
    out.push({ metric: `IndexedDB writes, DocStore batched, ${i.batched.updates / 1000}k updates`, ours: perSecond(i.batched.perSecond), baseline: `${perSecond(i.naive.perSecond)} (1 tx/update)`, ratio: ratio(i.batched.perSecond, i.naive.perSecond), target: '', meets: '' });
  }
  return out;
}

export function table(list: Row[]): string {
  const head: Row = { metric: 'metric', ours: 'ours', baseline: 'baseline (bare PeerJS)', ratio: 'ratio', target: 'target', meets: 'meets?' };
  const cols = Object.keys(head) as (keyof Row)[];
  const width = (k: keyof Row) => Math.max(...[head, ...list].map((r) => r[k].length));
  const line = (r: Row) => '| ' + cols.map((k) => r[k].padEnd(width(k))).join(' | ') + ' |';
  return [line(head), '|' + cols.map((k) => '-'.repeat(width(k) + 2)).join('|') + '|', ...list.map(line)].join('\n');
}

/** Median step times (ms since navigation start) of the join, for the printed report. */
export function breakdownTable(j: JoinResult): string {
  const at = (k: string) => (k.startsWith('sum:') ? Infinity : (j.breakdown.warm[k] ?? j.breakdown.cold[k] ?? 0));
  const keys = [...new Set([...Object.keys(j.breakdown.warm), ...Object.keys(j.breakdown.cold)])].sort((a, b) => at(a) - at(b) || a.localeCompare(b));
  const head = 'step (median ms since navigation start; sum: totals before first peer)';
  const w = Math.max(...keys.map((k) => k.length), head.length);
  const lines = [`| ${head.padEnd(w)} | warm   | cold   |`, `|${'-'.repeat(w + 2)}|--------|--------|`];
  for (const k of keys) lines.push(`| ${k.padEnd(w)} | ${String(j.breakdown.warm[k] ?? '').padStart(6)} | ${String(j.breakdown.cold[k] ?? '').padStart(6)} |`);
  return lines.join('\n');
}

export function capacityTable(c: CapacityResult): string {
  const mb = (v: number | null) => (v === null ? '' : (v / 1024).toFixed(1));
  const lines = [
    '| clients | held | failed | opens/s | hub RSS MB | KB/client | RSS after GC MB | KB/client after GC | heap after GC MB | heap KB/client | hub CPU ms/open |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  lines.push(`| 0 | 0 | 0 | | ${mb(c.rss0Kb)} | | ${mb(c.rss0Kb)} | | ${mb(c.heap0Kb)} | | |`);
  for (const l of c.levels) {
    lines.push(
      `| ${l.target} | ${l.held} | ${l.failed} | ${l.opensPerSecond} | ${mb(l.rssKb)} | ${l.kbPerClient} | ${mb(l.rssAfterGcKb)} | ${l.kbPerClientAfterGc ?? ''} | ${mb(l.heapAfterGcKb)} | ${l.heapKbPerClientAfterGc ?? ''} | ${l.hubCpuMsPerOpen} |`,
    );
  }
  return lines.join('\n');
}

export function writeJson(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
}
