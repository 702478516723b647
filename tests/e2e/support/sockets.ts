/**
 * The TCP connections a process has opened itself (not the ones it accepted): read from /proc,
 * so nothing in the process under test is trusted to report its own behaviour.
 */
import fs from 'node:fs';

export function outboundConnections(pid: number, listeningPorts: number[]): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [f[1]!, f[2]!, f[3]!, f[9]!];
      if (!inodes.has(inode) || state === '0A') continue; // not ours, or listening
      const localPort = parseInt(local.split(':')[1]!, 16);
      if (listeningPorts.includes(localPort)) continue; // a connection someone made to us
      out.push(`${local} -> ${remote} (state ${state})`);
    }
  }
  return out;
}
