/**
 * A hub process's memory, read from the benchmark's side: its preloaded probe (hub-probe.ts:
 * process.memoryUsage() on SIGUSR2, after a full GC when asked) and /proc.
 */
import fs from 'node:fs';
import { waitFor } from './support.ts';

export interface Probe {
  heapUsed: number;
  rss: number;
  gc: boolean;
}

/** Node flags and environment that preload the probe into a hub started with `node`. */
export const probeNodeArgs = ['--expose-gc', '--import', './bench/hub-probe.ts'];
export const probeEnv = (probeFile: string) => ({ OSMOSE_BENCH_PROBE: probeFile });

/** Asks the hub's preloaded probe for process.memoryUsage(), optionally after a full GC. */
export async function probe(pid: number, probeFile: string, gc: boolean): Promise<Probe | null> {
  try {
    fs.rmSync(probeFile, { force: true });
    if (gc) fs.writeFileSync(probeFile + '.gc', '');
    else fs.rmSync(probeFile + '.gc', { force: true });
    process.kill(pid, 'SIGUSR2');
    await waitFor(() => fs.existsSync(probeFile), 5000, 'heap probe', 20);
    return JSON.parse(fs.readFileSync(probeFile, 'utf8')) as Probe;
  } catch {
    return null;
  }
}

export function procStatusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
