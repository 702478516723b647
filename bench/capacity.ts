/**
 * Hub signaling capacity and memory: a real hub process and, in a separate process, N PeerJS
 * signaling WebSockets with valid credentials, ramped in batches. After each level (2 s settle)
 * we read the hub's VmRSS from /proc and compute KB per client against the idle hub.
 * Both processes run with a raised open-files limit (as high as the hard limit allows).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { REPO } from '../tests/e2e/support/env.ts';
import { round } from './stats.ts';
import { sleep, stopChild, trackChild, waitFor } from './support.ts';
import { probe, probeEnv, probeNodeArgs, procStatusKb } from './hub-memory.ts';

export interface CapacityOptions {
  batch: number;
  max: number;
  settleMs: number;
}

export interface CapacityLevel {
  target: number;
  held: number;
  failed: number;
  errors: Record<string, number>;
  /** Sockets that had opened and then closed before this level was measured. */
  closedAfterOpen: number;
  rampMs: number;
  opensPerSecond: number;
  /** Hub VmRSS after the settle, no forced GC: the headline measure. */
  rssKb: number;
  kbPerClient: number;
  heapUsedKb: number | null;
  /** The same right after a forced full GC in the hub (--expose-gc, via bench/hub-probe.ts). */
  rssAfterGcKb: number | null;
  kbPerClientAfterGc: number | null;
  heapAfterGcKb: number | null;
  heapKbPerClientAfterGc: number | null;
  /** Hub CPU time (user + system) spent during this batch, per client opened. */
  hubCpuMsPerOpen: number;
}

export interface CapacityResult {
  maxHeld: number;
  /** The first level at which some clients failed to open (null: every level held). */
  failedAt: number | null;
  /** The idle hub, after a forced GC and the settle (startup garbage from tsx would otherwise count). */
  rss0Kb: number;
  heap0Kb: number | null;
  kbPerClientAt5000: number | null;
  kbPerClientAtMax: number | null;
  levels: CapacityLevel[];
  fdLimit: { hub: number | null; client: number | null };
  commands: { hub: string; client: string };
}

/** Raise the soft open-files limit: to 65536, or to the hard limit where that is lower. */
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function cpuMs(pid: number): number {
  // Fields 14 and 15 (utime, stime) in clock ticks, after the ")" that ends the command name.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

function fdLimit(pid: number): number | null {
  const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m ? Number(m[1]) : null;
}

const kb = (bytes: number | undefined) => (bytes === undefined ? null : Math.round(bytes / 1024));

class LineChild {
  private readonly lines: string[] = [];
  private waiter: ((l: string) => void) | null = null;
  stderr = '';
  constructor(readonly proc: ChildProcess) {
    readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(l);
      } else this.lines.push(l);
    });
    proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
  }
  send(msg: unknown): void {
    this.proc.stdin!.write(JSON.stringify(msg) + '\n');
  }
  next(timeoutMs: number): Promise<Record<string, unknown>> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(JSON.parse(l));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => ((this.waiter = null), reject(new Error(`client did not answer in ${timeoutMs} ms; stderr:\n${this.stderr}`))), timeoutMs);
      const onExit = (code: number | null) => reject(new Error(`client exited (${code}); stderr:\n${this.stderr}`));
      this.proc.once('exit', onExit);
      this.waiter = (line) => {
        clearTimeout(t);
        this.proc.off('exit', onExit);
        resolve(JSON.parse(line));
      };
    });
  }
}

