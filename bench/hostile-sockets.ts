/**
 * What unauthenticated sockets on the room channel cost a hub process, as a LAN attacker would
 * open them: `node --import tsx bench/hostile-sockets.ts [sockets=10] [mib=30]`. Starts a hub
 * (its own process, a throwaway data folder), reads its resident memory (VmRSS) from /proc, opens
 * the sockets (each upgrades /room without a credential and sends all but the last byte of a
 * binary frame of `mib` MiB), reads VmRSS again once every socket has sent it all or been cut,
 * and prints both. A measurement only (the figures in docs/THREAT_MODEL.md); nothing is asserted.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sockets = Number(process.argv[2] ?? 10);
const mib = Number(process.argv[3] ?? 30);

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function hostile(port: number, payload: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let upgraded = false;
    s.on('error', () => resolve('cut'));
    s.on('close', () => resolve(upgraded ? 'cut' : 'refused'));
    s.write(`GET /room HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n\r\n`);
    s.on('data', (d: Buffer) => {
      if (upgraded || !d.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      const header = Buffer.alloc(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
      s.write(header);
      s.write(payload.subarray(0, payload.length - 1), (err) => resolve(err ? 'cut' : 'all sent'));
    });
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-hostile-'));
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  for (const f of ['index.html', 'display.html', 'onboarding.html']) fs.writeFileSync(path.join(app, f), f);
  const port = 21_000 + (process.pid % 1000) * 2;
  const hub = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts', '--data', path.join(dir, 'data'), '--app-dir', app, '--no-build', '--no-qr', '--host', '127.0.0.1', '--http-port', String(port), '--https-port', String(port + 1)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    hub.stdout!.on('data', (d: Buffer) => ((out += d.toString()), out.includes('hub ready') && resolve()));
    hub.on('exit', (code) => reject(new Error(`hub exited (${code})`)));
  });
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssMiB(hub.pid!);
  const payload = Buffer.alloc(mib * 1024 * 1024, 7);
  const outcomes = await Promise.all(Array.from({ length: sockets }, () => hostile(port, payload)));
  await new Promise((r) => setTimeout(r, 500));
  const after = rssMiB(hub.pid!);
  const counts = outcomes.reduce<Record<string, number>>((m, o) => ((m[o] = (m[o] ?? 0) + 1), m), {});
  process.stdout.write(`${sockets} sockets x ${mib} MiB frame, no credential: hub VmRSS ${before.toFixed(0)} MiB -> ${after.toFixed(0)} MiB (${JSON.stringify(counts)})\n`);
  hub.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  },
);
