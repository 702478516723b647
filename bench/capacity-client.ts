/**
 * The capacity benchmark's client side, a separate process (own memory, own file descriptors):
 * opens PeerJS signaling WebSockets to a hub, each with a real credential, and keeps them alive
 * with a HEARTBEAT every 5 s like the PeerJS client.
 *
 * Usage: node --import tsx bench/capacity-client.ts <httpPort> <dataDir>
 * Commands on stdin, one JSON per line: {"cmd":"ramp","target":N} | {"cmd":"close"}.
 * Answers on stdout, one JSON per line.
 */
import crypto from 'node:crypto';
import readline from 'node:readline';
import WebSocket from 'ws';
import { loadOrCreateRoom } from '../hub/room/room-store.ts';
import { JoinAuth } from '../hub/room/join-auth.ts';

const port = Number(process.argv[2]);
const dataDir = process.argv[3]!;
const IN_FLIGHT = 100;
const OPEN_TIMEOUT_MS = 15_000;
const HEARTBEAT_MS = 5_000;

const { secrets } = await loadOrCreateRoom(dataDir);
const auth = new JoinAuth(secrets, 3600_000);
const open = new Set<WebSocket>();
let closedAfterOpen = 0;

function say(msg: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

function openOne(): Promise<WebSocket> {
  const id = 'd' + crypto.randomBytes(16).toString('hex');
  const { token } = auth.issueCredential(id);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/signal/peerjs?key=osmose&id=${id}&token=${token}`, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail('timeout'), OPEN_TIMEOUT_MS);
    ws.once('message', (data) => {
      let type = '?';
      try {
        type = (JSON.parse(String(data)) as { type?: string }).type ?? '?';
      } catch {
        // not JSON
      }
      if (type !== 'OPEN') return fail(`first frame ${type}`);
      done = true;
      clearTimeout(timer);
      open.add(ws);
      ws.on('close', () => {
        if (open.delete(ws)) closedAfterOpen++;
      });
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => fail(`http ${res.statusCode}`));
    ws.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    ws.once('close', (code) => fail(`closed ${code}`));
  });
}

async function ramp(target: number): Promise<void> {
  const t0 = performance.now();
  const want = target - open.size;
  const errors: Record<string, number> = {};
  let started = 0;
  let failed = 0;
  const worker = async () => {
    while (started < want) {
      started++;
      try {
        await openOne();
      } catch (err) {
        failed++;
        const k = (err as Error).message;
        errors[k] = (errors[k] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.max(want, 0)) }, worker));
  const ms = performance.now() - t0;
  say({ ok: true, held: open.size, opened: want - failed, failed, errors, ms: Math.round(ms), closedAfterOpen });
}

setInterval(() => {
  for (const ws of open) if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"HEARTBEAT"}');
}, HEARTBEAT_MS).unref();

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = JSON.parse(line) as { cmd: string; target?: number };
  if (cmd.cmd === 'ramp') void ramp(cmd.target ?? 0);
  else if (cmd.cmd === 'close') {
    const n = open.size;
    const closing = [...open].map((ws) => new Promise<void>((r) => (ws.once('close', () => r()), ws.close(1000))));
    open.clear();
    void Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 5000))]).then(() => {
      say({ ok: true, closed: n });
      process.exit(0);
    });
  }
});
rl.on('close', () => process.exit(0));
say({ ready: true, pid: process.pid, fdLimitNote: 'see /proc/self/limits' });
