/**
 * Everything this device sends to peers: one ChunkServer per (file, peer) bulk channel, what each
 * receiver acknowledged, and whether anything is being sent at all (the hub upload waits while it
 * is). Plain TypeScript: FilesState turns the reports into view state.
 */
import type { DataConnection } from 'peerjs';
import type { FileMeta } from '../../protocol/room-doc.ts';
import { chunkCount, fileIdOfLabel } from '../../protocol/files.ts';
import { fromDataConnection } from './channel.ts';
import { ChunkServer, type ServeEnd } from './chunk-server.ts';
import type { ChunkStore } from './chunk-store.ts';

export type SendState = 'sending' | 'done' | Exclude<ServeEnd, 'done'>;

export interface OutgoingDeps {
  store: ChunkStore;
  meta: (fileId: string) => FileMeta | null;
  report: (fileId: string, peerId: string, p: { stored: number; total: number; state: SendState }) => void;
}

export class Outgoing {
  private readonly servers = new Map<string, Map<string, ChunkServer>>();
  /** Channels being served or still opening. */
  private serving = 0;

  constructor(private readonly d: OutgoingDeps) {}

  get busy(): boolean {
    return this.serving > 0;
  }

  accept(from: string, label: string, conn: DataConnection): void {
    const fileId = fileIdOfLabel(label);
    if (!fileId) return void conn.close();
    // Counted from the request on, so the hub upload pauses before the first chunk goes out.
    this.serving++;
    let counted = true;
    const release = () => {
      if (counted) this.serving--;
      counted = false;
    };
    const meta = this.d.meta(fileId);
    let last = { stored: 0, total: meta ? chunkCount(meta) : 0 };
    void fromDataConnection(conn).then((channel) => {
      const server: ChunkServer = new ChunkServer({
        channel,
        fileId,
        meta: this.d.meta,
        store: this.d.store,
        onProgress: (stored, total) => {
          last = { stored, total };
          this.d.report(fileId, from, { ...last, state: 'sending' });
        },
        onEnd: (end) => {
          release();
          const perFile = this.servers.get(fileId);
          if (perFile?.get(from) === server) perFile.delete(from);
          this.d.report(fileId, from, { ...last, state: end });
        },
      });
      const perFile = this.servers.get(fileId) ?? new Map<string, ChunkServer>();
      // A peer that asks again (a new round of its download) replaces its previous channel.
      perFile.get(from)?.cancel();
      perFile.set(from, server);
      this.servers.set(fileId, perFile);
    }, release);
  }

  /** Stops sending this file to everyone. */
  cancel(fileId: string): void {
    for (const s of [...(this.servers.get(fileId)?.values() ?? [])]) s.cancel();
  }

  cancelAll(): void {
    for (const id of [...this.servers.keys()]) this.cancel(id);
  }
}
