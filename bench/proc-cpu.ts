/**
 * CPU time of the browser this process launched (and of a test hub it started), per process and thread, read from /proc (Linux):
 * what a transfer costs on each end whatever else the machine is doing, since wall time on a
 * shared box mostly measures the other load. A snapshot lists every descendant of this process
 * with each thread's user+system time; `diff` subtracts two snapshots and `group` sums them by a
 * label such as "renderer 3 / CrRendererMain" or "browser / ThreadPoolForegroundWorker".
 */
import fs from 'node:fs';

const TICK_S = 1 / 100; // USER_HZ: 100 on every Linux this runs on

export interface ThreadCpu {
  pid: number;
  tid: number;
  /** The process's kind: browser, renderer, gpu-process, utility:<sub-type>, zygote, other. */
  kind: string;
  thread: string;
  seconds: number;
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** utime + stime of a /proc stat line, in seconds (fields 14 and 15; comm may hold spaces). */
function cpuOf(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * TICK_S;
}

function ppidOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function kindOf(cmdline: string): string {
  // Chromium rewrites its children's titles, joining the arguments with spaces.
  const args = cmdline.split(/[\0 ]/);
  const type = args.find((a) => a.startsWith('--type='))?.slice(7);
  // The test hub (a node child of ours): what serving files over HTTP costs counts too.
  if (args.some((a) => a.endsWith('hub/main.ts') || a.endsWith('hub/main.js'))) return 'hub';
  if (!type) return args[0]?.includes('chrom') ? 'browser' : 'other';
  if (type === 'utility') return `utility:${args.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? '?'}`;
  return type;
}

/** Every descendant process of `root` (default: this one). */
export function descendants(root = process.pid): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (stat) parent.set(Number(name), ppidOf(stat));
  }
  const out: number[] = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, pp] of parent) {
      if (want.has(pp) && !want.has(pid)) {
        want.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

export function snapshot(pids: number[] = descendants()): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  for (const pid of pids) {
    const cmd = read(`/proc/${pid}/cmdline`);
    if (!cmd) continue;
    const kind = kindOf(cmd);
    if (kind === 'other') continue;
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      const stat = read(`/proc/${pid}/task/${t}/stat`);
      const comm = read(`/proc/${pid}/task/${t}/comm`);
      if (stat && comm) out.push({ pid, tid: Number(t), kind, thread: comm.trim(), seconds: cpuOf(stat) });
    }
  }
  return out;
}

/** CPU seconds spent between two snapshots (threads that ended in between are lost). */
export function diff(before: ThreadCpu[], after: ThreadCpu[]): ThreadCpu[] {
  const was = new Map(before.map((t) => [`${t.pid}/${t.tid}`, t.seconds]));
  return after.map((t) => ({ ...t, seconds: t.seconds - (was.get(`${t.pid}/${t.tid}`) ?? 0) })).filter((t) => t.seconds > 0);
}

/** Sums by label; `names` maps pids to a name (e.g. which page a renderer serves). */
export function group(threads: ThreadCpu[], names: Map<number, string> = new Map(), byThread = true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of threads) {
    const proc = names.get(t.pid) ?? t.kind;
    // Thread pools have numbered workers; one label for the pool.
    const thread = t.thread.replace(/\d+$/, '').replace(/[/_-]$/, '');
    const key = byThread ? `${proc} / ${thread}` : proc;
    out[key] = Math.round(((out[key] ?? 0) + t.seconds) * 100) / 100;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

export function total(threads: ThreadCpu[]): number {
  return Math.round(threads.reduce((s, t) => s + t.seconds, 0) * 100) / 100;
}

/** Renderer pids now, to learn which renderer a new page got (the one that was not there before). */
export function renderers(): Set<number> {
  return new Set(snapshot().filter((t) => t.kind === 'renderer').map((t) => t.pid));
}
