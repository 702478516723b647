/** A real hub process for browser tests: start, SIGKILL, restart on the same data folder. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { APP_DIR, CA_TEMPLATE, E2E_TMP, HUB_IP, REPO } from './env.ts';

let nextPort = 20_000 + (process.pid % 50) * 100;

export interface HubOptions {
  name?: string;
  place?: string;
  args?: string[];
  /** Node's own flags, before the hub's entry (a benchmark preloads its probe). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export class TestHub {
  readonly dataDir: string;
  readonly httpPort = nextPort++;
  readonly httpsPort = nextPort++;
  private proc: ChildProcess | null = null;
  output = '';

  constructor(
    label: string,
    private readonly opts: HubOptions = {},
  ) {
    this.dataDir = path.join(E2E_TMP, 'hubs', `${label}-${this.httpPort}`);
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    // Every test hub shares the CA that the test browser trusts.
    fs.cpSync(path.join(CA_TEMPLATE, 'ca'), path.join(this.dataDir, 'ca'), { recursive: true });
  }

  async start(): Promise<void> {
    const args = [
      '--import', 'tsx', ...(this.opts.nodeArgs ?? []), 'hub/main.ts',
      '--data', this.dataDir,
      '--app-dir', APP_DIR,
      '--http-port', String(this.httpPort),
      '--https-port', String(this.httpsPort),
      '--name', this.opts.name ?? 'FW15',
      '--place', this.opts.place ?? 'Cambridge / William Gates Building',
      '--no-qr',
      // The suite builds once before it runs (scripts/test.sh); a hub must not rebuild the app
      // under the running tests because someone edited a source file meanwhile.
      '--no-build',
      ...(this.opts.args ?? []),
    ];
    const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.opts.env } });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start:\n${this.output}`)), 30_000);
      const check = () => {
        if (this.output.includes('hub ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', check);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hub exited (${code}):\n${this.output}`));
      });
    });
  }

  /** The hub dies without warning (power cut, crash). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    this.proc = null;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    this.proc = null;
  }

  /** The hub process's id (for checks on its sockets). */
  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }

  /** What the operator knows: the room id and secret from the data folder. */
  room(): { roomId: string; secret: string } {
    const r = JSON.parse(fs.readFileSync(path.join(this.dataDir, 'room.json'), 'utf8')) as { roomId: string; secret: string };
    return { roomId: r.roomId, secret: r.secret };
  }

  get origin(): string {
    return `https://${HUB_IP}:${this.httpsPort}`;
  }

  get httpOrigin(): string {
    return `http://${HUB_IP}:${this.httpPort}`;
  }

  /** The join link as the QR code carries it (plain-HTTP onboarding page). */
  qrJoinUrl(): string {
    const { roomId, secret } = this.room();
    return `${this.httpOrigin}/join#r=${roomId}&s=${secret}`;
  }

  /** The join link straight into the HTTPS app (a device that already trusts the room CA). */
  joinUrl(secret = this.room().secret): string {
    return `${this.origin}/join#r=${this.room().roomId}&s=${secret}`;
  }
}