export async function runCapacity(opts: CapacityOptions, log: (s: string) => void): Promise<CapacityResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bench-hub-'));
  // Outside the data folder: the hub keeps that 0700 and owns its contents.
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bench-probe-'));
  const probeFile = path.join(probeDir, 'probe.json');
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const hubArgs = [
    '--import', 'tsx', ...probeNodeArgs, 'hub/main.ts',
    '--data', dataDir, '--app-dir', path.join(REPO, 'dist-diagnostics'),
    '--host', '127.0.0.1', '--http-port', String(httpPort), '--https-port', String(httpsPort),
    '--name', 'bench', '--no-qr', '--quiet',
  ];
  const clientArgs = ['--import', 'tsx', 'bench/capacity-client.ts', String(httpPort), dataDir];
  const commands = {
    hub: `bash -c '${ULIMIT}' node ${hubArgs.join(' ')}`,
    client: `bash -c '${ULIMIT}' node ${clientArgs.join(' ')}`,
  };
  let hub: ChildProcess | null = null;
  let client: LineChild | null = null;
  let hubLog = '';
  const levels: CapacityLevel[] = [];
  try {
    hub = trackChild(spawn('bash', ['-c', ULIMIT, process.execPath, ...hubArgs], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...probeEnv(probeFile) } }));
    hub.stdout!.on('data', (d: Buffer) => (hubLog = (hubLog + d.toString()).slice(-4000)));
    hub.stderr!.on('data', (d: Buffer) => (hubLog = (hubLog + d.toString()).slice(-4000)));
    const hubExited = new Promise<never>((_, reject) => hub!.once('exit', (code) => reject(new Error(`hub exited (${code}):\n${hubLog}`))));
    hubExited.catch(() => undefined);
    await Promise.race([
      hubExited,
      waitFor(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${httpPort}/api/hub`)).ok;
          } catch {
            return false;
          }
        },
        90_000, // a hub compiled by tsx on a loaded 2-core machine can take over 30 s to start
        'the capacity hub to answer',
        100,
      ),
    ]);
    const hubPid = hub.pid!;
    await sleep(opts.settleMs);
    await probe(hubPid, probeFile, true);
    await sleep(opts.settleMs);
    const rss0Kb = procStatusKb(hubPid, 'VmRSS');
    const heap0Kb = kb((await probe(hubPid, probeFile, false))?.heapUsed);
    log(`  capacity: idle hub (after GC + settle) RSS ${(rss0Kb / 1024).toFixed(1)} MB, heap ${heap0Kb === null ? '?' : (heap0Kb / 1024).toFixed(1) + ' MB'}`);

    const cproc = trackChild(spawn('bash', ['-c', ULIMIT, process.execPath, ...clientArgs], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] }));
    client = new LineChild(cproc);
    const ready = await client.next(30_000);
    if (!ready.ready) throw new Error(`client: unexpected ${JSON.stringify(ready)}`);
    const fds = { hub: fdLimit(hubPid), client: fdLimit(cproc.pid!) };
    log(`  capacity: open-files limit hub ${fds.hub}, client ${fds.client}`);

    let failedAt: number | null = null;
    for (let target = opts.batch; target <= opts.max; target += opts.batch) {
      const cpu0 = cpuMs(hubPid);
      client.send({ cmd: 'ramp', target });
      const r = (await client.next(120_000)) as { held: number; opened: number; failed: number; errors: Record<string, number>; ms: number; closedAfterOpen: number };
      const cpu1 = cpuMs(hubPid);
      await sleep(opts.settleMs);
      const rssKb = procStatusKb(hubPid, 'VmRSS');
      const heapUsedKb = kb((await probe(hubPid, probeFile, false))?.heapUsed);
      const afterGc = await probe(hubPid, probeFile, true);
      const rssAfterGcKb = afterGc?.gc ? procStatusKb(hubPid, 'VmRSS') : null;
      const heapAfterGcKb = afterGc?.gc ? kb(afterGc.heapUsed) : null;
      const per = (v: number | null, base: number | null) => (v === null || base === null || !r.held ? null : round((v - base) / r.held, 2));
      const level: CapacityLevel = {
        target,
        held: r.held,
        failed: r.failed,
        errors: r.errors,
        closedAfterOpen: r.closedAfterOpen,
        rampMs: r.ms,
        opensPerSecond: Math.round((r.opened / Math.max(r.ms, 1)) * 1000),
        rssKb,
        kbPerClient: r.held ? round((rssKb - rss0Kb) / r.held, 2) : NaN,
        heapUsedKb,
        rssAfterGcKb,
        kbPerClientAfterGc: per(rssAfterGcKb, rss0Kb),
        heapAfterGcKb,
        heapKbPerClientAfterGc: per(heapAfterGcKb, heap0Kb),
        hubCpuMsPerOpen: r.opened ? round((cpu1 - cpu0) / r.opened, 3) : NaN,
      };
      levels.push(level);
      log(
        `  capacity ${String(target).padStart(5)}: held ${level.held}, failed ${level.failed}${level.failed ? ' ' + JSON.stringify(level.errors) : ''}, ` +
          `${level.opensPerSecond} opens/s, hub RSS ${(rssKb / 1024).toFixed(1)} MB (${level.kbPerClient} KB/client; ${level.kbPerClientAfterGc ?? '?'} after GC), ` +
          `heap after GC ${level.heapAfterGcKb === null ? '?' : (level.heapAfterGcKb / 1024).toFixed(1) + ' MB'} (${level.heapKbPerClientAfterGc ?? '?'} KB/client), hub CPU ${level.hubCpuMsPerOpen} ms/open`,
      );
      if (r.failed > 0 || r.held < target || r.closedAfterOpen > 0) {
        failedAt = target;
        break;
      }
    }
    client.send({ cmd: 'close' });
    await client.next(15_000).catch((e: Error) => log(`  capacity: closing clients: ${e.message}`));

    const at = (n: number) => levels.find((l) => l.target === n && l.held === n)?.kbPerClient ?? null;
    const ok = levels.filter((l) => l.held === l.target && l.failed === 0);
    const top = ok[ok.length - 1];
    return {
      maxHeld: Math.max(0, ...levels.map((l) => l.held)),
      failedAt,
      rss0Kb,
      heap0Kb,
      kbPerClientAt5000: at(5000),
      kbPerClientAtMax: top?.kbPerClient ?? null,
      levels,
      fdLimit: fds,
      commands,
    };
  } finally {
    if (client) await stopChild(client.proc);
    if (hub) await stopChild(hub);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}
