/**
 * The baseline: a bare PeerJS page, no app, no auth handshake, no validation. Bundled by esbuild
 * (bench/bare/server.ts) and served from http://127.0.0.1 (a secure context); ICE still uses the
 * test namespace's veth addresses.
 *
 * Query: ?port=<PeerServer port>&id=<peer id>[&dial=<peer id>]. Every page answers pings; with
 * `dial` it connects to that peer on load and marks `bare:first-peer` when the channel opens.
 */
import Peer, { type DataConnection } from 'peerjs';

interface Ping {
  v: 1;
  t: 'ping' | 'pong';
  n: number;
  at: number;
}

const q = new URLSearchParams(location.search);
const port = Number(q.get('port'));
const id = q.get('id') ?? `bare-${Math.random().toString(36).slice(2)}`;
const dial = q.get('dial');

const peer = new Peer(id, { host: '127.0.0.1', port, path: '/', key: 'peerjs', config: { iceServers: [] }, debug: 0 });
const waiters = new Map<number, (rtt: number) => void>();
const conns = new Map<string, DataConnection>();

/**
 * The naive file send (bench/files.ts): the sender cuts a buffer into 64 KiB messages and hands
 * them all to PeerJS at once (raw serialization: PeerJS queues in JS above 8 MiB buffered and
 * polls every 50 ms); the receiver keeps every message in memory until the last byte is in.
 */
const naive = { expected: 0, bytes: 0, parts: [] as ArrayBuffer[], t0: 0, done: null as ((r: { ms: number; bytes: number }) => void) | null };

function naiveReceived(): Promise<{ ms: number; bytes: number }> {
  return new Promise((r) => (naive.done = r));
}

function serve(conn: DataConnection): void {
  conn.on('data', (data) => {
    if (data instanceof ArrayBuffer) {
      naive.bytes += data.byteLength;
      naive.parts.push(data);
      if (naive.bytes >= naive.expected) naive.done?.({ ms: performance.now() - naive.t0, bytes: naive.bytes });
      return;
    }
    const m = JSON.parse(String(data)) as Ping | { t: 'file'; size: number };
    if (m.t === 'file') {
      Object.assign(naive, { expected: m.size, bytes: 0, parts: [], t0: performance.now() });
      return;
    }
    const msg = m;
    if (msg.t === 'ping') conn.send(JSON.stringify({ v: 1, t: 'pong', n: msg.n, at: msg.at }));
    else if (msg.t === 'pong') {
      waiters.get(msg.n)?.(performance.now() - msg.at);
      waiters.delete(msg.n);
    }
  });
}

const opened = new Promise<void>((resolve, reject) => {
  peer.on('open', () => {
    performance.mark('bare:signaling-open');
    resolve();
  });
  peer.on('error', (err) => reject(new Error(`peerjs: ${err.type}`)));
});

peer.on('connection', (conn) => {
  conns.set(conn.peer, conn);
  serve(conn);
});

function connect(to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const conn = peer.connect(to, { reliable: true, serialization: 'raw' });
    conns.set(to, conn);
    serve(conn);
    conn.on('open', () => {
      if (!performance.getEntriesByName('bare:first-peer').length) performance.mark('bare:first-peer');
      resolve();
    });
    conn.on('error', (err) => reject(err));
  });
}

let n = 0;
async function ping(to: string, count: number): Promise<number[]> {
  const conn = conns.get(to);
  if (!conn?.open) throw new Error(`no open connection to ${to}`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const k = ++n;
    const rtt = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => (waiters.delete(k), reject(new Error('ping timeout'))), 5000);
      waiters.set(k, (ms) => (clearTimeout(timer), resolve(ms)));
      conn.send(JSON.stringify({ v: 1, t: 'ping', n: k, at: performance.now() }));
    });
    out.push(rtt);
  }
  return out;
}

/** Sends `size` random bytes to `to` the naive way; the bytes are made before the clock starts. */
function sendNaive(to: string, size: number): void {
  const conn = conns.get(to);
  if (!conn?.open) throw new Error(`no open connection to ${to}`);
  const buf = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(buf.subarray(at, Math.min(size, at + 65536)));
  conn.send(JSON.stringify({ t: 'file', size }));
  for (let at = 0; at < size; at += 65536) conn.send(buf.slice(at, Math.min(size, at + 65536)).buffer);
}

if (dial) void opened.then(() => connect(dial));

(window as unknown as { bare: unknown }).bare = {
  id,
  opened: () => opened,
  connect,
  ping,
  sendNaive,
  naiveReceived,
  isOpen: (to: string) => Boolean(conns.get(to)?.open),
};
